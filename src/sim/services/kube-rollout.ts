// The simulated controllers behind a rollout: when a Deployment's, StatefulSet's or DaemonSet's pod template
// changes (a label, a restartedAt annotation), its pods are replaced by new ones made from the template, and the
// admission webhooks the cluster runs mutate them as they are created: the Azure Workload Identity webhook (pods
// labelled azure.workload.identity/use=true), the EKS pod identity webhook (IRSA role-arn annotation) and EKS Pod
// Identity (an association for the service account). A webhook whose service has no ready endpoints mutates nothing.
import { createHash } from "node:crypto";
import type { SimWorld } from "../world.js";

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
};
type Container = {
  name: string;
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
};
type PodSpec = {
  serviceAccountName?: string;
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Record<string, unknown>[];
};

const ROLLED_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function selectorMatches(selector: unknown, labels: Record<string, string> | undefined): boolean {
  const m = (selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;
  if (!m || !Object.keys(m).length) return false;
  return Object.entries(m).every(([k, v]) => labels?.[k] === v);
}

/** Whether the webhook configuration's webhook would be called for these pod labels and could answer. */
function webhookServes(objects: Obj[], webhook: Record<string, unknown>, labels: Record<string, string>): boolean {
  const sel = webhook.objectSelector as
    | { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string }[] }
    | undefined;
  if (sel?.matchLabels && !Object.entries(sel.matchLabels).every(([k, v]) => labels[k] === v)) return false;
  for (const e of sel?.matchExpressions ?? []) {
    if (e.operator === "DoesNotExist" && e.key in labels) return false;
    if (e.operator === "Exists" && !(e.key in labels)) return false;
  }
  const service = (webhook.clientConfig as { service?: { name: string; namespace: string } } | undefined)?.service;
  if (!service) return true;
  const endpoints = objects.find(
    (o) => o.kind === "Endpoints" && o.metadata.name === service.name && o.metadata.namespace === service.namespace,
  ) as { subsets?: { addresses?: unknown[] }[] } | undefined;
  return (endpoints?.subsets ?? []).some((s) => (s.addresses ?? []).length > 0);
}

function setEnv(c: Container, name: string, value: string): void {
  c.env ??= [];
  if (!c.env.some((e) => e.name === name)) c.env.push({ name, value });
}

function addTokenVolume(
  spec: PodSpec,
  volume: string,
  mountPath: string,
  audience: string,
  seconds: number,
  path: string,
) {
  spec.volumes ??= [];
  if (!spec.volumes.some((v) => v.name === volume)) {
    spec.volumes.push({
      name: volume,
      projected: {
        defaultMode: 420,
        sources: [{ serviceAccountToken: { audience, expirationSeconds: seconds, path } }],
      },
    });
  }
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    c.volumeMounts ??= [];
    if (!c.volumeMounts.some((m) => m.name === volume))
      c.volumeMounts.push({ name: volume, mountPath, readOnly: true });
  }
}

/**
 * The identity binding proxy's TLS server name: "a" + base32hex(sha256("identity-binding" + cluster id)) +
 * ".ests.aks", lower case (as the secrets-store CSI Azure provider derives it; the cluster id here is the API
 * server's host, the real one a SAN of its certificate).
 */
function bindingSniName(world: SimWorld): string {
  const digest = createHash("sha256").update(`identity-binding${world.apiServerHost}`).digest();
  const alphabet = "0123456789abcdefghijklmnopqrstuv";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return `a${out}.ests.aks`;
}

