// Kubernetes facts through @kubernetes/client-node, with a deadline and cancellation on every call and
// every failure turned into a ProviderError (a 403 names the RBAC rule that would allow the call).
import type {
  AdmissionregistrationV1Api,
  AppsV1Api,
  BatchV1Api,
  ConfigurationOptions,
  CoreV1Event,
  CoreV1Api,
  CustomObjectsApi,
  HttpMethod,
  HttpLibrary,
  KubeConfig,
  KubernetesObject,
  NetworkingV1Api,
  ObservableMiddleware,
  V1ConfigMap,
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1Endpoints,
  V1Job,
  V1LabelSelector,
  V1MutatingWebhookConfiguration,
  V1Namespace,
  V1NetworkPolicy,
  V1Node,
  V1ObjectMeta,
  V1OwnerReference,
  V1Pod,
  V1PodTemplateSpec,
  V1ReplicaSet,
  V1ServiceAccount,
  V1StatefulSet,
  VersionApi,
  VersionInfo,
} from "@kubernetes/client-node";
import type { JWK } from "jose";
import type { Environment } from "./environment.js";
import { ProviderError, withTimeout } from "./errors.js";
import { kubeSnapshotAnswer } from "./kube-snapshot.js";
import { cacheReads, readCacheOf, sharesIssuerTokens } from "./read-cache.js";

/** Built-in resources listEverywhere reads. */
export type SnapshotResource =
  | "pods"
  | "serviceaccounts"
  | "deployments.apps"
  | "replicasets.apps"
  | "statefulsets.apps"
  | "daemonsets.apps"
  | "jobs.batch"
  | "cronjobs.batch"
  | "networkpolicies.networking.k8s.io";

type KubeClientLibrary = typeof import("@kubernetes/client-node");
let library: KubeClientLibrary | undefined;
let loading: Promise<KubeClientLibrary> | undefined;

/**
 * The client library is large (hundreds of modules): load it on the first call, so a server that only lists
 * its tools, or a command that needs no cluster, never pays for it.
 */
function loadLibrary(): Promise<KubeClientLibrary> {
  loading ??= import("@kubernetes/client-node").then((m) => {
    library = m;
    return m;
  });
  return loading;
}

/** The loaded library; only reached from code that runs after loadLibrary (every call awaits it first). */
function k8s(): KubeClientLibrary {
  if (!library) throw new Error("internal: the Kubernetes client library is not loaded yet");
  return library;
}

export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" | "CronJob";

export interface Workload {
  kind: WorkloadKind;
  name: string;
  namespace: string;
  object: V1Deployment | V1StatefulSet | V1DaemonSet | V1ReplicaSet | V1Job | V1CronJob;
  /** The template its pods are created from (for a CronJob: spec.jobTemplate.spec.template). */
  podTemplate: V1PodTemplateSpec;
  /** Label selector of its pods, in the API's string form; undefined for a CronJob. */
  selector?: string;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

export interface PodLogOptions {
  container?: string;
  sinceSeconds?: number;
  tailLines?: number;
  /** Defaults to 1 MiB: enough for a diagnosis, bounded for an agent's context. */
  limitBytes?: number;
}

export interface OidcDiscoveryDocument {
  issuer: string;
  jwks_uri?: string;
  [key: string]: unknown;
}

/** Identifies one object for the generic reads and writes. */
export interface KubeObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  /** Required for namespaced kinds. */
  namespace?: string;
}

/** merge = RFC 7386, strategic = Kubernetes strategic merge, json = RFC 6902 operations. */
export type PatchType = "merge" | "strategic" | "json";

export interface WriteOptions {
  /** Validate on the server and return the result without storing it (`?dryRun=All`). */
  dryRun?: boolean;
}

const patchContentTypes: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
};

const workloadAliases: Record<string, WorkloadKind> = {
  deployment: "Deployment",
  deployments: "Deployment",
  deploy: "Deployment",
  statefulset: "StatefulSet",
  statefulsets: "StatefulSet",
  sts: "StatefulSet",
  daemonset: "DaemonSet",
  daemonsets: "DaemonSet",
  ds: "DaemonSet",
  replicaset: "ReplicaSet",
  replicasets: "ReplicaSet",
  rs: "ReplicaSet",
  job: "Job",
  jobs: "Job",
  cronjob: "CronJob",
  cronjobs: "CronJob",
  cj: "CronJob",
};

/** "deploy", "Deployments", "deployment.apps" → "Deployment"; undefined when it names no workload kind. */
export function normalizeWorkloadKind(kind: string): WorkloadKind | undefined {
  const k = kind
    .trim()
    .toLowerCase()
    .replace(/\.(apps|batch)(\/v1)?$/, "");
  return workloadAliases[k];
}

/** "Deployment/payments-api" (or "deploy/payments-api", "deployment.apps/payments-api") → kind and name. */
export function parseWorkloadRef(ref: string): { kind: WorkloadKind; name: string } | undefined {
  const i = ref.indexOf("/");
  if (i <= 0 || i === ref.length - 1) return undefined;
  const kind = normalizeWorkloadKind(ref.slice(0, i));
  const name = ref.slice(i + 1).trim();
  return kind && name && !name.includes("/") ? { kind, name } : undefined;
}

