// A simulated cluster for the Kubernetes tests, with objects shaped like the real ones: pods as the
// workload identity webhook v1.5 and v1.6 mutate them, the webhook's own manifest, aad-pod-identity and
// Secrets Store CSI custom resources.
import { request } from "node:https";
import { parseScenario, type Scenario, type ScenarioInput } from "../../src/sim/scenario.js";
import type { SimWorld } from "../../src/sim/world.js";
import { SIM_KUBE_TOKEN } from "../../src/sim/constants.js";

export const TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const CLIENT_ID = "0f2a4c6e-8b1d-4e3f-a5c7-9e1b3d5f7a90";
export const API_SERVER = "payments-dns-4f1c.hcp.westeurope.azmk8s.io";
export const ISSUER = `https://westeurope.oic.prod-aks.azure.com/${TENANT_ID}/5c8e2a1f-3b7d-4e9a-8c6f-1d2e3f4a5b6c/`;

const ns = "payments";

function mutatedPodV16(name: string, owner: { kind: string; name: string }, nodeName: string, phase: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: ns,
      labels: { app: "payments-api", "azure.workload.identity/use": "true", "pod-template-hash": "6f7c9" },
      ownerReferences: [{ apiVersion: "apps/v1", kind: owner.kind, name: owner.name, controller: true }],
    },
    spec: {
      serviceAccountName: "payments-api",
      nodeName,
      containers: [
        {
          name: "api",
          image: "contoso.azurecr.io/payments-api:2.4.1",
          env: [
            { name: "AZURE_CLIENT_ID", value: CLIENT_ID },
            { name: "AZURE_TENANT_ID", value: TENANT_ID },
            { name: "AZURE_FEDERATED_TOKEN_FILE", value: "/var/run/secrets/azure/wi/token/azure-identity-token" },
            { name: "AZURE_AUTHORITY_HOST", value: "https://login.microsoftonline.com/" },
          ],
          volumeMounts: [
            {
              mountPath: "/var/run/secrets/azure/wi",
              name: "azure-workload-identity-reserved-a94beddb35177ade9c5d04f292b481",
              readOnly: true,
            },
          ],
        },
      ],
      volumes: [
        {
          name: "azure-workload-identity-reserved-a94beddb35177ade9c5d04f292b481",
          projected: {
            defaultMode: 420,
            sources: [
              {
                serviceAccountToken: {
                  audience: "api://AzureADTokenExchange",
                  expirationSeconds: 3600,
                  path: "token/azure-identity-token",
                },
              },
            ],
          },
        },
      ],
    },
    status: { phase },
  };
}

function mutatedPodV15(name: string, nodeName: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: ns,
      labels: { app: "payments-api", "azure.workload.identity/use": "true", "pod-template-hash": "6f7c9" },
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "payments-api-6f7c9", controller: true }],
      creationTimestamp: "2025-03-01T10:00:00Z",
    },
    spec: {
      serviceAccountName: "payments-api",
      nodeName,
      containers: [
        {
          name: "api",
          image: "contoso.azurecr.io/payments-api:2.4.0",
          env: [
            { name: "AZURE_CLIENT_ID", value: CLIENT_ID },
            { name: "AZURE_TENANT_ID", value: TENANT_ID },
            { name: "AZURE_FEDERATED_TOKEN_FILE", value: "/var/run/secrets/azure/tokens/azure-identity-token" },
            { name: "AZURE_AUTHORITY_HOST", value: "https://login.microsoftonline.com/" },
          ],
          volumeMounts: [{ mountPath: "/var/run/secrets/azure/tokens", name: "azure-identity-token", readOnly: true }],
        },
      ],
      volumes: [
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
      ],
    },
    status: { phase: "Running" },
  };
}

const podTemplate = (labels: Record<string, string>, serviceAccountName: string, containers = ["api"]) => ({
  metadata: { labels },
  spec: { serviceAccountName, containers: containers.map((name) => ({ name, image: `contoso.azurecr.io/${name}:1` })) },
});

