// plan_migration on a bundled world, applied by hand the way kubectl, az, the rollout, the webhook and MIC would
// apply it, must leave a world the workload identity diagnosis calls healthy, and be safe at every step.
import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { diagnoseAks } from "../../src/gather/aks.js";
import { diagnosePodIdentity, planPodIdentityMigration } from "../../src/gather/podid.js";
import type { MigrationPlan, MigrationStep, PlanChange } from "../../src/diagnosis/podid/migration.js";
import { startSimSession } from "../../src/sim/environment.js";
import { type KubeObject, loadScenario, parseScenario, type Scenario } from "../../src/sim/scenario.js";

const opts = () => ({ signal: AbortSignal.timeout(20_000), progress: async () => undefined });

type Obj = KubeObject & { spec?: any; metadata: any };

async function plan(scenario: Scenario, namespace?: string) {
  const session = await startSimSession(scenario);
  try {
    return await planPodIdentityMigration(session.env, { namespace }, opts());
  } finally {
    await session.close();
  }
}

const clone = (s: Scenario): Scenario => JSON.parse(JSON.stringify(s));

/** What the workload identity webhook (v1.5, the AKS add-on) adds to a labelled pod. */
function mutate(pod: Obj, scenario: Scenario) {
  const ns = pod.metadata.namespace;
  const saName = pod.spec.serviceAccountName ?? "default";
  const sa = scenario.kubernetes.objects.find(
    (o) => o.kind === "ServiceAccount" && o.metadata.name === saName && o.metadata.namespace === ns,
  ) as Obj | undefined;
  const ann = (sa?.metadata.annotations ?? {}) as Record<string, string>;
  const cm = scenario.kubernetes.objects.find(
    (o) => o.kind === "ConfigMap" && o.metadata.name === "azure-wi-webhook-config",
  ) as (Obj & { data: Record<string, string> }) | undefined;
  const env = [
    { name: "AZURE_CLIENT_ID", value: ann["azure.workload.identity/client-id"] },
    { name: "AZURE_TENANT_ID", value: ann["azure.workload.identity/tenant-id"] ?? cm?.data.AZURE_TENANT_ID },
    { name: "AZURE_FEDERATED_TOKEN_FILE", value: "/var/run/secrets/azure/tokens/azure-identity-token" },
    { name: "AZURE_AUTHORITY_HOST", value: "https://login.microsoftonline.com/" },
  ];
  for (const c of pod.spec.containers) {
    c.env = [...(c.env ?? []).filter((e: { name: string }) => !env.some((x) => x.name === e.name)), ...env];
    c.volumeMounts = [
      ...(c.volumeMounts ?? []),
      { mountPath: "/var/run/secrets/azure/tokens", name: "azure-identity-token", readOnly: true },
    ];
  }
  pod.spec.volumes = [
    ...(pod.spec.volumes ?? []),
    {
      name: "azure-identity-token",
      projected: {
        defaultMode: 420,
        sources: [
          {
            serviceAccountToken: {
              audience: "api://AzureADTokenExchange",
              expirationSeconds: 3600,
              path: "azure-identity-token",
            },
          },
        ],
      },
    },
  ];
}

let generation = 0;

