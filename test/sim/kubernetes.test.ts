// The simulated API server over real HTTPS: raw requests for wire shapes, and @kubernetes/client-node
// (typed APIs and the discovery-driven KubernetesObjectApi) to show a real client is satisfied.
import { CoreV1Api, KubernetesObjectApi, type V1ServiceAccount } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimSession, type SimSession } from "../../src/sim/environment.js";
import { API_SERVER, CLIENT_ID, ISSUER, k8sScenario, kubeRequest, type RawResponse } from "../helpers/k8s-scenario.js";

let session: SimSession;
const get = (path: string) => kubeRequest(session.world, "GET", path);
const names = (r: RawResponse) => (r.json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name);

beforeAll(async () => {
  session = await startSimSession(
    k8sScenario({
      kubernetes: { forbidden: ["mutatingwebhookconfigurations", "secretproviderclasses", "nodes/proxy"] },
    }),
  );
});
afterAll(async () => {
  await session?.close();
});

describe("lists and gets", () => {
  it("answers a namespaced list in the real list shape, items without kind, metadata filled in", async () => {
    const r = await get("/api/v1/namespaces/payments/serviceaccounts");
    expect(r.status).toBe(200);
    expect(r.json.kind).toBe("ServiceAccountList");
    expect(r.json.apiVersion).toBe("v1");
    expect(r.json.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(names(r)).toEqual(["default", "payments-api", "worker"]);
    for (const item of r.json.items) {
      expect(item.kind).toBeUndefined();
      expect(item.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(item.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(item.metadata.creationTimestamp).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    }
  });

  it("fills uids deterministically: two worlds from one scenario agree", async () => {
    const other = await startSimSession(k8sScenario());
    try {
      const a = await get("/api/v1/namespaces/payments/serviceaccounts/payments-api");
      const b = await kubeRequest(other.world, "GET", "/api/v1/namespaces/payments/serviceaccounts/payments-api");
      expect(a.json.metadata.uid).toBe(b.json.metadata.uid);
      expect(a.json.metadata.creationTimestamp).toBe(b.json.metadata.creationTimestamp);
    } finally {
      await other.close();
    }
  });

  it("keeps a creationTimestamp the scenario gives", async () => {
    const r = await get("/api/v1/namespaces/payments/pods/payments-api-6f7c9-b7k2m");
    expect(r.json.metadata.creationTimestamp).toBe("2025-03-01T10:00:00Z");
  });

  it("answers a get with the full object, kind included", async () => {
    const r = await get("/api/v1/namespaces/payments/serviceaccounts/payments-api");
    expect(r.status).toBe(200);
    expect(r.json.kind).toBe("ServiceAccount");
    expect(r.json.apiVersion).toBe("v1");
    expect(r.json.metadata.annotations["azure.workload.identity/client-id"]).toBe(CLIENT_ID);
  });

  it("serves cluster-wide lists", async () => {
    const pods = await get("/api/v1/pods");
    expect(pods.json.kind).toBe("PodList");
    const deployments = await get("/apis/apps/v1/deployments");
    expect(deployments.json.kind).toBe("DeploymentList");
    expect(deployments.json.apiVersion).toBe("apps/v1");
    expect(names(deployments)).toEqual(["azure-wi-webhook-controller-manager", "payments-api"]);
  });

  it("serves apps, batch, networking and admission resources", async () => {
    expect(names(await get("/apis/apps/v1/namespaces/payments/statefulsets"))).toEqual(["payments-worker"]);
    expect(names(await get("/apis/apps/v1/namespaces/payments/daemonsets"))).toEqual(["log-agent"]);
    expect(names(await get("/apis/apps/v1/namespaces/payments/replicasets"))).toEqual(["payments-api-6f7c9"]);
    expect(names(await get("/apis/batch/v1/namespaces/payments/jobs"))).toEqual([
      "payments-migrate",
      "payments-report-28930000",
    ]);
    expect(names(await get("/apis/batch/v1/namespaces/payments/cronjobs"))).toEqual(["payments-report"]);
    expect(names(await get("/apis/networking.k8s.io/v1/namespaces/payments/networkpolicies"))).toEqual(["deny-egress"]);
    const ep = await get("/api/v1/namespaces/kube-system/endpoints/azure-wi-webhook-webhook-service");
    expect(ep.json.subsets[0].addresses[0].ip).toBe("10.244.0.12");
    const cm = await get("/api/v1/namespaces/kube-system/configmaps/azure-wi-webhook-config");
    expect(cm.json.data.AZURE_ENVIRONMENT).toBe("AzurePublicCloud");
    const nodes = await get("/api/v1/nodes");
    expect(names(nodes)).toEqual(["aks-nodepool1-0"]);
  });

  it("serves custom resources, with kind on every item, in the namespace kubectl would put them", async () => {
    const r = await get("/apis/aadpodidentity.k8s.io/v1/namespaces/default/azureidentities");
    expect(r.status).toBe(200);
    expect(r.json.kind).toBe("AzureIdentityList");
    expect(r.json.items[0].kind).toBe("AzureIdentity");
    expect(r.json.items[0].apiVersion).toBe("aadpodidentity.k8s.io/v1");
    expect(r.json.items[0].spec.clientID).toBe("CLIENT_ID");
    const assigned = await get("/apis/aadpodidentity.k8s.io/v1/azureassignedidentities");
    expect(assigned.status).toBe(200);
    expect(assigned.json.items).toEqual([]);
  });

  it("does not serve a custom group the scenario never installed", async () => {
    const other = await startSimSession(k8sScenario({ kubernetes: { objects: [] } }));
    try {
      const r = await kubeRequest(other.world, "GET", "/apis/aadpodidentity.k8s.io/v1/azureidentities");
      expect(r.status).toBe(404);
      expect(r.json.message).toBe("the server could not find the requested resource");
      const groups = await kubeRequest(other.world, "GET", "/apis");
      expect(groups.json.groups.map((g: { name: string }) => g.name)).not.toContain("aadpodidentity.k8s.io");
    } finally {
      await other.close();
    }
  });

  it("serves a custom resource declared only by its CustomResourceDefinition", async () => {
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { kind: "Widget", plural: "widgets" },
        versions: [{ name: "v1alpha1", served: true }],
      },
    };
    const other = await startSimSession(k8sScenario({ kubernetes: { objects: [crd] } }));
    try {
      const r = await kubeRequest(other.world, "GET", "/apis/example.com/v1alpha1/namespaces/x/widgets");
      expect(r.status).toBe(200);
      expect(r.json.kind).toBe("WidgetList");
    } finally {
      await other.close();
    }
  });

  it("never returns secret data", async () => {
    const one = await get("/api/v1/namespaces/payments/secrets/payments-db");
    expect(one.status).toBe(200);
    expect(one.json.type).toBe("Opaque");
    expect(one.json.data).toBeUndefined();
    expect(one.text).not.toContain("c3VwZXItc2VjcmV0");
    const list = await get("/api/v1/namespaces/payments/secrets");
    expect(list.text).not.toContain("c3VwZXItc2VjcmV0");
  });

  it("knows the system namespaces and labels every namespace with its name", async () => {
    const r = await get("/api/v1/namespaces");
    expect(names(r).sort()).toEqual(["default", "kube-node-lease", "kube-public", "kube-system", "payments"]);
    const payments = await get("/api/v1/namespaces/payments");
    expect(payments.json.metadata.labels).toEqual({ team: "payments", "kubernetes.io/metadata.name": "payments" });
    const kubeSystem = await get("/api/v1/namespaces/kube-system");
    expect(kubeSystem.json.status.phase).toBe("Active");
    expect((await get("/api/v1/namespaces/nowhere")).status).toBe(404);
  });
});

describe("selectors and paging", () => {
  const pods = (query: string) => get(`/api/v1/namespaces/payments/pods?${query}`);

  it.each([
    ["app=payments-api", ["payments-api-6f7c9-b7k2m", "payments-api-6f7c9-x2x8q"]],
    ["app==payments-worker", ["payments-worker-0"]],
    ["app!=payments-api", ["payments-worker-0"]],
    ["tier in (backend,batch)", ["payments-worker-0"]],
    ["app notin (payments-api)", ["payments-worker-0"]],
    // A pod without the key matches != and notin, as in Kubernetes.
    ["tier!=backend", ["payments-api-6f7c9-b7k2m", "payments-api-6f7c9-x2x8q"]],
    ["tier notin (backend)", ["payments-api-6f7c9-b7k2m", "payments-api-6f7c9-x2x8q"]],
    ["tier in (backend),app", ["payments-worker-0"]],
    ["tier", ["payments-worker-0"]],
    ["!tier", ["payments-api-6f7c9-b7k2m", "payments-api-6f7c9-x2x8q"]],
    ["azure.workload.identity/use=true,app=payments-api", ["payments-api-6f7c9-b7k2m", "payments-api-6f7c9-x2x8q"]],
    ["app in (payments-api, payments-worker),!tier", ["payments-api-6f7c9-b7k2m", "payments-api-6f7c9-x2x8q"]],
  ])("labelSelector %s", async (selector, expected) => {
    const r = await pods(`labelSelector=${encodeURIComponent(selector)}`);
    expect(r.status).toBe(200);
    expect(names(r)).toEqual(expected);
  });

  it.each([
    ["spec.serviceAccountName=worker", ["payments-worker-0"]],
    ["spec.nodeName=aks-nodepool1-1", ["payments-api-6f7c9-b7k2m"]],
    ["status.phase!=Running", ["payments-worker-0"]],
    ["metadata.name=payments-api-6f7c9-x2x8q", ["payments-api-6f7c9-x2x8q"]],
    ["spec.serviceAccountName=payments-api,spec.nodeName=aks-nodepool1-0", ["payments-api-6f7c9-x2x8q"]],
  ])("fieldSelector %s", async (selector, expected) => {
    const r = await pods(`fieldSelector=${encodeURIComponent(selector)}`);
    expect(r.status).toBe(200);
    expect(names(r)).toEqual(expected);
  });

  it("filters events by involved object", async () => {
    const r = await get(
      `/api/v1/namespaces/payments/events?fieldSelector=${encodeURIComponent("involvedObject.name=payments-api-6f7c9-x2x8q")}`,
    );
    expect(r.json.items.map((e: { reason: string }) => e.reason)).toEqual(["FailedMount"]);
  });

  it("rejects a field the API server does not index, and a malformed label selector", async () => {
    const field = await pods("fieldSelector=spec.hostname%3Dx");
    expect(field.status).toBe(400);
    expect(field.json.kind).toBe("Status");
    expect(field.json.reason).toBe("BadRequest");
    expect(field.json.message).toBe("field label not supported: spec.hostname");
    const label = await pods(`labelSelector=${encodeURIComponent("app in payments")}`);
    expect(label.status).toBe(400);
    expect(label.json.message).toMatch(/unable to parse requirement/);
  });

  it("pages with limit and continue, and the pages add up to the whole list", async () => {
    const whole = names(await get("/api/v1/pods"));
    const paged: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await get(`/api/v1/pods?limit=2${token ? `&continue=${encodeURIComponent(token)}` : ""}`);
      expect(r.status).toBe(200);
      expect(r.json.items.length).toBeLessThanOrEqual(2);
      paged.push(...names(r));
      token = r.json.metadata.continue;
      if (token) expect(r.json.metadata.remainingItemCount).toBe(whole.length - paged.length);
      pages++;
    } while (token);
    expect(paged).toEqual(whole);
    expect(pages).toBe(Math.ceil(whole.length / 2));
  });

  it("rejects a continue token it did not issue", async () => {
    const r = await get("/api/v1/pods?limit=2&continue=bm90LWEtdG9rZW4");
    expect(r.status).toBe(400);
    expect(r.json.message).toMatch(/^continue key is not valid/);
  });
});

