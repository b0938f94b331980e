// A generated AKS world of any size for the audit: the cluster of the bundled aks-healthy world, plus
// namespaces of service accounts, each run by a Deployment (with its ReplicaSet and pods) and federated to a
// user-assigned identity shared by a few service accounts. Every `brokenEvery`-th service account's federated
// credential names the wrong namespace.
import { createHash } from "node:crypto";
import { loadScenario, parseScenario, type Scenario } from "../sim/scenario.js";

export interface FleetSize {
  namespaces: number;
  serviceAccounts: number;
  pods: number;
  identities: number;
  /** 0: all healthy. */
  brokenEvery?: number;
}

function guid(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function fleetScenario(size: FleetSize): Scenario {
  const base = loadScenario("aks-healthy");
  const issuer = base.kubernetes.issuer;
  const objects = base.kubernetes.objects.filter(
    (o) => o.metadata.namespace !== "payments" && !(o.kind === "Namespace" && o.metadata.name === "payments"),
  );
  const identities = Array.from({ length: size.identities }, (_, i) => ({
    name: `app-identity-${i}`,
    resourceGroup: "apps-rg",
    clientId: guid(`client-${i}`),
    principalId: guid(`principal-${i}`),
    location: "westeurope",
    federatedIdentityCredentials: [] as { name: string; issuer: string; subject: string; audiences: string[] }[],
  }));
  for (let n = 0; n < size.namespaces; n++) {
    objects.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: `team-${n}` } });
  }
  const podsPerSa = Math.max(1, Math.floor(size.pods / size.serviceAccounts));
  for (let s = 0; s < size.serviceAccounts; s++) {
    const ns = `team-${s % size.namespaces}`;
    const name = `app-${s}`;
    const identity = identities[s % size.identities];
    const broken = size.brokenEvery ? s % size.brokenEvery === size.brokenEvery - 1 : false;
    identity.federatedIdentityCredentials.push({
      name: `${ns}-${name}`,
      issuer,
      subject: `system:serviceaccount:${broken ? `${ns}x` : ns}:${name}`,
      audiences: ["api://AzureADTokenExchange"],
    });
    objects.push({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name, namespace: ns, annotations: { "azure.workload.identity/client-id": identity.clientId } },
    });
    const labels = { app: name, "azure.workload.identity/use": "true" };
    const hash = createHash("sha256").update(name).digest("hex").slice(0, 9);
    const template = {
      metadata: { labels },
      spec: { serviceAccountName: name, containers: [{ name: "app", image: "contoso.azurecr.io/app:1.0.0" }] },
    };
    objects.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: ns, labels: { app: name } },
      spec: { replicas: podsPerSa, selector: { matchLabels: { app: name } }, template },
      status: { replicas: podsPerSa, readyReplicas: podsPerSa, availableReplicas: podsPerSa },
    });
    objects.push({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: `${name}-${hash}`,
        namespace: ns,
        labels: { ...labels, "pod-template-hash": hash },
        ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name, uid: guid(`d-${s}`), controller: true }],
      },
      spec: { replicas: podsPerSa, selector: { matchLabels: { app: name, "pod-template-hash": hash } }, template },
    });
    for (let p = 0; p < podsPerSa; p++) {
      objects.push(
        fleetPod({ name, ns, hash, p, s, labels, clientId: identity.clientId, tenantId: base.azure!.tenantId }),
      );
    }
  }
  return parseScenario({
    ...base,
    name: "aks-generated-fleet",
    description: `Generated: ${size.serviceAccounts} service accounts, ${size.pods} pods, ${size.identities} identities`,
    target: { namespace: "team-0", serviceAccount: "app-0" },
    kubernetes: { ...base.kubernetes, objects },
    azure: { ...base.azure!, userAssignedIdentities: identities, roleAssignments: [], keyVaults: [] },
    expect: { findings: [] },
  });
}

/** One pod of a generated Deployment, as the workload identity webhook leaves it. */
function fleetPod(x: {
  name: string;
  ns: string;
  hash: string;
  p: number;
  s: number;
  labels: Record<string, string>;
  clientId: string;
  tenantId: string;
}) {
  const { name, ns, hash, p, s, labels } = x;
  const identity = { clientId: x.clientId };
  const base = { azure: { tenantId: x.tenantId } };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${name}-${hash}-p${p}`,
      namespace: ns,
      creationTimestamp: "2026-11-20T09:12:00Z",
      labels: { ...labels, "pod-template-hash": hash },
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: `${name}-${hash}`,
          uid: guid(`rs-${s}`),
          controller: true,
        },
      ],
    },
    spec: {
      serviceAccountName: name,
      containers: [
        {
          name: "app",
          image: "contoso.azurecr.io/app:1.0.0",
          env: [
            { name: "AZURE_CLIENT_ID", value: identity.clientId },
            { name: "AZURE_TENANT_ID", value: base.azure!.tenantId },
            { name: "AZURE_FEDERATED_TOKEN_FILE", value: "/var/run/secrets/azure/tokens/azure-identity-token" },
            { name: "AZURE_AUTHORITY_HOST", value: "https://login.microsoftonline.com/" },
          ],
          volumeMounts: [{ name: "azure-identity-token", mountPath: "/var/run/secrets/azure/tokens", readOnly: true }],
        },
      ],
      volumes: [
        {
          name: "azure-identity-token",
          projected: {
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
      ],
    },
    status: { phase: "Running" },
  };
}