/** Apply one step's change to the scenario's objects, as the commands in the step would. */
function apply(scenario: Scenario, change: PlanChange) {
  const objects = scenario.kubernetes.objects as Obj[];
  switch (change.type) {
    case "cluster-features": {
      const c = scenario.azure!.managedClusters.find((x) => x.name === change.cluster)!;
      c.oidcIssuerProfile = { enabled: true, issuerURL: scenario.kubernetes.issuer };
      c.securityProfile = { workloadIdentity: { enabled: true } };
      return;
    }
    case "service-account": {
      let sa = objects.find(
        (o) =>
          o.kind === "ServiceAccount" && o.metadata.name === change.name && o.metadata.namespace === change.namespace,
      );
      if (!sa) {
        expect(change.create).toBe(true);
        sa = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: change.name, namespace: change.namespace } };
        objects.push(sa);
      }
      sa.metadata.annotations = { ...(sa.metadata.annotations ?? {}), ...change.annotations };
      return;
    }
    case "federated-credential": {
      const id = scenario.azure!.userAssignedIdentities.find(
        (i) =>
          i.name === change.identity.name &&
          i.resourceGroup.toLowerCase() === change.identity.resourceGroup?.toLowerCase(),
      )!;
      id.federatedIdentityCredentials.push({
        name: change.name,
        issuer: change.issuer,
        subject: change.subject,
        audiences: change.audiences,
      });
      return;
    }
    case "pod-template": {
      const w = objects.find(
        (o) =>
          o.kind === change.workload.kind &&
          o.metadata.name === change.workload.name &&
          o.metadata.namespace === change.namespace,
      )!;
      const edit = (meta: any, spec: any) => {
        meta.labels = { ...(meta.labels ?? {}), ...change.addLabels };
        for (const l of change.removeLabels) delete meta.labels[l];
        if (Object.keys(change.addAnnotations).length)
          meta.annotations = { ...(meta.annotations ?? {}), ...change.addAnnotations };
        if (change.serviceAccountName) spec.serviceAccountName = change.serviceAccountName;
      };
      edit(w.spec.template.metadata, w.spec.template.spec);
      // The rollout: the old ReplicaSet and its pods go, new pods come from the new template.
      const selector = w.spec.selector.matchLabels as Record<string, string>;
      const old = objects.filter(
        (o) =>
          (o.kind === "Pod" || o.kind === "ReplicaSet") &&
          o.metadata.namespace === change.namespace &&
          Object.entries(selector).every(([k, v]) => o.metadata.labels?.[k] === v),
      );
      const oldPods = old.filter((o) => o.kind === "Pod") as Obj[];
      scenario.kubernetes.objects = objects.filter((o) => !old.includes(o));
      generation++;
      for (const p of oldPods) {
        const pod: Obj = JSON.parse(JSON.stringify(p));
        const tmpl = JSON.parse(JSON.stringify(w.spec.template));
        pod.metadata = {
          ...pod.metadata,
          name: `${change.workload.name}-7c4d9f8b${generation}-r${generation}x2p`,
          labels: tmpl.metadata.labels,
          annotations: tmpl.metadata.annotations,
          creationTimestamp: new Date().toISOString(),
        };
        delete pod.metadata.uid;
        delete pod.metadata.resourceVersion;
        pod.spec = {
          ...tmpl.spec,
          serviceAccountName: tmpl.spec.serviceAccountName ?? "default",
          nodeName: p.spec.nodeName,
        };
        if (pod.metadata.labels["azure.workload.identity/use"] === "true") mutate(pod, scenario);
        scenario.kubernetes.objects.push(pod);
      }
      // MIC drops the assignments of pods that are gone.
      const podNames = new Set(scenario.kubernetes.objects.filter((o) => o.kind === "Pod").map((o) => o.metadata.name));
      scenario.kubernetes.objects = scenario.kubernetes.objects.filter(
        (o) => o.kind !== "AzureAssignedIdentity" || podNames.has((o as Obj).spec?.pod),
      );
      addAssignments(scenario);
      return;
    }
    case "delete": {
      scenario.kubernetes.objects = objects.filter(
        (o) =>
          !(o.kind === change.kind && o.metadata.name === change.name && o.metadata.namespace === change.namespace),
      );
      addAssignments(scenario);
      return;
    }
  }
}

/** MIC: every pod a binding selects has an Assigned AzureAssignedIdentity; others have none. */
function addAssignments(scenario: Scenario) {
  const objects = scenario.kubernetes.objects as Obj[];
  const bindings = objects.filter((o) => o.kind === "AzureIdentityBinding");
  const pods = objects.filter((o) => o.kind === "Pod") as unknown as V1Pod[];
  const keep: Obj[] = [];
  for (const o of objects) {
    if (o.kind !== "AzureAssignedIdentity") keep.push(o);
  }
  for (const pod of pods) {
    const label = pod.metadata?.labels?.aadpodidbinding;
    const b = bindings.find((x) => label && x.spec.selector === label);
    if (!b) continue;
    const identity = objects.find((o) => o.kind === "AzureIdentity" && o.metadata.name === b.spec.azureIdentity);
    if (!identity) continue;
    keep.push({
      apiVersion: "aadpodidentity.k8s.io/v1",
      kind: "AzureAssignedIdentity",
      metadata: {
        name: `${pod.metadata?.name}-${pod.metadata?.namespace}-${identity.metadata.name}`,
        namespace: identity.metadata.namespace,
      },
      spec: {
        pod: pod.metadata?.name,
        podNamespace: pod.metadata?.namespace,
        nodename: pod.spec?.nodeName,
        azureIdentityRef: { metadata: identity.metadata, spec: identity.spec },
        azureBindingRef: { metadata: b.metadata, spec: b.spec },
      },
      status: { status: "Assigned" },
    } as Obj);
  }
  scenario.kubernetes.objects = keep;
}

