// KubeProvider against the simulated API server over real HTTPS with the real @kubernetes/client-node.
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProviderError } from "../../src/providers/errors.js";
import {
  KubeProvider,
  labelSelectorToString,
  normalizeWorkloadKind,
  parseWorkloadRef,
} from "../../src/providers/kubernetes.js";
import { SIM_KUBE_TOKEN } from "../../src/sim/constants.js";
import { type SimSession, startSimSession } from "../../src/sim/environment.js";
import { API_SERVER, CLIENT_ID, ISSUER, k8sScenario, TENANT_ID } from "../helpers/k8s-scenario.js";

let session: SimSession;
let kube: KubeProvider;

/** The error a call rejects with (the test fails if it resolves). */
async function failure(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

beforeAll(async () => {
  session = await startSimSession(k8sScenario({}, { bulkPods: 1100 }));
  kube = new KubeProvider(session.env);
});
afterAll(async () => {
  await session?.close();
});

describe("context", () => {
  it("names the API server host from the kubeconfig's tls-server-name, and the context", () => {
    expect(kube.apiServerHost()).toBe(API_SERVER);
    expect(kube.contextName()).toBe("k8s-provider-test");
  });

  it("takes the host from the server URL when there is no tls-server-name", () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: "https://Payments-DNS.hcp.eastus.azmk8s.io:443", skipTLSVerify: false }],
      users: [{ name: "u", token: "t" }],
      contexts: [{ name: "ctx", cluster: "c", user: "u" }],
      currentContext: "ctx",
    });
    const p = new KubeProvider({ ...session.env, kubeconfig: kc });
    expect(p.apiServerHost()).toBe("payments-dns.hcp.eastus.azmk8s.io");
  });
});