describe("errors as Status bodies", () => {
  it("404 names the resource and carries details", async () => {
    const r = await get("/api/v1/namespaces/payments/serviceaccounts/payment-api");
    expect(r.status).toBe(404);
    expect(r.json).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'serviceaccounts "payment-api" not found',
      reason: "NotFound",
      details: { name: "payment-api", kind: "serviceaccounts" },
      code: 404,
    });
    const d = await get("/apis/apps/v1/namespaces/payments/deployments/nope");
    expect(d.json.message).toBe('deployments.apps "nope" not found');
    expect(d.json.details).toEqual({ name: "nope", group: "apps", kind: "deployments" });
  });

  it("403 uses the RBAC message, namespaced and cluster-scoped", async () => {
    const spc = await get("/apis/secrets-store.csi.x-k8s.io/v1/namespaces/payments/secretproviderclasses");
    expect(spc.status).toBe(403);
    expect(spc.json.reason).toBe("Forbidden");
    expect(spc.json.message).toBe(
      'secretproviderclasses.secrets-store.csi.x-k8s.io is forbidden: User "operator" cannot list resource "secretproviderclasses" in API group "secrets-store.csi.x-k8s.io" in the namespace "payments"',
    );
    const mwc = await get(
      "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/azure-wi-webhook-mutating-webhook-configuration",
    );
    expect(mwc.status).toBe(403);
    expect(mwc.json.message).toBe(
      'mutatingwebhookconfigurations.admissionregistration.k8s.io "azure-wi-webhook-mutating-webhook-configuration" is forbidden: User "operator" cannot get resource "mutatingwebhookconfigurations" in API group "admissionregistration.k8s.io" at the cluster scope',
    );
  });

  it("uses the core-group form of the RBAC message", async () => {
    const other = await startSimSession(k8sScenario({ kubernetes: { forbidden: ["pods"] } }));
    try {
      const r = await kubeRequest(other.world, "GET", "/api/v1/namespaces/payments/pods");
      expect(r.json.message).toBe(
        'pods is forbidden: User "operator" cannot list resource "pods" in API group "" in the namespace "payments"',
      );
      const log = await kubeRequest(other.world, "GET", "/api/v1/namespaces/payments/pods/payments-worker-0/log");
      expect(log.status).toBe(403);
      expect(log.json.message).toContain('cannot get resource "pods/log"');
    } finally {
      await other.close();
    }
  });

  it("401 without the operator's token; /version needs none", async () => {
    const r = await kubeRequest(session.world, "GET", "/api/v1/namespaces/payments/pods", { token: "stolen" });
    expect(r.status).toBe(401);
    expect(r.json.reason).toBe("Unauthorized");
    const none = await kubeRequest(session.world, "GET", "/api/v1/namespaces", { token: null });
    expect(none.status).toBe(401);
    const version = await kubeRequest(session.world, "GET", "/version", { token: null });
    expect(version.status).toBe(200);
    expect(version.json.gitVersion).toBe("v1.30.4");
    expect(version.json.major).toBe("1");
    expect(version.json.minor).toBe("30");
  });

  it("answers unknown paths like the API server", async () => {
    expect((await get("/apis/apps/v1/namespaces/payments/gadgets")).json.message).toBe(
      "the server could not find the requested resource",
    );
    const plain = await get("/metrics-not-here");
    expect(plain.status).toBe(404);
    expect(plain.text).toBe("404 page not found\n");
  });
});