/** A LabelSelector object in the string form list calls take ("app=x,tier in (a,b),!legacy"). */
export function labelSelectorToString(selector: V1LabelSelector | undefined): string | undefined {
  if (!selector) return undefined;
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = (e.values ?? []).join(",");
    if (e.operator === "In") parts.push(`${e.key} in (${values})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${values})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
  }
  return parts.length ? parts.join(",") : undefined;
}

/** What a call does, for messages and for the RBAC remedy of a 403. */
interface Call {
  verb: string;
  /** Plural resource name, with the subresource if any ("pods/log"). */
  resource: string;
  group?: string;
  namespace?: string;
  name?: string;
  /** The resource itself is cluster-scoped (namespaces, nodes, webhook configurations). */
  clusterScoped?: boolean;
}

function describe(c: Call): string {
  const res = c.group ? `${c.resource}.${c.group}` : c.resource;
  const name = c.name ? ` "${c.name}"` : "";
  const where = c.clusterScoped ? "" : c.namespace ? ` in namespace ${c.namespace}` : " in all namespaces";
  return `${c.verb} ${res}${name}${where}`;
}

/** Resources the built-in "view" ClusterRole can read. */
const viewReadable = new Set([
  "pods",
  "pods/log",
  "pods/status",
  "serviceaccounts",
  "events",
  "endpoints",
  "configmaps",
  "services",
  "namespaces",
  "replicationcontrollers",
  "persistentvolumeclaims",
  "deployments",
  "replicasets",
  "statefulsets",
  "daemonsets",
  "jobs",
  "cronjobs",
  "networkpolicies",
  "ingresses",
]);
/** Resources the built-in "edit" ClusterRole can change. */
const editWritable = new Set([
  "pods",
  "serviceaccounts",
  "configmaps",
  "services",
  "deployments",
  "replicasets",
  "statefulsets",
  "daemonsets",
  "jobs",
  "cronjobs",
  "networkpolicies",
  "ingresses",
]);
const builtinGroups = new Set(["", "apps", "batch", "networking.k8s.io", "policy", "autoscaling"]);

/** Which RBAC rule would let this call through, in words a cluster admin can act on. */
export function rbacRemedy(c: Call): string {
  const res = c.group ? `${c.resource}.${c.group}` : c.resource;
  const grant = `grant "${c.verb}" on ${res}`;
  const builtin = builtinGroups.has(c.group ?? "");
  const readVerb = c.verb === "get" || c.verb === "list" || c.verb === "watch";
  const role =
    builtin && readVerb && viewReadable.has(c.resource)
      ? 'the built-in "view" ClusterRole'
      : builtin && !readVerb && editWritable.has(c.resource)
        ? 'the built-in "edit" ClusterRole'
        : undefined;
  if (c.clusterScoped || !c.namespace) {
    const scope = c.clusterScoped ? "cluster-wide" : "in all namespaces";
    return role
      ? `${grant} ${scope} (e.g. ${role} bound with a ClusterRoleBinding)`
      : `${grant} ${scope} (a ClusterRole with this rule, bound with a ClusterRoleBinding)`;
  }
  return role
    ? `${grant} in namespace ${c.namespace} (e.g. ${role})`
    : `${grant} in namespace ${c.namespace} (a Role with this rule, bound with a RoleBinding)`;
}

/** The Status message the API server sent with an error, when there is one. */
function statusMessage(body: unknown): string | undefined {
  let b = body;
  if (typeof body === "string") {
    try {
      b = JSON.parse(body);
    } catch {
      return body.trim() ? body.trim().slice(0, 500) : undefined;
    }
  }
  if (b && typeof b === "object" && typeof (b as { message?: unknown }).message === "string") {
    return (b as { message: string }).message;
  }
  return undefined;
}

/** Per-request options that abort the HTTP request when `signal` fires. */
const READ_VERBS = new Set(["get", "list", "watch"]);
const MAX_RETRIES = 2;

function retryable(err: ProviderError): boolean {
  return err.status === 429 || (err.status !== undefined && err.status >= 500 && err.status <= 599);
}

/** 200 ms, then 400 ms (with jitter); ends early when the deadline or the caller aborts. */
function backoff(attempt: number, signal: AbortSignal): Promise<void> {
  const ms = 200 * 2 ** attempt * (0.75 + Math.random() * 0.5);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function signalOptions(signal: AbortSignal): ConfigurationOptions {
  const middleware: ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(signal);
      return new (k8s().Observable)(Promise.resolve(ctx));
    },
    post: (res) => new (k8s().Observable)(Promise.resolve(res)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: "append" };
}

interface Apis {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  custom: CustomObjectsApi;
  admission: AdmissionregistrationV1Api;
  networking: NetworkingV1Api;
  version: VersionApi;
  http: HttpLibrary;
}

const PAGE_SIZE = 500;
const KUBE_READS: (keyof KubeProvider & string)[] = [
  "getServiceAccount",
  "listServiceAccounts",
  "getPod",
  "listPods",
  "getWorkload",
  "listWorkloads",
  "getPodOwner",
  "getDeployment",
  "getMutatingWebhookConfiguration",
  "listMutatingWebhookConfigurations",
  "getEndpoints",
  "getNamespace",
  "getConfigMap",
  "listNetworkPolicies",
  "listNodes",
  "getVersion",
  "getIssuerDiscovery",
  "getApiServerJwks",
  "listCustomObjects",
  "getCustomObject",
  "isResourceServed",
  "getObject",
];
/** Guards against a server that keeps handing back continue tokens. */
const MAX_PAGES = 200;

export class KubeProvider {
  private apis?: Apis;
  private readonly discovery = new Map<string, { name: string; kind: string; namespaced: boolean }[]>();

  constructor(private readonly env: Environment) {
    // Within an audit, every read runs once and reads of snapshotted resources need no request.
    cacheReads(env, this, KUBE_READS, kubeSnapshotAnswer);
  }

  // -------------------------------------------------------------------------------------------
  // Context

  /** The name of the kube context in use, or undefined without a kubeconfig. */
  contextName(): string | undefined {
    return this.env.kubeconfig?.getCurrentContext() || undefined;
  }

  /** The API server's host name: the cluster's tls-server-name when set, else the host of its URL. */
  apiServerHost(): string | undefined {
    const cluster = this.env.kubeconfig?.getCurrentCluster();
    if (!cluster) return undefined;
    if (cluster.tlsServerName) return cluster.tlsServerName.toLowerCase();
    try {
      return new URL(cluster.server).hostname.toLowerCase();
    } catch {
      return undefined;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Service accounts and pods

  getServiceAccount(namespace: string, name: string, signal?: AbortSignal): Promise<V1ServiceAccount | null> {
    return this.getOrNull({ verb: "get", resource: "serviceaccounts", namespace, name }, signal, (a, o) =>
      a.core.readNamespacedServiceAccount({ namespace, name }, o),
    );
  }

  listServiceAccounts(namespace: string, signal?: AbortSignal): Promise<V1ServiceAccount[]> {
    return this.listAll({ verb: "list", resource: "serviceaccounts", namespace }, signal, (a, o, page) =>
      a.core.listNamespacedServiceAccount({ namespace, ...page }, o),
    );
  }

  getPod(namespace: string, name: string, signal?: AbortSignal): Promise<V1Pod | null> {
    return this.getOrNull({ verb: "get", resource: "pods", namespace, name }, signal, (a, o) =>
      a.core.readNamespacedPod({ namespace, name }, o),
    );
  }

  /** Pods of a namespace (every namespace when `namespace` is undefined), following continue tokens. */
  listPods(namespace: string | undefined, options: ListOptions = {}, signal?: AbortSignal): Promise<V1Pod[]> {
    const { labelSelector, fieldSelector } = options;
    return this.listAll({ verb: "list", resource: "pods", namespace }, signal, (a, o, page) =>
      namespace
        ? a.core.listNamespacedPod({ namespace, labelSelector, fieldSelector, ...page }, o)
        : a.core.listPodForAllNamespaces({ labelSelector, fieldSelector, ...page }, o),
    );
  }

  /**
   * The pods of a namespace that run as a service account. The API server filters them (spec.serviceAccountName is
   * a pod field selector), so the answer does not grow with the namespace; pods without the field (the API server
   * fills it in, "default" when unset) are matched as "default".
   */
  async listPodsOfServiceAccount(namespace: string, serviceAccount: string, signal?: AbortSignal): Promise<V1Pod[]> {
    const fieldSelector = `spec.serviceAccountName=${serviceAccount}`;
    const pods = await this.listPods(namespace, { fieldSelector }, signal);
    return pods.filter((p) => (p.spec?.serviceAccountName || "default") === serviceAccount);
  }

  /** The last lines a container printed (plain text; may hold anything the application logs). */
  readPodLog(namespace: string, pod: string, options: PodLogOptions = {}, signal?: AbortSignal): Promise<string> {
    const { container, sinceSeconds, tailLines, limitBytes = 1024 * 1024 } = options;
    return this.call({ verb: "get", resource: "pods/log", namespace, name: pod }, signal, (a, o) =>
      a.core.readNamespacedPodLog({ namespace, name: pod, container, sinceSeconds, tailLines, limitBytes }, o),
    );
  }

  /**
   * Mint a service-account token by TokenRequest. The token is for in-process checks only (decoding its
   * claims, verifying its signature, a token exchange): it must never reach an output, a log or a report.
   */
  async createServiceAccountToken(
    namespace: string,
    serviceAccount: string,
    options: { audiences: string[]; expirationSeconds?: number; boundPod?: { name: string; uid?: string } },
    signal?: AbortSignal,
  ): Promise<{ token: string; expirationTimestamp: string }> {
    const cache = readCacheOf(this.env);
    if (cache && !options.boundPod && sharesIssuerTokens(this.env) && !this.env.allowExchange) {
      const key = `KubeProvider.issuerToken:${JSON.stringify([options.audiences, options.expirationSeconds ?? 3600])}`;
      return cache.once(key, () => this.requestToken(namespace, serviceAccount, options, signal));
    }
    return this.requestToken(namespace, serviceAccount, options, signal);
  }

  private async requestToken(
    namespace: string,
    serviceAccount: string,
    options: { audiences: string[]; expirationSeconds?: number; boundPod?: { name: string; uid?: string } },
    signal?: AbortSignal,
  ): Promise<{ token: string; expirationTimestamp: string }> {
    const tr = await this.call(
      { verb: "create", resource: "serviceaccounts/token", namespace, name: serviceAccount },
      signal,
      (a, o) =>
        a.core.createNamespacedServiceAccountToken(
          {
            namespace,
            name: serviceAccount,
            body: {
              apiVersion: "authentication.k8s.io/v1",
              kind: "TokenRequest",
              spec: {
                audiences: options.audiences,
                expirationSeconds: options.expirationSeconds ?? 3600,
                boundObjectRef: options.boundPod
                  ? { apiVersion: "v1", kind: "Pod", name: options.boundPod.name, uid: options.boundPod.uid }
                  : undefined,
              },
            },
          },
          o,
        ),
    );
    const token = tr.status?.token;
    if (!token) {
      throw new ProviderError("invalid-response", `TokenRequest for ${namespace}/${serviceAccount} returned no token`);
    }
    const exp = tr.status?.expirationTimestamp as Date | string | undefined;
    return { token, expirationTimestamp: exp instanceof Date ? exp.toISOString() : String(exp ?? "") };
  }

  // -------------------------------------------------------------------------------------------
  // Workloads

  /** A workload by kind (any spelling normalizeWorkloadKind accepts) and name; null when it does not exist. */
  async getWorkload(namespace: string, kind: string, name: string, signal?: AbortSignal): Promise<Workload | null> {
    const k = normalizeWorkloadKind(kind);
    if (!k) {
      throw new ProviderError(
        "not-found",
        `"${kind}" is not a workload kind; expected one of Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob`,
      );
    }
    const resource = `${k.toLowerCase()}s`;
    const group = k === "Job" || k === "CronJob" ? "batch" : "apps";
    const object = await this.getOrNull<Workload["object"]>(
      { verb: "get", resource, group, namespace, name },
      signal,
      (a, o) => {
        const p = { namespace, name };
        switch (k) {
          case "Deployment":
            return a.apps.readNamespacedDeployment(p, o);
          case "StatefulSet":
            return a.apps.readNamespacedStatefulSet(p, o);
          case "DaemonSet":
            return a.apps.readNamespacedDaemonSet(p, o);
          case "ReplicaSet":
            return a.apps.readNamespacedReplicaSet(p, o);
          case "Job":
            return a.batch.readNamespacedJob(p, o);
          case "CronJob":
            return a.batch.readNamespacedCronJob(p, o);
        }
      },
    );
    return object ? toWorkload(k, object, namespace) : null;
  }

  /**
   * Every workload in the namespace that is not run by another one: ReplicaSets owned by a Deployment and
   * Jobs owned by a CronJob are left out (reach them through getPodOwner or getWorkload).
   */
  async listWorkloads(namespace: string, signal?: AbortSignal): Promise<Workload[]> {
    const c = (resource: string, group: string): Call => ({ verb: "list", resource, group, namespace });
    const [deployments, statefulSets, daemonSets, replicaSets, jobs, cronJobs] = await Promise.all([
      this.listAll(c("deployments", "apps"), signal, (a, o, p) =>
        a.apps.listNamespacedDeployment({ namespace, ...p }, o),
      ),
      this.listAll(c("statefulsets", "apps"), signal, (a, o, p) =>
        a.apps.listNamespacedStatefulSet({ namespace, ...p }, o),
      ),
      this.listAll(c("daemonsets", "apps"), signal, (a, o, p) =>
        a.apps.listNamespacedDaemonSet({ namespace, ...p }, o),
      ),
      this.listAll(c("replicasets", "apps"), signal, (a, o, p) =>
        a.apps.listNamespacedReplicaSet({ namespace, ...p }, o),
      ),
      this.listAll(c("jobs", "batch"), signal, (a, o, p) => a.batch.listNamespacedJob({ namespace, ...p }, o)),
      this.listAll(c("cronjobs", "batch"), signal, (a, o, p) => a.batch.listNamespacedCronJob({ namespace, ...p }, o)),
    ]);
    const owned = (m: V1ObjectMeta | undefined, ownerKind: string) =>
      (m?.ownerReferences ?? []).some((r) => r.controller && r.kind === ownerKind);
    return [
      ...deployments.map((o) => toWorkload("Deployment", o, namespace)),
      ...statefulSets.map((o) => toWorkload("StatefulSet", o, namespace)),
      ...daemonSets.map((o) => toWorkload("DaemonSet", o, namespace)),
      ...replicaSets.filter((o) => !owned(o.metadata, "Deployment")).map((o) => toWorkload("ReplicaSet", o, namespace)),
      ...jobs.filter((o) => !owned(o.metadata, "CronJob")).map((o) => toWorkload("Job", o, namespace)),
      ...cronJobs.map((o) => toWorkload("CronJob", o, namespace)),
    ];
  }

  /**
   * The workload that runs a pod, following controller owner references up (ReplicaSet → Deployment,
   * Job → CronJob). Null for a bare pod; the nearest owner found when a higher one no longer exists.
   */
  async getPodOwner(pod: V1Pod, signal?: AbortSignal): Promise<Workload | null> {
    const namespace = pod.metadata?.namespace ?? "default";
    let ref = controllerOf(pod.metadata?.ownerReferences);
    let found: Workload | null = null;
    for (let depth = 0; ref && depth < 3; depth++) {
      if (!normalizeWorkloadKind(ref.kind)) break;
      const next = await this.getWorkload(namespace, ref.kind, ref.name, signal);
      if (!next) break;
      found = next;
      ref = controllerOf(next.object.metadata?.ownerReferences);
    }
    return found;
  }

  getDeployment(namespace: string, name: string, signal?: AbortSignal): Promise<V1Deployment | null> {
    return this.getOrNull({ verb: "get", resource: "deployments", group: "apps", namespace, name }, signal, (a, o) =>
      a.apps.readNamespacedDeployment({ namespace, name }, o),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Cluster plumbing

  getMutatingWebhookConfiguration(name: string, signal?: AbortSignal): Promise<V1MutatingWebhookConfiguration | null> {
    return this.getOrNull(
      {
        verb: "get",
        resource: "mutatingwebhookconfigurations",
        group: "admissionregistration.k8s.io",
        name,
        clusterScoped: true,
      },
      signal,
      (a, o) => a.admission.readMutatingWebhookConfiguration({ name }, o),
    );
  }

  listMutatingWebhookConfigurations(signal?: AbortSignal): Promise<V1MutatingWebhookConfiguration[]> {
    return this.listAll(
      {
        verb: "list",
        resource: "mutatingwebhookconfigurations",
        group: "admissionregistration.k8s.io",
        clusterScoped: true,
      },
      signal,
      (a, o, page) => a.admission.listMutatingWebhookConfiguration({ ...page }, o),
    );
  }

  getEndpoints(namespace: string, name: string, signal?: AbortSignal): Promise<V1Endpoints | null> {
    return this.getOrNull({ verb: "get", resource: "endpoints", namespace, name }, signal, (a, o) =>
      a.core.readNamespacedEndpoints({ namespace, name }, o),
    );
  }

  listEvents(namespace: string, fieldSelector?: string, signal?: AbortSignal): Promise<CoreV1Event[]> {
    return this.listAll({ verb: "list", resource: "events", namespace }, signal, (a, o, page) =>
      a.core.listNamespacedEvent({ namespace, fieldSelector, ...page }, o),
    );
  }

  getNamespace(name: string, signal?: AbortSignal): Promise<V1Namespace | null> {
    return this.getOrNull({ verb: "get", resource: "namespaces", name, clusterScoped: true }, signal, (a, o) =>
      a.core.readNamespace({ name }, o),
    );
  }

  getConfigMap(namespace: string, name: string, signal?: AbortSignal): Promise<V1ConfigMap | null> {
    return this.getOrNull({ verb: "get", resource: "configmaps", namespace, name }, signal, (a, o) =>
      a.core.readNamespacedConfigMap({ namespace, name }, o),
    );
  }

  listNetworkPolicies(namespace: string, signal?: AbortSignal): Promise<V1NetworkPolicy[]> {
    return this.listAll(
      { verb: "list", resource: "networkpolicies", group: "networking.k8s.io", namespace },
      signal,
      (a, o, page) => a.networking.listNamespacedNetworkPolicy({ namespace, ...page }, o),
    );
  }

  listNodes(options: ListOptions = {}, signal?: AbortSignal): Promise<V1Node[]> {
    return this.listAll({ verb: "list", resource: "nodes", clusterScoped: true }, signal, (a, o, page) =>
      a.core.listNode({ ...options, ...page }, o),
    );
  }

  getVersion(signal?: AbortSignal): Promise<VersionInfo> {
    return this.call({ verb: "get", resource: "version", clusterScoped: true }, signal, (a, o) => a.version.getCode(o));
  }

  /** The API server's own OIDC discovery document (answers even when the public issuer does not). */
  async getIssuerDiscovery(signal?: AbortSignal): Promise<OidcDiscoveryDocument> {
    const doc = await this.rawJson(
      { verb: "get", resource: "/.well-known/openid-configuration", clusterScoped: true },
      "/.well-known/openid-configuration",
      signal,
    );
    if (!doc || typeof doc !== "object" || typeof (doc as { issuer?: unknown }).issuer !== "string") {
      throw new ProviderError("invalid-response", "the API server's OIDC discovery document has no issuer");
    }
    return doc as OidcDiscoveryDocument;
  }

  /** The public keys the API server signs service-account tokens with. */
  async getApiServerJwks(signal?: AbortSignal): Promise<{ keys: JWK[] }> {
    const doc = await this.rawJson(
      { verb: "get", resource: "/openid/v1/jwks", clusterScoped: true },
      "/openid/v1/jwks",
      signal,
    );
    if (!doc || typeof doc !== "object" || !Array.isArray((doc as { keys?: unknown }).keys)) {
      throw new ProviderError("invalid-response", "the API server's JWKS has no keys array");
    }
    return doc as { keys: JWK[] };
  }

  /**
   * Every object of a built-in resource in a namespace (undefined: all), read in pages of `pageSize`: how a
   * cluster-wide audit reads each list once.
   */
  listEverywhere(
    resource: SnapshotResource,
    namespace: string | undefined,
    pageSize: number,
    signal?: AbortSignal,
  ): Promise<KubernetesObject[]> {
    const [plural, group] = resource.split(/\.(.*)/s) as [string, string | undefined];
    const c: Call = { verb: "list", resource: plural, group, namespace };
    const ns = namespace;
    return this.listAll<KubernetesObject>(
      c,
      signal,
      (a, o, p) => {
        switch (resource) {
          case "pods":
            return ns ? a.core.listNamespacedPod({ namespace: ns, ...p }, o) : a.core.listPodForAllNamespaces(p, o);
          case "serviceaccounts":
            return ns
              ? a.core.listNamespacedServiceAccount({ namespace: ns, ...p }, o)
              : a.core.listServiceAccountForAllNamespaces(p, o);
          case "deployments.apps":
            return ns
              ? a.apps.listNamespacedDeployment({ namespace: ns, ...p }, o)
              : a.apps.listDeploymentForAllNamespaces(p, o);
          case "replicasets.apps":
            return ns
              ? a.apps.listNamespacedReplicaSet({ namespace: ns, ...p }, o)
              : a.apps.listReplicaSetForAllNamespaces(p, o);
          case "statefulsets.apps":
            return ns
              ? a.apps.listNamespacedStatefulSet({ namespace: ns, ...p }, o)
              : a.apps.listStatefulSetForAllNamespaces(p, o);
          case "daemonsets.apps":
            return ns
              ? a.apps.listNamespacedDaemonSet({ namespace: ns, ...p }, o)
              : a.apps.listDaemonSetForAllNamespaces(p, o);
          case "jobs.batch":
            return ns ? a.batch.listNamespacedJob({ namespace: ns, ...p }, o) : a.batch.listJobForAllNamespaces(p, o);
          case "cronjobs.batch":
            return ns
              ? a.batch.listNamespacedCronJob({ namespace: ns, ...p }, o)
              : a.batch.listCronJobForAllNamespaces(p, o);
          case "networkpolicies.networking.k8s.io":
            return ns
              ? a.networking.listNamespacedNetworkPolicy({ namespace: ns, ...p }, o)
              : a.networking.listNetworkPolicyForAllNamespaces(p, o);
        }
      },
      pageSize,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Custom resources and generic objects

  /**
   * Custom objects of one resource, in a namespace or (namespace undefined) everywhere. A resource the
   * cluster does not serve (its CustomResourceDefinition is not installed) has no objects: []. Use
   * isResourceServed to tell "not installed" from "none".
   */
  async listCustomObjects(
    group: string,
    version: string,
    plural: string,
    namespace?: string,
    signal?: AbortSignal,
  ): Promise<KubernetesObject[]> {
    try {
      return await this.listAll({ verb: "list", resource: plural, group, namespace }, signal, (a, o, page) =>
        namespace
          ? a.custom.listNamespacedCustomObject({ group, version, plural, namespace, ...page }, o)
          : a.custom.listClusterCustomObject({ group, version, plural, ...page }, o),
      );
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not-found") return [];
      throw err;
    }
  }

  getCustomObject(
    group: string,
    version: string,
    plural: string,
    namespace: string | undefined,
    name: string,
    signal?: AbortSignal,
  ): Promise<KubernetesObject | null> {
    return this.getOrNull(
      { verb: "get", resource: plural, group, namespace, name, clusterScoped: namespace === undefined },
      signal,
      (a, o) =>
        namespace
          ? a.custom.getNamespacedCustomObject({ group, version, plural, namespace, name }, o)
          : a.custom.getClusterCustomObject({ group, version, plural, name }, o),
    );
  }

  /** Whether the API server serves this resource (e.g. whether a CRD is installed). */
  async isResourceServed(group: string, version: string, plural: string, signal?: AbortSignal): Promise<boolean> {
    const resources = await this.discover(group ? `${group}/${version}` : version, signal);
    return resources.some((r) => r.name === plural);
  }

  /** Any object by apiVersion, kind, namespace and name; null when it does not exist. */
  async getObject(ref: KubeObjectRef, signal?: AbortSignal): Promise<KubernetesObject | null> {
    const { path, call } = await this.objectPath(ref, "get", true, signal);
    try {
      return (await this.rawJson(call, path, signal)) as KubernetesObject;
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not-found") return null;
      throw err;
    }
  }

  /** Create any object. With dryRun the server validates it and answers without storing it. */
  async createObject<T extends KubernetesObject>(obj: T, options: WriteOptions = {}, signal?: AbortSignal): Promise<T> {
    const ref = refOf(obj);
    const { path, call } = await this.objectPath(ref, "create", false, signal);
    return (await this.rawJson(call, path, signal, {
      method: "POST" as HttpMethod,
      body: JSON.stringify(obj),
      contentType: "application/json",
      dryRun: options.dryRun,
    })) as T;
  }

  /** Replace any object (its metadata.resourceVersion, when set, guards against lost updates). */
  async replaceObject<T extends KubernetesObject>(
    obj: T,
    options: WriteOptions = {},
    signal?: AbortSignal,
  ): Promise<T> {
    const { path, call } = await this.objectPath(refOf(obj), "update", true, signal);
    return (await this.rawJson(call, path, signal, {
      method: "PUT" as HttpMethod,
      body: JSON.stringify(obj),
      contentType: "application/json",
      dryRun: options.dryRun,
    })) as T;
  }

  /** Patch any object; returns the object as the server stored it (or would have, with dryRun). */
  async patchObject(
    ref: KubeObjectRef,
    patch: object,
    options: WriteOptions & { type?: PatchType } = {},
    signal?: AbortSignal,
  ): Promise<KubernetesObject> {
    const { path, call } = await this.objectPath(ref, "patch", true, signal);
    return (await this.rawJson(call, path, signal, {
      method: "PATCH" as HttpMethod,
      body: JSON.stringify(patch),
      contentType: patchContentTypes[options.type ?? "merge"],
      dryRun: options.dryRun,
    })) as KubernetesObject;
  }

  async deleteObject(ref: KubeObjectRef, options: WriteOptions = {}, signal?: AbortSignal): Promise<void> {
    const { path, call } = await this.objectPath(ref, "delete", true, signal);
    await this.rawJson(call, path, signal, { method: "DELETE" as HttpMethod, dryRun: options.dryRun });
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  private clients(): Apis {
    if (this.apis) return this.apis;
    const kc = this.env.kubeconfig;
    if (!kc?.getCurrentCluster()) {
      throw new ProviderError(
        "no-credential",
        this.env.kubeconfigProblem ?? "no kubeconfig with a current cluster",
        undefined,
        "point KUBECONFIG at a kubeconfig for the cluster (or pass --kubeconfig), and choose its context with --context",
      );
    }
    reuseConnections(kc);
    const {
      CoreV1Api,
      AppsV1Api,
      BatchV1Api,
      CustomObjectsApi,
      AdmissionregistrationV1Api,
      NetworkingV1Api,
      VersionApi,
    } = k8s();
    this.apis = {
      kc,
      core: kc.makeApiClient(CoreV1Api),
      apps: kc.makeApiClient(AppsV1Api),
      batch: kc.makeApiClient(BatchV1Api),
      custom: kc.makeApiClient(CustomObjectsApi),
      admission: kc.makeApiClient(AdmissionregistrationV1Api),
      networking: kc.makeApiClient(NetworkingV1Api),
      version: kc.makeApiClient(VersionApi),
      http: k8s().createConfiguration().httpApi,
    };
    return this.apis;
  }

  /** One request with the deadline, cancellation and error mapping every call gets. */
  private call<T>(
    c: Call,
    signal: AbortSignal | undefined,
    fn: (apis: Apis, options: ConfigurationOptions, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const what = describe(c);
    if (!library) return loadLibrary().then(() => this.call(c, signal, fn));
    let apis: Apis;
    try {
      apis = this.clients();
    } catch (err) {
      return Promise.reject(err);
    }
    return withTimeout(what, this.env.timeoutMs, signal, async (s) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await fn(apis, signalOptions(s), s);
        } catch (err) {
          const failure = this.toProviderError(err, c, s, signal);
          // Reads answered 429 or 5xx are tried again with backoff, inside the same overall deadline.
          if (!READ_VERBS.has(c.verb) || !retryable(failure) || attempt >= MAX_RETRIES || s.aborted) throw failure;
          await backoff(attempt, s);
        }
      }
    });
  }

  private async getOrNull<T>(
    c: Call,
    signal: AbortSignal | undefined,
    fn: (apis: Apis, options: ConfigurationOptions) => Promise<T>,
  ): Promise<T | null> {
    try {
      return await this.call(c, signal, fn);
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not-found") return null;
      throw err;
    }
  }

  /** Every item of a list, one page of PAGE_SIZE at a time; each page has its own deadline. */
  private async listAll<T>(
    c: Call,
    signal: AbortSignal | undefined,
    page: (
      apis: Apis,
      options: ConfigurationOptions,
      paging: { limit: number; _continue?: string },
    ) => Promise<{ items: T[]; metadata?: { _continue?: string; continue?: string } }>,
    pageSize = PAGE_SIZE,
  ): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const list = await this.call(c, signal, (a, o) => page(a, o, { limit: pageSize, _continue: token }));
      if (!list || !Array.isArray(list.items)) {
        throw new ProviderError("invalid-response", `${describe(c)}: the answer is not a list`);
      }
      items.push(...list.items);
      const next = list.metadata?._continue ?? list.metadata?.continue;
      if (!next || next === token) return items;
      token = next;
    }
    throw new ProviderError("invalid-response", `${describe(c)}: more than ${MAX_PAGES} pages`);
  }

  /** A request no typed client covers, sent with the kubeconfig's TLS settings and credentials. */
  private rawJson(
    c: Call,
    path: string,
    signal: AbortSignal | undefined,
    opts: { method?: HttpMethod; body?: string; contentType?: string; dryRun?: boolean } = {},
  ): Promise<unknown> {
    return this.call(c, signal, async (apis, _options, s) => {
      const cluster = apis.kc.getCurrentCluster();
      const ctx = new (k8s().ServerConfiguration)<Record<string, string>>(cluster?.server ?? "", {}).makeRequestContext(
        path,
        opts.method ?? ("GET" as HttpMethod),
      );
      ctx.setHeaderParam("Accept", "application/json, */*;q=0.8");
      if (opts.dryRun) ctx.setQueryParam("dryRun", "All");
      if (opts.body !== undefined) {
        ctx.setHeaderParam("Content-Type", opts.contentType ?? "application/json");
        ctx.setBody(opts.body);
      }
      await apis.kc.applySecurityAuthentication(ctx);
      ctx.setSignal(s);
      const res = await apis.http.send(ctx).toPromise();
      const text = await res.body.text();
      if (res.httpStatusCode < 200 || res.httpStatusCode > 299) {
        throw new (k8s().ApiException)(res.httpStatusCode, "request failed", text, res.headers);
      }
      try {
        return text ? JSON.parse(text) : undefined;
      } catch {
        throw new ProviderError("invalid-response", `${describe(c)}: the answer is not JSON`);
      }
    });
  }

  /** The resources of one group/version, from the API server's discovery (cached per provider). */
  private async discover(
    groupVersion: string,
    signal?: AbortSignal,
  ): Promise<{ name: string; kind: string; namespaced: boolean }[]> {
    const cached = this.discovery.get(groupVersion);
    if (cached) return cached;
    const path = groupVersion.includes("/") ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
    let list: unknown;
    try {
      list = await this.rawJson({ verb: "get", resource: path, clusterScoped: true }, path, signal);
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not-found") return [];
      throw err;
    }
    const resources = ((list as { resources?: unknown })?.resources ?? []) as {
      name: string;
      kind: string;
      namespaced: boolean;
    }[];
    this.discovery.set(groupVersion, resources);
    return resources;
  }

  private async objectPath(
    ref: KubeObjectRef,
    verb: string,
    withName: boolean,
    signal?: AbortSignal,
  ): Promise<{ path: string; call: Call }> {
    const resources = await this.discover(ref.apiVersion, signal);
    const r = resources.find((x) => x.kind === ref.kind && !x.name.includes("/"));
    if (!r) throw new ProviderError("not-found", `the cluster does not serve ${ref.kind} in ${ref.apiVersion}`);
    if (r.namespaced && !ref.namespace) {
      throw new ProviderError("not-found", `${ref.kind} "${ref.name}" is namespaced: give its namespace`);
    }
    const group = ref.apiVersion.includes("/") ? ref.apiVersion.slice(0, ref.apiVersion.indexOf("/")) : "";
    const parts = [ref.apiVersion.includes("/") ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`];
    if (r.namespaced) parts.push("namespaces", encodeURIComponent(ref.namespace as string));
    parts.push(r.name);
    if (withName) parts.push(encodeURIComponent(ref.name));
    return {
      path: parts.join("/"),
      call: {
        verb,
        resource: r.name,
        group: group || undefined,
        namespace: r.namespaced ? ref.namespace : undefined,
        name: ref.name,
        clusterScoped: !r.namespaced,
      },
    };
  }

  private toProviderError(err: unknown, c: Call, own: AbortSignal, parent: AbortSignal | undefined): ProviderError {
    if (err instanceof ProviderError) return err;
    const what = describe(c);
    if (library && err instanceof library.ApiException) {
      const code = err.code;
      const message = statusMessage(err.body);
      if (code === 401) {
        return new ProviderError(
          "unauthorized",
          `${what}: the API server rejected the credentials of kube context "${this.contextName() ?? "?"}" (401 Unauthorized)`,
          401,
          "refresh the kubeconfig credentials (e.g. az aks get-credentials, aws eks update-kubeconfig) or pick another context with --context",
        );
      }
      if (code === 403) {
        return new ProviderError("forbidden", message ?? `${what}: forbidden`, 403, rbacRemedy(c));
      }
      if (code === 404) return new ProviderError("not-found", message ?? `${what}: not found`, 404);
      if (code === 408 || code === 429 || code >= 500) {
        return new ProviderError("unavailable", `${what}: ${message ?? `HTTP ${code}`}`, code);
      }
      return new ProviderError("invalid-response", `${what}: ${message ?? `HTTP ${code}`}`, code);
    }
    const e = err as Error & { code?: string; type?: string };
    if (e?.name === "AbortError" || own.aborted) {
      return parent?.aborted
        ? new ProviderError("cancelled", `${what}: cancelled`)
        : new ProviderError("timeout", `${what}: no answer within ${this.env.timeoutMs} ms`);
    }
    if (e instanceof SyntaxError) return new ProviderError("invalid-response", `${what}: ${e.message}`);
    const server = this.env.kubeconfig?.getCurrentCluster()?.server ?? "the API server";
    return new ProviderError("unavailable", `${what}: cannot reach ${server}: ${e?.message ?? String(err)}`);
  }
}