function mutateAzure(world: SimWorld, objects: Obj[], pod: Obj, sa: Obj | undefined): void {
  const spec = pod.spec as PodSpec;
  // Identity bindings: the pod asks for the proxy path; the token is for the proxy, not for Entra.
  const binding = pod.metadata.annotations?.["azure.workload.identity/use-identity-binding"] === "true";
  const ann = sa?.metadata.annotations ?? {};
  const config = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "azure-wi-webhook-config") as
    | { data?: Record<string, string> }
    | undefined;
  const tenant =
    ann["azure.workload.identity/tenant-id"] ?? config?.data?.AZURE_TENANT_ID ?? world.scenario.azure?.tenantId;
  const skip = new Set(
    (pod.metadata.annotations?.["azure.workload.identity/skip-containers"] ?? "").split(";").filter(Boolean),
  );
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    if (skip.has(c.name)) continue;
    const clientId = ann["azure.workload.identity/client-id"];
    if (clientId) setEnv(c, "AZURE_CLIENT_ID", clientId);
    if (tenant) setEnv(c, "AZURE_TENANT_ID", tenant);
    setEnv(c, "AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/azure/tokens/azure-identity-token");
    setEnv(c, "AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com/");
    if (binding) {
      setEnv(c, "AZURE_KUBERNETES_TOKEN_PROXY", "https://kubernetes.default.svc.cluster.local");
      setEnv(c, "AZURE_KUBERNETES_SNI_NAME", bindingSniName(world));
      setEnv(c, "AZURE_KUBERNETES_CA_FILE", "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt");
    }
  }
  const seconds = Number(ann["azure.workload.identity/service-account-token-expiration"] ?? "3600") || 3600;
  addTokenVolume(
    spec,
    "azure-identity-token",
    "/var/run/secrets/azure/tokens",
    binding ? "api://AKSIdentityBinding" : "api://AzureADTokenExchange",
    seconds,
    "azure-identity-token",
  );
}