describe("service accounts and pods", () => {
  it("reads a service account, and null for one that does not exist", async () => {
    const sa = await kube.getServiceAccount("payments", "payments-api");
    expect(sa?.metadata?.annotations).toEqual({
      "azure.workload.identity/client-id": CLIENT_ID,
      "azure.workload.identity/tenant-id": TENANT_ID,
    });
    expect(await kube.getServiceAccount("payments", "payment-api")).toBeNull();
    const all = await kube.listServiceAccounts("payments");
    expect(all.map((s) => s.metadata?.name)).toEqual(["default", "payments-api", "worker"]);
  });

  it("reads a mutated pod with its injected environment and projected token volume", async () => {
    const pod = await kube.getPod("payments", "payments-api-6f7c9-x2x8q");
    const env = Object.fromEntries((pod?.spec?.containers[0].env ?? []).map((e) => [e.name, e.value]));
    expect(env.AZURE_FEDERATED_TOKEN_FILE).toBe("/var/run/secrets/azure/wi/token/azure-identity-token");
    expect(pod?.spec?.volumes?.[0].projected?.sources?.[0].serviceAccountToken?.audience).toBe(
      "api://AzureADTokenExchange",
    );
    expect(pod?.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(await kube.getPod("payments", "gone")).toBeNull();
  });

  it("lists pods by label and field selector, and across namespaces", async () => {
    const byLabel = await kube.listPods("payments", { labelSelector: "azure.workload.identity/use=true" });
    expect(byLabel.map((p) => p.metadata?.name)).toEqual(["payments-api-6f7c9-b7k2m", "payments-api-6f7c9-x2x8q"]);
    const byField = await kube.listPods("payments", { fieldSelector: "spec.serviceAccountName=worker" });
    expect(byField.map((p) => p.metadata?.name)).toEqual(["payments-worker-0"]);
    const everywhere = await kube.listPods(undefined, { labelSelector: "app" });
    expect(everywhere).toHaveLength(3);
  });

  it("follows continue tokens to the end of a long list", async () => {
    const before = session.world.stats.byService.kubernetes ?? 0;
    const pods = await kube.listPods("bulk");
    const requests = (session.world.stats.byService.kubernetes ?? 0) - before;
    expect(pods).toHaveLength(1100);
    expect(new Set(pods.map((p) => p.metadata?.name)).size).toBe(1100);
    expect(requests).toBe(3);
  });

  it("reads pod logs by container, cut by tailLines", async () => {
    const log = await kube.readPodLog("payments", "payments-worker-0", { container: "worker", tailLines: 1 });
    expect(log).toBe("worker line 3\n");
    const api = await kube.readPodLog("payments", "payments-api-6f7c9-x2x8q");
    expect(api).toContain("AADSTS700213");
    const err = await failure(kube.readPodLog("payments", "payments-worker-0"));
    expect(err.kind).toBe("invalid-response");
    expect(err.status).toBe(400);
    expect(err.message).toContain("choose one of: [worker sidecar]");
  });
});

describe("workloads", () => {
  it.each([
    ["deploy", "payments-api", "Deployment", "app=payments-api", "payments-api"],
    ["Deployments", "payments-api", "Deployment", "app=payments-api", "payments-api"],
    ["sts", "payments-worker", "StatefulSet", "app=payments-worker,tier in (backend,batch)", "worker"],
    ["daemonset", "log-agent", "DaemonSet", "app=log-agent", "default"],
    ["rs", "payments-api-6f7c9", "ReplicaSet", "app=payments-api,pod-template-hash=6f7c9", "payments-api"],
    ["job.batch", "payments-migrate", "Job", "job-name=payments-migrate", "payments-api"],
    ["cj", "payments-report", "CronJob", undefined, "payments-api"],
  ])("getWorkload(%s, %s)", async (kind, name, expectedKind, selector, serviceAccount) => {
    const w = await kube.getWorkload("payments", kind, name);
    expect(w?.kind).toBe(expectedKind);
    expect(w?.name).toBe(name);
    expect(w?.namespace).toBe("payments");
    expect(w?.selector).toBe(selector);
    expect(w?.podTemplate.spec?.serviceAccountName).toBe(serviceAccount);
  });

  it("takes a CronJob's pod template from its job template", async () => {
    const w = await kube.getWorkload("payments", "CronJob", "payments-report");
    expect(w?.podTemplate.metadata?.labels?.["azure.workload.identity/use"]).toBe("true");
  });

  it("null for a missing workload; a clear error for a kind that is not one", async () => {
    expect(await kube.getWorkload("payments", "deployment", "nope")).toBeNull();
    const err = await failure(kube.getWorkload("payments", "service", "payments-api"));
    expect(err.message).toContain('"service" is not a workload kind');
  });

  it("lists the namespace's top-level workloads, leaving out those another one runs", async () => {
    const all = await kube.listWorkloads("payments");
    expect(all.map((w) => `${w.kind}/${w.name}`).sort()).toEqual([
      "CronJob/payments-report",
      "DaemonSet/log-agent",
      "Deployment/payments-api",
      "Job/payments-migrate",
      "StatefulSet/payments-worker",
    ]);
    for (const w of all) expect(w.object.kind).toBe(w.kind);
  });

  it("follows a pod's owners up to its Deployment", async () => {
    const pod = await kube.getPod("payments", "payments-api-6f7c9-x2x8q");
    const owner = await kube.getPodOwner(pod!);
    expect(owner?.kind).toBe("Deployment");
    expect(owner?.name).toBe("payments-api");
    const bare = await kube.getPodOwner({ metadata: { name: "x", namespace: "payments" } });
    expect(bare).toBeNull();
  });

  it("parses workload references and selectors", () => {
    expect(parseWorkloadRef("Deployment/payments-api")).toEqual({ kind: "Deployment", name: "payments-api" });
    expect(parseWorkloadRef("deployment.apps/payments-api")).toEqual({ kind: "Deployment", name: "payments-api" });
    expect(parseWorkloadRef("pod/payments-api")).toBeUndefined();
    expect(parseWorkloadRef("payments-api")).toBeUndefined();
    expect(normalizeWorkloadKind("StatefulSets")).toBe("StatefulSet");
    expect(
      labelSelectorToString({
        matchLabels: { app: "a" },
        matchExpressions: [
          { key: "t", operator: "NotIn", values: ["x", "y"] },
          { key: "e", operator: "Exists" },
          { key: "d", operator: "DoesNotExist" },
        ],
      }),
    ).toBe("app=a,t notin (x,y),e,!d");
  });
});

describe("cluster plumbing", () => {
  it("reads the webhook's configuration, deployment, endpoints and config map", async () => {
    const mwc = await kube.getMutatingWebhookConfiguration("azure-wi-webhook-mutating-webhook-configuration");
    expect(mwc?.webhooks?.[0].objectSelector?.matchLabels).toEqual({ "azure.workload.identity/use": "true" });
    expect(mwc?.webhooks?.[0].failurePolicy).toBe("Fail");
    expect((await kube.listMutatingWebhookConfigurations()).map((m) => m.metadata?.name)).toEqual([
      "azure-wi-webhook-mutating-webhook-configuration",
    ]);
    const dep = await kube.getDeployment("kube-system", "azure-wi-webhook-controller-manager");
    expect(dep?.status?.readyReplicas).toBe(2);
    expect(
      await kube.getDeployment("azure-workload-identity-system", "azure-wi-webhook-controller-manager"),
    ).toBeNull();
    const eps = await kube.getEndpoints("kube-system", "azure-wi-webhook-webhook-service");
    expect(eps?.subsets?.[0].addresses?.[0].ip).toBe("10.244.0.12");
    const cm = await kube.getConfigMap("kube-system", "azure-wi-webhook-config");
    expect(cm?.data?.AZURE_TENANT_ID).toBe(TENANT_ID);
  });

  it("reads namespaces, events, network policies, nodes and the version", async () => {
    const ns = await kube.getNamespace("payments");
    expect(ns?.metadata?.labels?.["kubernetes.io/metadata.name"]).toBe("payments");
    expect(await kube.getNamespace("nowhere")).toBeNull();
    const events = await kube.listEvents("payments", "involvedObject.kind=Pod");
    expect(events.map((e) => e.reason)).toEqual(["FailedMount"]);
    expect((await kube.listNetworkPolicies("payments")).map((n) => n.metadata?.name)).toEqual(["deny-egress"]);
    expect((await kube.listNodes()).map((n) => n.metadata?.name)).toEqual(["aks-nodepool1-0"]);
    const version = await kube.getVersion();
    expect(version.gitVersion).toBe("v1.30.4");
  });

  it("reads custom resources; a resource the cluster does not serve has none", async () => {
    const ids = await kube.listCustomObjects("aadpodidentity.k8s.io", "v1", "azureidentities");
    expect(ids.map((o) => o.metadata?.name)).toEqual(["demo-aad1"]);
    const spc = await kube.getCustomObject(
      "secrets-store.csi.x-k8s.io",
      "v1",
      "secretproviderclasses",
      "payments",
      "azure-kvname-wi",
    );
    expect((spc as { spec?: { parameters?: { clientID?: string } } }).spec?.parameters?.clientID).toBe(CLIENT_ID);
    expect(
      await kube.getCustomObject("secrets-store.csi.x-k8s.io", "v1", "secretproviderclasses", "payments", "nope"),
    ).toBeNull();
    expect(await kube.listCustomObjects("example.com", "v1", "widgets", "payments")).toEqual([]);
    expect(await kube.isResourceServed("example.com", "v1", "widgets")).toBe(false);
    expect(await kube.isResourceServed("aadpodidentity.k8s.io", "v1", "azureassignedidentities")).toBe(true);
  });
});

describe("service-account tokens and the API server's issuer", () => {
  it("mints a token that verifies against the API server's own JWKS", async () => {
    const discovery = await kube.getIssuerDiscovery();
    expect(discovery.issuer).toBe(ISSUER);
    const { token, expirationTimestamp } = await kube.createServiceAccountToken("payments", "payments-api", {
      audiences: ["api://AzureADTokenExchange"],
    });
    expect(Number.isNaN(Date.parse(expirationTimestamp))).toBe(false);
    const jwks = await kube.getApiServerJwks();
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: discovery.issuer,
      audience: "api://AzureADTokenExchange",
      subject: "system:serviceaccount:payments:payments-api",
    });
    expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
  });

  it("binds a token to a pod when asked", async () => {
    const pod = await kube.getPod("payments", "payments-api-6f7c9-x2x8q");
    const { token } = await kube.createServiceAccountToken("payments", "payments-api", {
      audiences: ["api://AzureADTokenExchange"],
      expirationSeconds: 7200,
      boundPod: { name: "payments-api-6f7c9-x2x8q", uid: pod?.metadata?.uid },
    });
    const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
    expect(claims["kubernetes.io"].pod.name).toBe("payments-api-6f7c9-x2x8q");
    expect(claims.exp - claims.iat).toBe(7200);
  });

  it("a token for a missing service account is not-found", async () => {
    const err = await failure(
      kube.createServiceAccountToken("payments", "payment-api", { audiences: ["api://AzureADTokenExchange"] }),
    );
    expect(err.kind).toBe("not-found");
    expect(err.message).toBe('serviceaccounts "payment-api" not found');
  });

  it("fails verification when the signing key was rotated out of the JWKS", async () => {
    const rotated = await startSimSession(k8sScenario({ kubernetes: { issuerKeyRotated: true } }));
    try {
      const p = new KubeProvider(rotated.env);
      const { token } = await p.createServiceAccountToken("payments", "payments-api", { audiences: ["x"] });
      const jwks = await p.getApiServerJwks();
      await expect(jwtVerify(token, createLocalJWKSet(jwks))).rejects.toMatchObject({
        code: "ERR_JWKS_NO_MATCHING_KEY",
      });
    } finally {
      await rotated.close();
    }
  });
});