describe("discovery and the API server's OIDC documents", () => {
  it("lists the API groups and resources a client needs", async () => {
    const api = await get("/api");
    expect(api.json.versions).toEqual(["v1"]);
    const apis = await get("/apis");
    const groups = apis.json.groups.map((g: { name: string }) => g.name);
    expect(groups).toEqual(
      expect.arrayContaining([
        "apps",
        "batch",
        "networking.k8s.io",
        "admissionregistration.k8s.io",
        "aadpodidentity.k8s.io",
        "secrets-store.csi.x-k8s.io",
      ]),
    );
    const core = await get("/api/v1");
    const pod = core.json.resources.find((r: { name: string }) => r.name === "pods");
    expect(pod).toMatchObject({ kind: "Pod", namespaced: true });
    expect(core.json.resources.map((r: { name: string }) => r.name)).toEqual(
      expect.arrayContaining(["pods/log", "serviceaccounts/token", "namespaces", "endpoints"]),
    );
    const apps = await get("/apis/apps/v1");
    expect(apps.json.groupVersion).toBe("apps/v1");
    const csi = await get("/apis/secrets-store.csi.x-k8s.io/v1");
    expect(csi.json.resources.map((r: { name: string }) => r.name)).toContain("secretproviderclasses");
  });

  it("serves its discovery document and JWKS even when the public issuer is gone", async () => {
    const other = await startSimSession(k8sScenario({ kubernetes: { issuerReachable: false } }));
    try {
      const doc = await kubeRequest(other.world, "GET", "/.well-known/openid-configuration");
      expect(doc.status).toBe(200);
      expect(doc.json.issuer).toBe(ISSUER);
      expect(doc.json.jwks_uri).toBe(`${ISSUER}openid/v1/jwks`);
      const jwks = await kubeRequest(other.world, "GET", "/openid/v1/jwks");
      expect(jwks.headers["content-type"]).toBe("application/jwk-set+json");
      expect(jwks.json.keys[0].kid).toBe(other.world.issuerKeys.signing.kid);
      const publicDoc = await other.world.fetchJson(`${ISSUER}.well-known/openid-configuration`);
      expect(publicDoc.status).toBe(404);
    } finally {
      await other.close();
    }
  });
});