function mutateAws(world: SimWorld, pod: Obj, sa: Obj | undefined): void {
  const spec = pod.spec as PodSpec;
  const aws = world.scenario.aws;
  const region = aws?.region;
  const ns = pod.metadata.namespace;
  const saName = spec.serviceAccountName ?? "default";
  const association = aws?.podIdentityAssociations.find((a) => a.namespace === ns && a.serviceAccount === saName);
  const roleArn = sa?.metadata.annotations?.["eks.amazonaws.com/role-arn"];
  for (const c of spec.containers ?? []) {
    if (association || roleArn) {
      setEnv(c, "AWS_STS_REGIONAL_ENDPOINTS", "regional");
      if (region) {
        setEnv(c, "AWS_DEFAULT_REGION", region);
        setEnv(c, "AWS_REGION", region);
      }
    }
    if (association) {
      setEnv(c, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials");
      setEnv(
        c,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
      );
    } else if (roleArn) {
      setEnv(c, "AWS_ROLE_ARN", roleArn);
      setEnv(c, "AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/eks.amazonaws.com/serviceaccount/token");
    }
  }
  if (association) {
    addTokenVolume(
      spec,
      "eks-pod-identity-token",
      "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount",
      "pods.eks.amazonaws.com",
      86400,
      "eks-pod-identity-token",
    );
  } else if (roleArn) {
    const audience = sa?.metadata.annotations?.["eks.amazonaws.com/audience"] ?? "sts.amazonaws.com";
    const seconds = Number(sa?.metadata.annotations?.["eks.amazonaws.com/token-expiration"] ?? "86400") || 86400;
    addTokenVolume(
      spec,
      "aws-iam-token",
      "/var/run/secrets/eks.amazonaws.com/serviceaccount",
      audience,
      seconds,
      "token",
    );
  }
}

/** Run the admission webhooks of the cluster over a new pod, as the API server does on CREATE. */
export function admitPod(world: SimWorld, objects: Obj[], pod: Obj): void {
  const labels = pod.metadata.labels ?? {};
  const ns = pod.metadata.namespace;
  const saName = (pod.spec as PodSpec).serviceAccountName ?? "default";
  const sa = objects.find(
    (o) => o.kind === "ServiceAccount" && o.metadata.namespace === ns && o.metadata.name === saName,
  );
  for (const config of objects.filter((o) => o.kind === "MutatingWebhookConfiguration")) {
    for (const webhook of (config as { webhooks?: Record<string, unknown>[] }).webhooks ?? []) {
      const name = String(webhook.name ?? "");
      if (!webhookServes(objects, webhook, labels)) continue;
      if (name.includes("azure-workload-identity")) mutateAzure(world, objects, pod, sa);
      else if (name.includes("iam-for-pods") || name.includes("pod-identity-webhook")) mutateAws(world, pod, sa);
    }
  }
}

function ownerUid(objects: Obj[], ns: string | undefined, kind: string, name: string): string {
  const o = objects.find((x) => x.kind === kind && x.metadata.namespace === ns && x.metadata.name === name);
  return String(o?.metadata.uid ?? "");
}

function templateOf(o: Obj): { metadata?: Obj["metadata"]; spec?: PodSpec } | undefined {
  return (o.spec as { template?: { metadata?: Obj["metadata"]; spec?: PodSpec } } | undefined)?.template;
}

/**
 * After a write to a workload: when its pod template changed, replace its pods with new ones from the template
 * (admitted through the webhooks). `stamp` gives each new pod its server-set metadata.
 */
export function rollOut(world: SimWorld, objects: Obj[], before: Obj, after: Obj, stamp: (pod: Obj) => void): void {
  if (!ROLLED_KINDS.has(after.kind)) return;
  const template = templateOf(after);
  if (!template || JSON.stringify(templateOf(before)) === JSON.stringify(template)) return;
  const ns = after.metadata.namespace;
  const selector = (after.spec as { selector?: unknown }).selector;
  const old = objects.filter(
    (o) => o.kind === "Pod" && o.metadata.namespace === ns && selectorMatches(selector, o.metadata.labels),
  );
  for (const pod of old) objects.splice(objects.indexOf(pod), 1);
  const hash = createHash("sha256")
    .update(JSON.stringify(template))
    .digest("hex")
    .slice(0, 9)
    .replace(/[aeiou]/g, "b");
  const replicas =
    after.kind === "DaemonSet" ? Math.max(1, old.length) : Number((after.spec as { replicas?: number }).replicas ?? 1);
  if (
    after.kind === "Deployment" &&
    !objects.some(
      (o) =>
        o.kind === "ReplicaSet" && o.metadata.namespace === ns && o.metadata.name === `${after.metadata.name}-${hash}`,
    )
  ) {
    const rs: Obj = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: `${after.metadata.name}-${hash}`,
        namespace: ns,
        labels: { ...(template.metadata?.labels ?? {}), "pod-template-hash": hash },
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "Deployment",
            name: after.metadata.name,
            uid: after.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: { replicas, selector: clone(selector), template: clone(template) },
      status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
    };
    stamp(rs);
    objects.push(rs);
  }
  for (let i = 0; i < replicas; i++) {
    const name =
      after.kind === "StatefulSet"
        ? `${after.metadata.name}-${i}`
        : `${after.metadata.name}-${after.kind === "Deployment" ? `${hash}-` : ""}${createHash("sha256").update(`${hash}${i}`).digest("hex").slice(0, 5)}`;
    const owner =
      after.kind === "Deployment"
        ? { apiVersion: "apps/v1", kind: "ReplicaSet", name: `${after.metadata.name}-${hash}` }
        : { apiVersion: "apps/v1", kind: after.kind, name: after.metadata.name };
    const pod: Obj = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        ...clone(template.metadata ?? {}),
        name,
        namespace: ns,
        labels: {
          ...(template.metadata?.labels ?? {}),
          ...(after.kind === "Deployment" ? { "pod-template-hash": hash } : {}),
        },
        ownerReferences: [{ ...owner, uid: ownerUid(objects, ns, owner.kind, owner.name ?? ""), controller: true }],
      },
      spec: clone(template.spec ?? {}),
      status: { phase: "Running" },
    };
    admitPod(world, objects, pod);
    stamp(pod);
    objects.push(pod);
  }
}