describe("failures become ProviderErrors", () => {
  it("403 is forbidden, with the RBAC message and the rule to grant", async () => {
    const denied = await startSimSession(
      k8sScenario({ kubernetes: { forbidden: ["pods", "mutatingwebhookconfigurations", "serviceaccounts/token"] } }),
    );
    try {
      const p = new KubeProvider(denied.env);
      const list = await failure(p.listPods("payments"));
      expect(list.kind).toBe("forbidden");
      expect(list.status).toBe(403);
      expect(list.message).toBe(
        'pods is forbidden: User "operator" cannot list resource "pods" in API group "" in the namespace "payments"',
      );
      expect(list.remedy).toBe('grant "list" on pods in namespace payments (e.g. the built-in "view" ClusterRole)');
      const mwc = await failure(p.getMutatingWebhookConfiguration("azure-wi-webhook-mutating-webhook-configuration"));
      expect(mwc.kind).toBe("forbidden");
      expect(mwc.remedy).toBe(
        'grant "get" on mutatingwebhookconfigurations.admissionregistration.k8s.io cluster-wide (a ClusterRole with this rule, bound with a ClusterRoleBinding)',
      );
      const token = await failure(p.createServiceAccountToken("payments", "payments-api", { audiences: ["a"] }));
      expect(token.remedy).toBe(
        'grant "create" on serviceaccounts/token in namespace payments (a Role with this rule, bound with a RoleBinding)',
      );
      // Reads of other resources still work.
      expect(await p.getServiceAccount("payments", "payments-api")).not.toBeNull();
    } finally {
      await denied.close();
    }
  });

  it("401 is unauthorized", async () => {
    const kc = new KubeConfig();
    const cluster = session.env.kubeconfig!.getCurrentCluster()!;
    kc.loadFromOptions({
      clusters: [cluster],
      users: [{ name: "someone", token: `${SIM_KUBE_TOKEN}-expired` }],
      contexts: [{ name: "stale", cluster: cluster.name, user: "someone" }],
      currentContext: "stale",
    });
    const p = new KubeProvider({ ...session.env, kubeconfig: kc });
    const err = await failure(p.getServiceAccount("payments", "payments-api"));
    expect(err.kind).toBe("unauthorized");
    expect(err.status).toBe(401);
    expect(err.message).toContain('kube context "stale"');
  });

  it("no kubeconfig is no-credential, with the reason it could not be loaded", async () => {
    const p = new KubeProvider({
      ...session.env,
      kubeconfig: undefined,
      kubeconfigProblem: "could not load a kubeconfig: ENOENT",
    });
    expect(p.apiServerHost()).toBeUndefined();
    const err = await failure(p.listPods("payments"));
    expect(err.kind).toBe("no-credential");
    expect(err.message).toBe("could not load a kubeconfig: ENOENT");
    expect(err.remedy).toMatch(/KUBECONFIG/);
  });

  it("a request the API server never answers times out without hanging, other calls still work", async () => {
    const slow = await startSimSession(
      k8sScenario({ faults: { rules: [{ service: "kubernetes", path: "serviceaccounts", timeout: true }] } }),
      { timeoutMs: 300 },
    );
    try {
      const p = new KubeProvider(slow.env);
      const err = await failure(p.getServiceAccount("payments", "payments-api"));
      expect(err.kind).toBe("timeout");
      expect(err.message).toBe('get serviceaccounts "payments-api" in namespace payments: no answer within 300 ms');
      expect(await p.getPod("payments", "payments-worker-0")).not.toBeNull();
    } finally {
      await slow.close();
    }
  });

  it("a cancelled call rejects as cancelled", async () => {
    const slow = await startSimSession(
      k8sScenario({ faults: { rules: [{ service: "kubernetes", path: "pods", timeout: true }] } }),
      { timeoutMs: 20_000 },
    );
    try {
      const p = new KubeProvider(slow.env);
      const controller = new AbortController();
      const pending = p.listPods("payments", {}, controller.signal);
      setTimeout(() => controller.abort(), 50);
      const err = await failure(pending);
      expect(err.kind).toBe("cancelled");
    } finally {
      await slow.close();
    }
  });

  it("a server error is unavailable", async () => {
    const broken = await startSimSession(
      k8sScenario({ faults: { rules: [{ service: "kubernetes", path: "configmaps", status: 503 }] } }),
    );
    try {
      const err = await failure(new KubeProvider(broken.env).getConfigMap("kube-system", "azure-wi-webhook-config"));
      expect(err.kind).toBe("unavailable");
      expect(err.status).toBe(503);
    } finally {
      await broken.close();
    }
  });

  it("a read answered 429 or 5xx is tried again within the deadline", async () => {
    const flaky = await startSimSession(
      k8sScenario({
        faults: {
          rules: [
            { service: "kubernetes", path: "configmaps", status: 503, times: 1 },
            { service: "kubernetes", path: "serviceaccounts/worker", status: 429, times: 1 },
          ],
        },
      }),
    );
    try {
      const p = new KubeProvider(flaky.env);
      expect(await p.getConfigMap("kube-system", "azure-wi-webhook-config")).toBeDefined();
      expect(await p.getServiceAccount("payments", "worker")).not.toBeNull();
    } finally {
      await flaky.close();
    }
  });
});