function indexOf(steps: MigrationStep[], kind: MigrationStep["kind"]) {
  return steps.findIndex((s) => s.kind === kind);
}

describe("plan_migration", () => {
  it("orders the plan so the old path stays until the new one is verified", async () => {
    const scenario = loadScenario("podid-healthy");
    const p = await plan(scenario);
    const kinds = p.steps.map((s) => s.kind);
    expect(p.issuer).toBe(scenario.kubernetes.issuer);
    expect(p.issuerSource).toBe("arm");
    expect(p.bindings).toHaveLength(1);
    expect(p.bindings[0].workloads.map((w) => `${w.namespace}/${w.name}`)).toEqual(["orders/orders-api"]);
    // The workload ran as "default": it gets its own service account.
    expect(p.bindings[0].workloads[0].serviceAccount).toBe("orders-api");
    expect(p.bindings[0].workloads[0].serviceAccountIsNew).toBe(true);
    expect(kinds).not.toContain("enable-cluster-features");
    const order = [
      indexOf(p.steps, "create-service-account"),
      indexOf(p.steps, "create-federated-credential"),
      indexOf(p.steps, "switch-pod-template"),
      indexOf(p.steps, "roll-out"),
      indexOf(p.steps, "verify"),
      indexOf(p.steps, "remove-pod-identity-label"),
      indexOf(p.steps, "delete-binding"),
      indexOf(p.steps, "delete-azure-identity"),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(p.steps.map((s) => s.order)).toEqual(p.steps.map((_, i) => i + 1));

    const fic = p.steps.find((s) => s.kind === "create-federated-credential")!;
    expect(fic.commands[0]).toContain("az identity federated-credential create");
    expect(fic.commands[0]).toContain("--identity-name orders-mi");
    expect(fic.commands[0]).toContain("--resource-group rg-shop-identities");
    expect(fic.commands[0]).toContain(`--issuer ${scenario.kubernetes.issuer}`);
    expect(fic.commands[0]).toContain("--subject system:serviceaccount:orders:orders-api");
    expect(fic.commands[0]).toContain("--audience api://AzureADTokenExchange");
    const sa = p.steps.find((s) => s.kind === "create-service-account")!;
    expect(sa.commands.join("\n")).toContain("azure.workload.identity/client-id=0f6a2c8e-4b1d-4e7a-9c3f-5d8b0e2a4c6f");
    expect(sa.manifest).toContain("kind: ServiceAccount");
    const sw = p.steps.find((s) => s.kind === "switch-pod-template")!;
    expect(sw.commands[0]).toContain('"azure.workload.identity/use":"true"');
    expect(sw.commands[0]).toContain('"serviceAccountName":"orders-api"');
    expect(sw.manifest).toContain("aadpodidbinding");
    const remove = p.steps.find((s) => s.kind === "remove-pod-identity-label")!;
    expect(remove.commands[0]).toContain('"aadpodidbinding":null');
    // The SDK version is not visible through the API: the plan says what to check and offers the sidecar.
    const check = p.steps.find((s) => s.kind === "check-sdk")!;
    expect(check.description).toMatch(/cannot see/);
    expect(check.commands.join(" ")).toContain("azure.workload.identity/inject-proxy-sidecar");
  });

  it("applied by hand, leaves a world the workload identity diagnosis calls healthy, and nothing breaks mid-way", async () => {
    const original = loadScenario("podid-healthy");
    const p: MigrationPlan = await plan(original);
    let world = clone(original);
    const target = { namespace: "orders", workload: "Deployment/orders-api" };
    for (const step of p.steps) {
      if (step.change) apply(world, step.change);
      world = parseScenario(world);
      if (step.kind === "verify") {
        // Mid-way: both paths work, the label is still there.
        const session = await startSimSession(world);
        try {
          const wi = await diagnoseAks(session.env, target, opts());
          expect(wi.findings.filter((f) => f.severity === "error").map((f) => `${f.id}: ${f.title}`)).toEqual([]);
          const podid = await diagnosePodIdentity(session.env, target, opts());
          expect(podid.findings.filter((f) => f.severity === "error").map((f) => `${f.id}: ${f.title}`)).toEqual([]);
        } finally {
          await session.close();
        }
      }
    }
    const objects = world.kubernetes.objects as Obj[];
    expect(objects.some((o) => o.kind === "AzureIdentityBinding" || o.kind === "AzureIdentity")).toBe(false);
    const pods = objects.filter((o) => o.kind === "Pod" && o.metadata.namespace === "orders");
    expect(
      pods.every(
        (o) => !o.metadata.labels.aadpodidbinding && o.metadata.labels["azure.workload.identity/use"] === "true",
      ),
    ).toBe(true);

    const session = await startSimSession(world);
    try {
      const report = await diagnoseAks(session.env, target, opts());
      expect(report.findings.filter((f) => f.severity !== "info").map((f) => `${f.id}: ${f.title}`)).toEqual([]);
      expect(report.verdict).toBe("healthy");
    } finally {
      await session.close();
    }
  });

  it("applied only partly (the clean-up skipped), the old path is still in place", async () => {
    const original = loadScenario("podid-healthy");
    const p = await plan(original);
    const world = clone(original);
    for (const step of p.steps.filter((s) => s.phase !== "clean-up")) if (step.change) apply(world, step.change);
    const objects = world.kubernetes.objects as Obj[];
    expect(objects.some((o) => o.kind === "AzureIdentityBinding")).toBe(true);
    const pods = objects.filter((o) => o.kind === "Pod" && o.metadata.namespace === "orders");
    expect(pods.every((o) => o.metadata.labels.aadpodidbinding === "orders-api")).toBe(true);
  });

  it("adds the migration sidecar for a container whose identity library predates workload identity", async () => {
    const s = clone(loadScenario("podid-healthy"));
    const d = s.kubernetes.objects.find((o) => o.kind === "Deployment" && o.metadata.name === "orders-api") as Obj;
    d.spec.template.metadata.annotations = { "wi-doctor.io/azure-identity-sdk": "orders-api=python@1.12.0" };
    const p = await plan(parseScenario(s));
    const w = p.bindings[0].workloads[0];
    expect(w.proxySidecar).toBe(true);
    expect(w.sdk[0]).toMatchObject({ status: "too-old", ecosystem: "python", version: "1.12.0", minimum: "1.13.0" });
    const sw = p.steps.find((x) => x.kind === "switch-pod-template")!;
    expect(sw.change).toMatchObject({
      addAnnotations: {
        "azure.workload.identity/inject-proxy-sidecar": "true",
        "azure.workload.identity/proxy-sidecar-port": "8000",
      },
    });
    expect(sw.commands[0]).toContain("azure.workload.identity/inject-proxy-sidecar");
  });

  it("enables the OIDC issuer and workload identity first when the cluster lacks them", async () => {
    const s = clone(loadScenario("podid-healthy"));
    s.azure!.managedClusters[0].oidcIssuerProfile = { enabled: false };
    s.azure!.managedClusters[0].securityProfile = { workloadIdentity: { enabled: false } };
    const p = await plan(parseScenario(s));
    expect(p.steps[0].kind).toBe("enable-cluster-features");
    expect(p.steps[0].commands[0]).toBe(
      "az aks update --name shop-aks --resource-group rg-shop --enable-oidc-issuer --enable-workload-identity",
    );
    // ARM has no issuer yet: the API server's own issuer is used, and said so.
    expect(p.issuerSource).toBe("api-server");
    expect(p.warnings.join(" ")).toMatch(/API server/);
  });
});