function controllerOf(refs: V1OwnerReference[] | undefined): V1OwnerReference | undefined {
  return refs?.find((r) => r.controller) ?? undefined;
}

function refOf(obj: KubernetesObject): KubeObjectRef {
  if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
    throw new ProviderError("not-found", "the object needs apiVersion, kind and metadata.name");
  }
  return { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace };
}

export function toWorkload(kind: WorkloadKind, object: Workload["object"], namespace: string): Workload {
  const name = object.metadata?.name ?? "";
  let podTemplate: V1PodTemplateSpec;
  let selector: string | undefined;
  if (kind === "CronJob") {
    podTemplate = (object as V1CronJob).spec?.jobTemplate?.spec?.template ?? {};
  } else {
    const spec = (object as V1Deployment | V1Job).spec;
    podTemplate = spec?.template ?? {};
    selector = labelSelectorToString(spec?.selector);
    if (!selector && kind === "Job") selector = `job-name=${name}`;
    if (!selector) selector = labelSelectorToString({ matchLabels: podTemplate.metadata?.labels });
  }
  // Typed lists carry the kind only on the list: set it on each item so callers can rely on it.
  object.kind ??= kind;
  object.apiVersion ??= kind === "Job" || kind === "CronJob" ? "batch/v1" : "apps/v1";
  return { kind, name, namespace: object.metadata?.namespace ?? namespace, object, podTemplate, selector };
}

const reusing = new WeakSet<KubeConfig>();

/**
 * The client builds a fresh HTTPS agent for every request, so every call pays a TLS handshake with the API
 * server. A diagnosis makes dozens of calls at once: keep one keep-alive agent per set of TLS settings instead.
 */
function reuseConnections(kc: KubeConfig): void {
  if (reusing.has(kc)) return;
  reusing.add(kc);
  type CreateAgent = (cluster: unknown, options: Record<string, unknown>) => unknown;
  const target = kc as unknown as { createAgent: CreateAgent };
  const original = target.createAgent.bind(kc);
  const agents = new Map<string, unknown>();
  target.createAgent = (cluster, options) => {
    const c = cluster as { server?: string; proxyUrl?: string } | undefined;
    // Proxy agents keep their own pools; only plain HTTPS agents are shared.
    if (c?.proxyUrl) return original(cluster, options);
    const key = JSON.stringify([
      c?.server,
      options.servername,
      options.ca,
      options.cert,
      options.key,
      options.rejectUnauthorized,
    ]);
    let agent = agents.get(key);
    if (!agent) {
      agent = original(cluster, { ...options, keepAlive: true });
      agents.set(key, agent);
    }
    return agent;
  };
}