describe("writes", () => {
  const saPath = "/api/v1/namespaces/payments/serviceaccounts";

  it("a merge patch is visible on the next read and in the scenario's live state", async () => {
    const before = await get(`${saPath}/worker`);
    const r = await kubeRequest(session.world, "PATCH", `${saPath}/worker`, {
      body: { metadata: { annotations: { "azure.workload.identity/client-id": CLIENT_ID } } },
      contentType: "application/merge-patch+json",
    });
    expect(r.status).toBe(200);
    expect(Number(r.json.metadata.resourceVersion)).toBeGreaterThan(Number(before.json.metadata.resourceVersion));
    const after = await get(`${saPath}/worker`);
    expect(after.json.metadata.annotations["azure.workload.identity/client-id"]).toBe(CLIENT_ID);
    expect(after.json.metadata.uid).toBe(before.json.metadata.uid);
    const stored = session.world.scenario.kubernetes.objects.find(
      (o) => o.kind === "ServiceAccount" && o.metadata.name === "worker",
    ) as { metadata: { annotations?: Record<string, string> } };
    expect(stored.metadata.annotations?.["azure.workload.identity/client-id"]).toBe(CLIENT_ID);
    const removed = await kubeRequest(session.world, "PATCH", `${saPath}/worker`, {
      body: { metadata: { annotations: { "azure.workload.identity/client-id": null } } },
      contentType: "application/merge-patch+json",
    });
    expect(removed.json.metadata.annotations ?? {}).not.toHaveProperty("azure.workload.identity/client-id");
  });

  it("dryRun=All answers the result without storing it", async () => {
    const r = await kubeRequest(session.world, "PATCH", `${saPath}/default?dryRun=All`, {
      body: { metadata: { labels: { probe: "yes" } } },
      contentType: "application/strategic-merge-patch+json",
    });
    expect(r.status).toBe(200);
    expect(r.json.metadata.labels).toEqual({ probe: "yes" });
    expect((await get(`${saPath}/default`)).json.metadata.labels).toBeUndefined();
    const created = await kubeRequest(session.world, "POST", `${saPath}?dryRun=All`, {
      body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "dry" } },
    });
    expect(created.status).toBe(201);
    expect((await get(`${saPath}/dry`)).status).toBe(404);
  });

  it("applies a JSON patch", async () => {
    const r = await kubeRequest(session.world, "PATCH", "/apis/apps/v1/namespaces/payments/deployments/log-agent", {
      body: [],
      contentType: "application/json-patch+json",
    });
    expect(r.status).toBe(404);
    const ds = await kubeRequest(session.world, "PATCH", "/apis/apps/v1/namespaces/payments/daemonsets/log-agent", {
      body: [
        { op: "add", path: "/spec/template/metadata/labels/azure.workload.identity~1use", value: "true" },
        { op: "test", path: "/spec/template/metadata/labels/app", value: "log-agent" },
      ],
      contentType: "application/json-patch+json",
    });
    expect(ds.status).toBe(200);
    expect(ds.json.spec.template.metadata.labels).toEqual({ app: "log-agent", "azure.workload.identity/use": "true" });
    const failed = await kubeRequest(session.world, "PATCH", "/apis/apps/v1/namespaces/payments/daemonsets/log-agent", {
      body: [{ op: "remove", path: "/spec/nothing" }],
      contentType: "application/json-patch+json",
    });
    expect(failed.status).toBe(422);
  });

  it("creates, refuses duplicates, deletes", async () => {
    const body = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "reports" } };
    const created = await kubeRequest(session.world, "POST", saPath, { body });
    expect(created.status).toBe(201);
    expect(created.json.metadata.namespace).toBe("payments");
    expect(created.json.metadata.uid).toBeTruthy();
    const dup = await kubeRequest(session.world, "POST", saPath, { body });
    expect(dup.status).toBe(409);
    expect(dup.json.reason).toBe("AlreadyExists");
    expect(dup.json.message).toBe('serviceaccounts "reports" already exists');
    const gone = await kubeRequest(session.world, "DELETE", `${saPath}/reports`);
    expect(gone.status).toBe(200);
    expect(gone.json).toMatchObject({ kind: "Status", status: "Success", details: { name: "reports" } });
    expect((await get(`${saPath}/reports`)).status).toBe(404);
    const missingNs = await kubeRequest(session.world, "POST", "/api/v1/namespaces/nowhere/serviceaccounts", { body });
    expect(missingNs.status).toBe(404);
    expect(missingNs.json.message).toBe('namespaces "nowhere" not found');
  });

  it("validates like the API server: label values, pod immutability, stale updates, media types", async () => {
    const badLabel = await kubeRequest(session.world, "PATCH", `${saPath}/default`, {
      body: { metadata: { labels: { "azure.workload.identity/use": true } } },
      contentType: "application/merge-patch+json",
    });
    expect(badLabel.status).toBe(422);
    expect(badLabel.json.details.kind).toBe("ServiceAccount");
    const podPatch = await kubeRequest(session.world, "PATCH", "/api/v1/namespaces/payments/pods/payments-worker-0", {
      body: { spec: { serviceAccountName: "payments-api" } },
      contentType: "application/merge-patch+json",
    });
    expect(podPatch.status).toBe(422);
    expect(podPatch.json.message).toContain("pod updates may not change fields");
    const image = await kubeRequest(session.world, "PATCH", "/api/v1/namespaces/payments/pods/payments-worker-0", {
      body: [{ op: "replace", path: "/spec/containers/0/image", value: "contoso.azurecr.io/worker:2" }],
      contentType: "application/json-patch+json",
    });
    expect(image.status).toBe(200);
    const current = await get(`${saPath}/payments-api`);
    const stale = { ...current.json, metadata: { ...current.json.metadata, resourceVersion: "1" } };
    const put = await kubeRequest(session.world, "PUT", `${saPath}/payments-api`, { body: stale });
    expect(put.status).toBe(409);
    expect(put.json.reason).toBe("Conflict");
    const fresh = await kubeRequest(session.world, "PUT", `${saPath}/payments-api`, { body: current.json });
    expect(fresh.status).toBe(200);
    const apply = await kubeRequest(session.world, "PATCH", `${saPath}/default`, {
      body: "{}",
      contentType: "application/apply-patch+yaml",
    });
    expect(apply.status).toBe(415);
  });

  it("labels a synthesized namespace by storing it", async () => {
    const r = await kubeRequest(session.world, "PATCH", "/api/v1/namespaces/kube-public", {
      body: { metadata: { labels: { "azure-workload-identity.io/system": "true" } } },
      contentType: "application/merge-patch+json",
    });
    expect(r.status).toBe(200);
    const after = await get("/api/v1/namespaces/kube-public");
    expect(after.json.metadata.labels).toEqual({
      "azure-workload-identity.io/system": "true",
      "kubernetes.io/metadata.name": "kube-public",
    });
  });
});