/** The webhook's MutatingWebhookConfiguration as the v1.6.0 manifest installs it. */
export const webhookConfiguration = {
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "MutatingWebhookConfiguration",
  metadata: {
    name: "azure-wi-webhook-mutating-webhook-configuration",
    labels: { "azure-workload-identity.io/system": "true" },
  },
  webhooks: [
    {
      admissionReviewVersions: ["v1", "v1beta1"],
      clientConfig: {
        service: { name: "azure-wi-webhook-webhook-service", namespace: "kube-system", path: "/mutate-v1-pod" },
      },
      failurePolicy: "Fail",
      matchPolicy: "Equivalent",
      name: "mutation.azure-workload-identity.io",
      objectSelector: { matchLabels: { "azure.workload.identity/use": "true" } },
      reinvocationPolicy: "IfNeeded",
      rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }],
      sideEffects: "None",
    },
  ],
};

export function clusterObjects(opts: { bulkPods?: number } = {}): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { team: "payments" } } },
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        name: "payments-api",
        namespace: ns,
        annotations: { "azure.workload.identity/client-id": CLIENT_ID, "azure.workload.identity/tenant-id": TENANT_ID },
      },
    },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace: ns } },
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "worker", namespace: ns } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "payments-api", namespace: ns, labels: { app: "payments-api" } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "payments-api" } },
        template: podTemplate({ app: "payments-api", "azure.workload.identity/use": "true" }, "payments-api"),
      },
      status: { replicas: 2, readyReplicas: 2 },
    },
    {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: "payments-api-6f7c9",
        namespace: ns,
        labels: { app: "payments-api", "pod-template-hash": "6f7c9" },
        ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "payments-api", controller: true }],
      },
      spec: {
        selector: { matchLabels: { app: "payments-api", "pod-template-hash": "6f7c9" } },
        template: podTemplate({ app: "payments-api", "pod-template-hash": "6f7c9" }, "payments-api"),
      },
    },
    mutatedPodV16(
      "payments-api-6f7c9-x2x8q",
      { kind: "ReplicaSet", name: "payments-api-6f7c9" },
      "aks-nodepool1-0",
      "Running",
    ),
    mutatedPodV15("payments-api-6f7c9-b7k2m", "aks-nodepool1-1"),
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "payments-worker", namespace: ns },
      spec: {
        serviceName: "payments-worker",
        selector: {
          matchLabels: { app: "payments-worker" },
          matchExpressions: [{ key: "tier", operator: "In", values: ["backend", "batch"] }],
        },
        template: podTemplate({ app: "payments-worker", tier: "backend" }, "worker", ["worker", "sidecar"]),
      },
    },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "payments-worker-0",
        namespace: ns,
        labels: { app: "payments-worker", tier: "backend" },
        ownerReferences: [{ apiVersion: "apps/v1", kind: "StatefulSet", name: "payments-worker", controller: true }],
      },
      spec: {
        serviceAccountName: "worker",
        nodeName: "aks-nodepool1-0",
        containers: [
          { name: "worker", image: "contoso.azurecr.io/worker:1" },
          { name: "sidecar", image: "contoso.azurecr.io/sidecar:1" },
        ],
      },
      status: { phase: "Pending" },
    },
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "log-agent", namespace: ns },
      spec: { selector: { matchLabels: { app: "log-agent" } }, template: podTemplate({ app: "log-agent" }, "default") },
    },
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "payments-migrate", namespace: ns },
      spec: { template: podTemplate({ "job-name": "payments-migrate" }, "payments-api", ["migrate"]) },
    },
    {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "payments-report", namespace: ns },
      spec: {
        schedule: "0 2 * * *",
        jobTemplate: {
          spec: {
            template: podTemplate({ app: "payments-report", "azure.workload.identity/use": "true" }, "payments-api", [
              "report",
            ]),
          },
        },
      },
    },
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: "payments-report-28930000",
        namespace: ns,
        ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "payments-report", controller: true }],
      },
      spec: { template: podTemplate({ app: "payments-report" }, "payments-api", ["report"]) },
    },
    {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "payments-api-6f7c9-x2x8q.17f3a", namespace: ns },
      involvedObject: { kind: "Pod", name: "payments-api-6f7c9-x2x8q", namespace: ns },
      reason: "FailedMount",
      type: "Warning",
      message: 'MountVolume.SetUp failed for volume "secrets-store-inline"',
    },
    {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "payments-api.17f3b", namespace: ns },
      involvedObject: { kind: "Deployment", name: "payments-api", namespace: ns },
      reason: "ScalingReplicaSet",
      type: "Normal",
      message: "Scaled up replica set payments-api-6f7c9 to 2",
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "payments-db", namespace: ns },
      type: "Opaque",
      data: { password: "c3VwZXItc2VjcmV0" },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "deny-egress", namespace: ns },
      spec: { podSelector: {}, policyTypes: ["Egress"] },
    },
    {
      apiVersion: "secrets-store.csi.x-k8s.io/v1",
      kind: "SecretProviderClass",
      metadata: { name: "azure-kvname-wi", namespace: ns },
      spec: {
        provider: "azure",
        parameters: { usePodIdentity: "false", clientID: CLIENT_ID, keyvaultName: "kvname", tenantID: TENANT_ID },
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "azure-wi-webhook-controller-manager", namespace: "kube-system" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { "azure-workload-identity.io/system": "true" } },
        template: podTemplate({ "azure-workload-identity.io/system": "true" }, "azure-wi-webhook-admin", ["manager"]),
      },
      status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 },
    },
    {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name: "azure-wi-webhook-webhook-service", namespace: "kube-system" },
      subsets: [{ addresses: [{ ip: "10.244.0.12" }], ports: [{ port: 9443, protocol: "TCP" }] }],
    },
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "azure-wi-webhook-config", namespace: "kube-system" },
      data: { AZURE_ENVIRONMENT: "AzurePublicCloud", AZURE_TENANT_ID: TENANT_ID },
    },
    webhookConfiguration,
    {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "aks-nodepool1-0", labels: { "kubernetes.io/os": "linux", agentpool: "nodepool1" } },
    },
    {
      apiVersion: "aadpodidentity.k8s.io/v1",
      kind: "AzureIdentity",
      metadata: { name: "demo-aad1" },
      spec: { type: 0, resourceID: "RESOURCE_ID", clientID: "CLIENT_ID" },
    },
    {
      apiVersion: "aadpodidentity.k8s.io/v1",
      kind: "AzureIdentityBinding",
      metadata: { name: "demo-azure-id-binding" },
      spec: { azureIdentity: "demo-aad1", selector: "demo" },
    },
  ];
  for (let i = 0; i < (opts.bulkPods ?? 0); i++) {
    objects.push({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `load-${String(i).padStart(4, "0")}`, namespace: "bulk", labels: { tier: "load" } },
      spec: { serviceAccountName: "default", containers: [{ name: "load", image: "busybox" }] },
      status: { phase: "Running" },
    });
  }
  return objects;
}

