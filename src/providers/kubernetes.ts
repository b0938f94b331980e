// Kubernetes facts through @kubernetes/client-node, with a deadline and cancellation on every call and
// every failure turned into a ProviderError (a 403 names the RBAC rule that would allow the call).
import type {
  CoreV1Event,
  HttpMethod,
  KubernetesObject,
  V1ConfigMap,
  V1Deployment,
  V1Endpoints,
  V1MutatingWebhookConfiguration,
  V1Namespace,
  V1NetworkPolicy,
  V1Node,
  V1ObjectMeta,
  V1Pod,
  V1ServiceAccount,
  VersionInfo,
} from "@kubernetes/client-node";
import type { JWK } from "jose";
import type { Environment } from "./environment.js";
import { ProviderError } from "./errors.js";
import {
  type Call,
  type KubeObjectRef,
  type ListOptions,
  type OidcDiscoveryDocument,
  type PatchType,
  type PodLogOptions,
  type SnapshotResource,
  type Workload,
  type WriteOptions,
  controllerOf,
  normalizeWorkloadKind,
  patchContentTypes,
  refOf,
  toWorkload,
} from "./kube-model.js";
import { kubeSnapshotAnswer } from "./kube-snapshot.js";
import { cacheReads, readCacheOf, sharesIssuerTokens } from "./read-cache.js";

import { KubeClients } from "./kube-base.js";

export {
  type KubeObjectRef,
  type ListOptions,
  labelSelectorToString,
  normalizeWorkloadKind,
  type OidcDiscoveryDocument,
  type PatchType,
  type PodLogOptions,
  parseWorkloadRef,
  rbacRemedy,
  type SnapshotResource,
  toWorkload,
  type Workload,
  type WorkloadKind,
  type WriteOptions,
} from "./kube-model.js";

const KUBE_READS: (keyof KubeProvider & string)[] = [
  "getServiceAccount",
  "listServiceAccounts",
  "getPod",
  "listPods",
  "getWorkload",
  "listWorkloads",
  "getPodOwner",
  "getDeployment",
  "listDeployments",
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

export class KubeProvider extends KubeClients {
  constructor(env: Environment) {
    super(env);
    // Within an audit, every read runs once and reads of snapshotted resources need no request.
    cacheReads(env, this, KUBE_READS, kubeSnapshotAnswer);
  }

  // -------------------------------------------------------------------------------------------
  // Context

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

  /** The Deployments of a namespace (one list; listWorkloads reads every workload kind). */
  listDeployments(namespace: string, signal?: AbortSignal): Promise<V1Deployment[]> {
    return this.listAll({ verb: "list", resource: "deployments", group: "apps", namespace }, signal, (a, o, p) =>
      a.apps.listNamespacedDeployment({ namespace, ...p }, o),
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
    options: Pick<ListOptions, "labelSelector"> = {},
  ): Promise<KubernetesObject[]> {
    const { labelSelector } = options;
    try {
      return await this.listAll({ verb: "list", resource: plural, group, namespace }, signal, (a, o, page) =>
        namespace
          ? a.custom.listNamespacedCustomObject({ group, version, plural, namespace, labelSelector, ...page }, o)
          : a.custom.listClusterCustomObject({ group, version, plural, labelSelector, ...page }, o),
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
}