describe("with @kubernetes/client-node", () => {
  it("typed APIs read the simulated cluster through the kubeconfig", async () => {
    const core = session.env.kubeconfig!.makeApiClient(CoreV1Api);
    const sa: V1ServiceAccount = await core.readNamespacedServiceAccount({
      namespace: "payments",
      name: "payments-api",
    });
    expect(sa.metadata?.annotations?.["azure.workload.identity/client-id"]).toBe(CLIENT_ID);
    const list = await core.listNamespacedPod({ namespace: "payments", labelSelector: "app=payments-api", limit: 1 });
    expect(list.items).toHaveLength(1);
    expect(list.metadata?._continue).toBeTruthy();
  });

  it("KubernetesObjectApi resolves kinds through discovery and patches", async () => {
    const client = KubernetesObjectApi.makeApiClient(session.env.kubeconfig!);
    const spc = await client.read({
      apiVersion: "aadpodidentity.k8s.io/v1",
      kind: "AzureIdentityBinding",
      metadata: { name: "demo-azure-id-binding", namespace: "default" },
    });
    expect((spc as unknown as { spec: { selector: string } }).spec.selector).toBe("demo");
    const patched = await client.patch(
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "payments-api", namespace: "payments", labels: { tier: "api" } },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      "application/merge-patch+json",
    );
    expect(patched.metadata?.labels).toEqual({ app: "payments-api", tier: "api" });
  });

  it("the API server host is the certificate name the client verified", () => {
    expect(session.world.apiServerHost).toBe(API_SERVER);
    expect(session.env.kubeconfig?.getCurrentCluster()?.tlsServerName).toBe(API_SERVER);
  });
});