/** Lines from two hours ago and from just now, so sinceSeconds has something to cut. */
export function apiLog(now = Date.now()): string {
  const old = new Date(now - 2 * 3600_000).toISOString();
  const recent = new Date(now - 5_000).toISOString();
  return [
    `${old} starting payments-api 2.4.1`,
    `${old} connected to database`,
    `${recent} ManagedIdentityCredential authentication failed`,
    `${recent} AADSTS700213: No matching federated identity record found for presented assertion subject`,
  ].join("\n");
}

export function k8sScenario(
  overrides: { kubernetes?: Partial<NonNullable<ScenarioInput["kubernetes"]>>; faults?: ScenarioInput["faults"] } = {},
  opts: { bulkPods?: number } = {},
): Scenario {
  return parseScenario({
    name: "k8s-provider-test",
    description: "A payments namespace on an AKS cluster with workload identity, the webhook and a few legacy CRs.",
    platform: "aks",
    target: { namespace: ns, serviceAccount: "payments-api" },
    kubernetes: {
      server: `https://${API_SERVER}:443`,
      issuer: ISSUER,
      version: "1.30.4",
      objects: clusterObjects(opts),
      logs: {
        "payments/payments-api-6f7c9-x2x8q": apiLog(),
        "payments/payments-worker-0/worker": "worker line 1\nworker line 2\nworker line 3\n",
        "payments/payments-worker-0/sidecar": "sidecar ready\n",
      },
      ...overrides.kubernetes,
    },
    ...(overrides.faults ? { faults: overrides.faults } : {}),
  });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/** A plain HTTPS request to the simulated API server by its real host name, through the world's agent. */
export function kubeRequest(
  world: SimWorld,
  method: string,
  path: string,
  opts: { body?: unknown; contentType?: string; token?: string | null } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { accept: "application/json" };
  const token = opts.token === undefined ? SIM_KUBE_TOKEN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (opts.body !== undefined) {
    payload = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    headers["content-type"] = opts.contentType ?? "application/json";
  }
  return new Promise((resolve, reject) => {
    const req = request(
      `https://${world.apiServerHost}${path}`,
      { method, headers, agent: world.agent, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer for ${method} ${path}`)));
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
