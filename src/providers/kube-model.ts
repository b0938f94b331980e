// Kubernetes provider: the shapes it answers with, workload-kind names, RBAC remedies, retry and connection
// helpers, and the lazily loaded client library (see kubernetes.ts).
import type {
  AdmissionregistrationV1Api,
  AppsV1Api,
  BatchV1Api,
  ConfigurationOptions,
  CoreV1Api,
  CustomObjectsApi,
  HttpLibrary,
  KubeConfig,
  KubernetesObject,
  NetworkingV1Api,
  ObservableMiddleware,
  V1CronJob,
  V1DaemonSet,
  V1Deployment,
  V1Job,
  V1LabelSelector,
  V1OwnerReference,
  V1PodTemplateSpec,
  V1ReplicaSet,
  V1StatefulSet,
  VersionApi,
} from "@kubernetes/client-node";
import { ProviderError } from "./errors.js";
import { sharedKubeAgent } from "./kube-agents.js";

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

export type KubeClientLibrary = typeof import("@kubernetes/client-node");
let library: KubeClientLibrary | undefined;
let loading: Promise<KubeClientLibrary> | undefined;

/**
 * The client library is large (hundreds of modules): load it on the first call, so a server that only lists
 * its tools, or a command that needs no cluster, never pays for it.
 */
export function loadLibrary(): Promise<KubeClientLibrary> {
  loading ??= import("@kubernetes/client-node").then((m) => {
    library = m;
    return m;
  });
  return loading;
}

/** Whether the library has been loaded. */
export function libraryLoaded(): boolean {
  return library !== undefined;
}

/** The loaded library; only reached from code that runs after loadLibrary (every call awaits it first). */
export function k8s(): KubeClientLibrary {
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

export const patchContentTypes: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
};

export const workloadAliases: Record<string, WorkloadKind> = {
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
export interface Call {
  verb: string;
  /** Plural resource name, with the subresource if any ("pods/log"). */
  resource: string;
  group?: string;
  namespace?: string;
  name?: string;
  /** The resource itself is cluster-scoped (namespaces, nodes, webhook configurations). */
  clusterScoped?: boolean;
}

export function describe(c: Call): string {
  const res = c.group ? `${c.resource}.${c.group}` : c.resource;
  const name = c.name ? ` "${c.name}"` : "";
  const where = c.clusterScoped ? "" : c.namespace ? ` in namespace ${c.namespace}` : " in all namespaces";
  return `${c.verb} ${res}${name}${where}`;
}

/** Resources the built-in "view" ClusterRole can read. */
export const viewReadable = new Set([
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
export const editWritable = new Set([
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
export const builtinGroups = new Set(["", "apps", "batch", "networking.k8s.io", "policy", "autoscaling"]);

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
export function statusMessage(body: unknown): string | undefined {
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
export const READ_VERBS = new Set(["get", "list", "watch"]);
export const MAX_RETRIES = 2;

export function retryable(err: ProviderError): boolean {
  return err.status === 429 || (err.status !== undefined && err.status >= 500 && err.status <= 599);
}

/** 200 ms, then 400 ms (with jitter); ends early when the deadline or the caller aborts. */
export function backoff(attempt: number, signal: AbortSignal): Promise<void> {
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

export function signalOptions(signal: AbortSignal): ConfigurationOptions {
  const middleware: ObservableMiddleware = {
    pre: (ctx) => {
      ctx.setSignal(signal);
      return new (k8s().Observable)(Promise.resolve(ctx));
    },
    post: (res) => new (k8s().Observable)(Promise.resolve(res)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: "append" };
}

export interface Apis {
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

export const PAGE_SIZE = 500;
/** Guards against a server that keeps handing back continue tokens. */
export const MAX_PAGES = 200;

export function controllerOf(refs: V1OwnerReference[] | undefined): V1OwnerReference | undefined {
  return refs?.find((r) => r.controller) ?? undefined;
}

export function refOf(obj: KubernetesObject): KubeObjectRef {
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

export const reusing = new WeakSet<KubeConfig>();

/**
 * The client builds a fresh HTTPS agent for every request, so every call pays a TLS handshake with the API
 * server. A diagnosis makes dozens of calls at once: keep one keep-alive agent per set of TLS settings instead.
 */
export function reuseConnections(kc: KubeConfig): void {
  if (reusing.has(kc)) return;
  reusing.add(kc);
  type CreateAgent = (cluster: unknown, options: Record<string, unknown>) => unknown;
  const target = kc as unknown as { createAgent: CreateAgent };
  const original = target.createAgent.bind(kc);
  target.createAgent = (cluster, options) => {
    const c = cluster as { server?: string; proxyUrl?: string } | undefined;
    // Proxy agents keep their own pools; only plain HTTPS agents are shared.
    if (c?.proxyUrl) return original(cluster, options);
    return sharedKubeAgent("client-node", c?.server ?? "", options, (agentOptions) => original(cluster, agentOptions));
  };
}