describe("generic writes", () => {
  const saRef = { apiVersion: "v1", kind: "ServiceAccount", namespace: "payments", name: "worker" };

  it("a merge patch is visible on the next read; a dry run is not stored", async () => {
    const dry = await kube.patchObject(
      saRef,
      { metadata: { annotations: { "azure.workload.identity/client-id": "dry-run-value" } } },
      { dryRun: true },
    );
    expect(dry.metadata?.annotations?.["azure.workload.identity/client-id"]).toBe("dry-run-value");
    expect((await kube.getServiceAccount("payments", "worker"))?.metadata?.annotations).toBeUndefined();

    await kube.patchObject(saRef, { metadata: { annotations: { "azure.workload.identity/client-id": CLIENT_ID } } });
    const after = await kube.getServiceAccount("payments", "worker");
    expect(after?.metadata?.annotations?.["azure.workload.identity/client-id"]).toBe(CLIENT_ID);
  });

  it("applies a JSON patch to a workload's pod template", async () => {
    await kube.patchObject(
      { apiVersion: "apps/v1", kind: "StatefulSet", namespace: "payments", name: "payments-worker" },
      [{ op: "add", path: "/spec/template/metadata/labels/azure.workload.identity~1use", value: "true" }],
      { type: "json" },
    );
    const w = await kube.getWorkload("payments", "sts", "payments-worker");
    expect(w?.podTemplate.metadata?.labels?.["azure.workload.identity/use"]).toBe("true");
  });

  it("creates, reads and deletes any object; dry-run creates are not stored", async () => {
    const sa = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "reports", namespace: "payments" } };
    await kube.createObject(sa, { dryRun: true });
    expect(
      await kube.getObject({ apiVersion: "v1", kind: "ServiceAccount", namespace: "payments", name: "reports" }),
    ).toBeNull();
    const created = await kube.createObject<KubernetesObject>(sa);
    expect(created.metadata?.uid).toBeTruthy();
    const ref = { apiVersion: "v1", kind: "ServiceAccount", namespace: "payments", name: "reports" };
    expect((await kube.getObject(ref))?.metadata?.name).toBe("reports");
    await kube.deleteObject(ref, { dryRun: true });
    expect(await kube.getObject(ref)).not.toBeNull();
    await kube.deleteObject(ref);
    expect(await kube.getObject(ref)).toBeNull();
  });

  it("surfaces the API server's validation message", async () => {
    const err = await failure(
      kube.patchObject(
        { apiVersion: "v1", kind: "Pod", namespace: "payments", name: "payments-worker-0" },
        { spec: { serviceAccountName: "payments-api" } },
      ),
    );
    expect(err.status).toBe(422);
    expect(err.message).toContain("pod updates may not change fields");
    const missing = await failure(kube.patchObject({ apiVersion: "v1", kind: "Gadget", name: "x" }, {}));
    expect(missing.kind).toBe("not-found");
    expect(missing.message).toBe("the cluster does not serve Gadget in v1");
  });
});
