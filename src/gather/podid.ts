// Gather the facts of an aad-pod-identity diagnosis and of a migration plan. Independent reads run concurrently;
// the ARM reads that need the AzureIdentities' resource ids wait for them.
import type { V1Pod } from "@kubernetes/client-node";
import type { FederatedCredentialFacts, IdentityFacts, RoleAssignmentFacts } from "../diagnosis/aks/facts.js";
import { usesPodIdentity } from "../diagnosis/podid/detect.js";
import { diagnosePodIdentityFacts } from "../diagnosis/podid/report.js";
import {
  type ComponentFacts,
  PODID_GROUP,
  PODID_LABEL,
  PODID_VERSION,
  type PodIdClusterIdentity,
  type PodIdFacts,
  parseIdentityResourceId,
  type RawObject,
  readBinding,
  readIdentity,
  type VmssFacts,
} from "../diagnosis/podid/facts.js";
import {
  type MigrationFacts,
  type MigrationWorkload,
  planMigration,
  type MigrationPlan,
} from "../diagnosis/podid/migration.js";
import type { ClusterFacts } from "../diagnosis/aks/facts.js";
import { type Gathered, ok, type Report, skipped, type Target, valueOf as factOf } from "../diagnosis/types.js";
import { AzureProvider } from "../providers/azure.js";
import type { Environment } from "../providers/environment.js";
import { gather, ProviderError } from "../providers/errors.js";
import { KubeProvider } from "../providers/kubernetes.js";
import { contextClusterLookup, once, readSecretProviderClasses } from "./aks-reads.js";
import { ComponentReader } from "./podid-components.js";
import { type ResolvedTarget, resolveTarget } from "./target.js";

interface PodIdTarget {
  pods: Gathered<V1Pod[]>;
  workload?: PodIdFacts["workload"];
  podMissing?: string;
}

export { diagnosePodIdentityFacts, usesPodIdentity };

export interface PodIdGatherOptions {
  signal: AbortSignal;
  progress: (message: string, progress: number, total?: number) => Promise<void>;
  errorText?: string;
}

type Cluster = ClusterFacts & PodIdClusterIdentity;

export class PodIdGatherer {
  readonly kube: KubeProvider;
  readonly azure: AzureProvider;

  constructor(
    readonly env: Environment,
    readonly signal: AbortSignal,
    kube?: KubeProvider,
  ) {
    this.kube = kube ?? new KubeProvider(env);
    this.azure = new AzureProvider(env);
    this.components = new ComponentReader(this.kube, signal);
  }

  crs = (plural: string, namespace?: string) =>
    gather<RawObject[]>(
      plural,
      async () =>
        (await this.kube.listCustomObjects(PODID_GROUP, PODID_VERSION, plural, namespace, this.signal)) as RawObject[],
    );

  private readonly resolvedPods = new Map<string, Promise<PodIdTarget>>();

  /**
   * The target's pods and workload as aad-pod-identity reads them, once per gatherer (the mechanism check and the
   * diagnosis share them), from the target resolved once per diagnosis.
   */
  resolved(target: Target, resolved?: Promise<ResolvedTarget>): Promise<PodIdTarget> {
    const key = JSON.stringify([target.namespace, target.pod, target.workload, target.serviceAccount]);
    let p = this.resolvedPods.get(key);
    if (!p) {
      p = (resolved ?? resolveTarget(this, target)).then((r) => podIdTarget(this, r));
      this.resolvedPods.set(key, p);
    }
    return p;
  }

  /** Start the cluster-side reads of a diagnosis early (while the mechanism is still being decided). */
  prefetch(target: Target, resolved?: Promise<ResolvedTarget>): void {
    // MIC's and NMI's pods by their labels (answers that do not grow with the cluster); their logs, and the
    // controllers of a component without pods, only once the target turns out to use aad-pod-identity.
    for (const p of [this.identities(), this.bindings(), this.assigned(), this.components.pods()])
      p.catch(() => undefined);
    this.resolved(target, resolved).catch(() => undefined);
  }

  identities = once(() => this.crs("azureidentities"));
  bindings = once(() => this.crs("azureidentitybindings"));
  assigned = once(() => this.crs("azureassignedidentities"));

  cluster = once(() => contextClusterLookup<Cluster>(this.kube, this.azure, this.signal));

  apiServerIssuer = once(async () => {
    const doc = await this.kube.getIssuerDiscovery(this.signal).catch(() => undefined);
    return doc?.issuer;
  });

  /** MIC and NMI, by the labels their installs use (podid-components.ts). */
  readonly components: ComponentReader;

  private micOnce?: Promise<Gathered<ComponentFacts>>;

  /** MIC or NMI (MIC read once per gatherer): its pods, their error lines, its controllers when it has no pod. */
  component = (name: "mic" | "nmi", nodes: string[] = []): Promise<Gathered<ComponentFacts>> => {
    if (name === "nmi") return this.components.read(name, nodes);
    this.micOnce ??= this.components.read(name, nodes);
    return this.micOnce;
  };

  private readonly spcs = new Map<string, ReturnType<typeof readSecretProviderClasses>>();

  /** A namespace's SecretProviderClasses, read once per gatherer (the workload identity run shares them). */
  secretProviderClasses = (namespace: string): ReturnType<typeof readSecretProviderClasses> => {
    let read = this.spcs.get(namespace);
    if (!read) {
      read = readSecretProviderClasses(this.kube, namespace, this.signal);
      this.spcs.set(namespace, read);
    }
    return read;
  };

  /**
   * The Secrets service-principal AzureIdentities name in clientPassword: only the names of their data keys are
   * kept (null: no such Secret). The values never leave this function.
   */
  identitySecrets = (
    identities: Gathered<RawObject[]>,
  ): Promise<Gathered<Record<string, { keys?: string[] } | null>>> => {
    const refs = new Map<string, { name: string; namespace: string }>();
    for (const i of (factOf(identities) ?? []).map(readIdentity)) {
      const ref = i.clientPassword;
      if ((i.type === 1 || i.type === 2) && ref?.name && ref.namespace) refs.set(`${ref.namespace}/${ref.name}`, ref);
    }
    if (!refs.size) return Promise.resolve(ok({}));
    return gather("Secrets named by service-principal AzureIdentities", async () => {
      const entries = await Promise.all(
        [...refs].map(async ([key, ref]) => {
          const secret = (await this.kube.getObject(
            { apiVersion: "v1", kind: "Secret", namespace: ref.namespace, name: ref.name },
            this.signal,
          )) as { data?: Record<string, unknown>; stringData?: Record<string, unknown> } | null;
          // A server (or a role) that withholds the data leaves the keys unknown, not empty.
          const keys = secret?.data ? Object.keys(secret.data).sort() : undefined;
          return [key, secret ? { keys } : null] as const;
        }),
      );
      return Object.fromEntries(entries);
    });
  };

  /** ARM's view of every user-assigned identity the AzureIdentities name (null: it does not exist). */
  armIdentities = (identities: Gathered<RawObject[]>): Promise<Gathered<Record<string, IdentityFacts | null>>> => {
    const ids = [
      ...new Set(
        (factOf(identities) ?? [])
          .map(readIdentity)
          .filter((i) => (i.type ?? 0) === 0 && parseIdentityResourceId(i.resourceID))
          .map((i) => i.resourceID),
      ),
    ];
    if (!ids.length) return Promise.resolve(ok({}));
    return gather("user-assigned identities", async () => {
      const found = await Promise.all(ids.map((resourceId) => this.azure.findIdentity({ resourceId }, this.signal)));
      return Object.fromEntries(ids.map((id, i) => [id.toLowerCase(), (found[i] as IdentityFacts | null) ?? null]));
    });
  };
}

/**
 * Labels a workload carries above its pod template: its own, and for a CronJob its job template's too. A binding
 * label there never reaches the pods, but says that pod identity was meant.
 */
function ownLabels(object: { metadata?: { labels?: Record<string, string> }; spec?: unknown }) {
  const jobTemplate = (object.spec as { jobTemplate?: { metadata?: { labels?: Record<string, string> } } } | undefined)
    ?.jobTemplate;
  return { ...(jobTemplate?.metadata?.labels ?? {}), ...(object.metadata?.labels ?? {}) };
}

/** The resolved target as aad-pod-identity reads it: a pod's owning workload, a namespace's labelled pods. */
async function podIdTarget(g: PodIdGatherer, r: ResolvedTarget): Promise<PodIdTarget> {
  const ns = r.target.namespace;
  if (r.kind === "namespace")
    return { pods: await gather("pods", () => g.kube.listPods(ns, { labelSelector: PODID_LABEL }, g.signal)) };
  if (r.missing) return { pods: ok([]), workload: r.workload ? ok(null) : undefined, podMissing: r.missing };
  if (r.kind === "workload") {
    const wl = r.workload!;
    const w = factOf(wl);
    if (wl.status !== "ok" || !w) return { pods: r.pods, workload: wl as PodIdFacts["workload"] };
    return {
      pods: r.pods,
      workload: ok({ kind: w.kind, name: w.name, labels: ownLabels(w.object), podTemplate: w.podTemplate }),
    };
  }
  const pod = r.kind === "pod" ? factOf(r.pods)?.[0] : undefined;
  if (!pod) return { pods: r.pods };
  const owner = await gather("pod owner", () => g.kube.getPodOwner(pod, g.signal));
  const o = factOf(owner);
  // An owner that cannot be read is left out, as a pod without one is.
  return {
    pods: r.pods,
    workload: o
      ? ok({ kind: o.kind, name: o.name, labels: ownLabels(o.object), podTemplate: o.podTemplate })
      : undefined,
  };
}

export async function gatherPodIdFacts(
  env: Environment,
  target: Target,
  opts: PodIdGatherOptions,
  g = new PodIdGatherer(env, opts.signal),
): Promise<PodIdFacts> {
  const ns = target.namespace;
  // Phase 1: everything that needs only the target.
  const identitiesP = g.identities();
  const bindingsP = g.bindings();
  const assignedP = g.assigned();
  const clusterP = g.cluster();
  const policiesP = gather("NetworkPolicies", () => g.kube.listNetworkPolicies(ns, opts.signal));
  const spcP = g.secretProviderClasses(ns);
  const micP = g.component("mic");
  const resolvedP = g.resolved(target);

  // Phase 2: what needs the pods (the nodes whose NMI matters) or the identities and cluster (ARM).
  const nmiP = resolvedP.then((r) =>
    g.component("nmi", (factOf(r.pods) ?? []).map((p) => p.spec?.nodeName ?? "").filter(Boolean)),
  );
  const armP = identitiesP.then((ids) => g.armIdentities(ids));
  const secretsP = identitiesP.then((ids) => g.identitySecrets(ids));
  const vmssP = clusterP.then((c) => {
    const cluster = factOf(c);
    if (!cluster) return skipped<VmssFacts[]>(c.status === "ok" ? "the AKS cluster was not found in ARM" : c.reason);
    if (!cluster.nodeResourceGroup) return skipped<VmssFacts[]>("the cluster's node resource group is unknown");
    return gather("VM scale sets", async () =>
      (await g.azure.listVmss(cluster.subscriptionId, cluster.nodeResourceGroup!, opts.signal)).map((v) => ({
        name: v.name,
        resourceGroup: v.resourceGroup ?? cluster.nodeResourceGroup!,
        userAssignedIdentities: v.userAssignedIdentities ?? [],
      })),
    );
  });
  const rolesP = clusterP.then((c) => {
    const principal = factOf(c)?.kubeletIdentity?.objectId;
    if (!principal) return skipped<RoleAssignmentFacts[]>("the cluster's kubelet identity is unknown");
    return gather("role assignments of the kubelet identity", () =>
      g.azure.listRoleAssignments(principal, opts.signal),
    );
  });
  await opts.progress("reading aad-pod-identity objects, MIC and NMI", 1, 3);

  const [
    identities,
    bindings,
    assignedIdentities,
    cluster,
    networkPolicies,
    secretProviderClasses,
    mic,
    resolved,
    nmi,
    arm,
    vmss,
    roles,
    identitySecrets,
  ] = await Promise.all([
    identitiesP,
    bindingsP,
    assignedP,
    clusterP,
    policiesP,
    spcP,
    micP,
    resolvedP,
    nmiP,
    armP,
    vmssP,
    rolesP,
    secretsP,
  ]);
  return {
    target,
    pods: resolved.pods,
    workload: resolved.workload,
    podMissing: resolved.podMissing,
    identities,
    bindings,
    assignedIdentities,
    mic,
    nmi,
    networkPolicies,
    secretProviderClasses,
    cluster,
    armIdentities: arm,
    vmss,
    clusterIdentityRoles: roles,
    identitySecrets,
    errorText: opts.errorText,
  };
}

/** The aad-pod-identity diagnosis of a pod, workload or service account (or, with only a namespace, of its setup). */
export async function diagnosePodIdentity(
  env: Environment,
  target: Target,
  opts: PodIdGatherOptions,
  g?: PodIdGatherer,
): Promise<Report> {
  await opts.progress("resolving the target", 0, 3);
  const facts = await gatherPodIdFacts(env, target, opts, g);
  await opts.progress("running the aad-pod-identity checks", 2, 3);
  const report = diagnosePodIdentityFacts(facts);
  await opts.progress("done", 3, 3);
  return report;
}

/** Whether the target's pods (or its pod template) carry the aadpodidbinding label. Never throws. */
export async function targetUsesPodIdentity(
  env: Environment,
  target: Target,
  signal: AbortSignal,
  g = new PodIdGatherer(env, signal),
): Promise<boolean> {
  try {
    const [resolved, bindings] = await Promise.all([g.resolved(target), g.bindings()]);
    const b = factOf(bindings) ?? [];
    const wl = factOf(resolved.workload);
    const template = wl?.podTemplate.metadata?.labels;
    if (template && usesPodIdentity(template, b)) return true;
    // The binding label put on the workload's own metadata (where MIC never sees it) still says what was meant.
    if (wl && usesPodIdentity(wl.labels, b)) return true;
    // A namespace-only target: aad-pod-identity objects in the namespace (bindings, or identities left assigned).
    if (!target.pod && !target.workload && !target.serviceAccount) {
      if (b.some((x) => (x as { metadata?: { namespace?: string } }).metadata?.namespace === target.namespace))
        return true;
      // The cluster-wide list the diagnosis reads anyway (started by prefetch), not a second namespaced one.
      const assigned = factOf(await g.assigned()) ?? [];
      if (assigned.some((x) => (x as { metadata?: { namespace?: string } }).metadata?.namespace === target.namespace))
        return true;
    }
    const pods = factOf(resolved.pods) ?? [];
    if (pods.some((p) => usesPodIdentity(p.metadata?.labels, b))) return true;
    // A Secrets Store volume whose SecretProviderClass sets usePodIdentity asks NMI for its token, label or not.
    const specs = [wl?.podTemplate.spec, ...pods.map((p) => p.spec)];
    const volumes = new Set(
      specs.flatMap((spec) => (spec?.volumes ?? []).map((v) => v.csi?.volumeAttributes?.secretProviderClass)),
    );
    volumes.delete(undefined);
    if (volumes.size === 0) return false;
    const spcs = factOf(await g.secretProviderClasses(target.namespace)) ?? [];
    return spcs.some((spc) => volumes.has(spc.name) && String(spc.parameters.usePodIdentity).toLowerCase() === "true");
  } catch (err) {
    if (err instanceof ProviderError && err.kind === "cancelled") throw err;
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Migration

export async function gatherMigrationFacts(
  env: Environment,
  scope: { namespace?: string },
  opts: Pick<PodIdGatherOptions, "signal" | "progress">,
): Promise<{ facts: MigrationFacts; skipped: string[] }> {
  const g = new PodIdGatherer(env, opts.signal);
  const notes: string[] = [];
  const [identities, bindings, cluster, apiServerIssuer, nmi] = await Promise.all([
    g.identities(),
    g.bindings(),
    g.cluster(),
    g.apiServerIssuer(),
    gather("NMI", () => g.kube.listPods(undefined, { labelSelector: "component=nmi" }, opts.signal)),
  ]);
  if (identities.status !== "ok") throw new ProviderError("unavailable", identities.reason);
  if (bindings.status !== "ok") throw new ProviderError("unavailable", bindings.reason);
  if (cluster.status !== "ok") notes.push(cluster.reason);
  await opts.progress("reading the workloads the bindings select", 1, 3);

  const bindingViews = bindings.value.map(readBinding);
  // Bindings select pods in any namespace (unless aad-pod-identity runs namespaced): look where the labelled pods are.
  const labelled = await gather("labelled pods", () =>
    g.kube.listPods(scope.namespace, { labelSelector: PODID_LABEL }, opts.signal),
  );
  const namespaces = new Set<string>(scope.namespace ? [scope.namespace] : bindingViews.map((b) => b.namespace));
  for (const p of factOf(labelled) ?? []) namespaces.add(p.metadata?.namespace ?? "default");
  const pods = factOf(labelled) ?? [];

  const perNs = await Promise.all(
    [...namespaces].map(async (ns) => {
      const [workloads, sas] = await Promise.all([
        gather(`workloads in ${ns}`, () => g.kube.listWorkloads(ns, opts.signal)),
        gather(`service accounts in ${ns}`, () => g.kube.listServiceAccounts(ns, opts.signal)),
      ]);
      if (workloads.status !== "ok") notes.push(workloads.reason);
      if (sas.status !== "ok") notes.push(sas.reason);
      return { ns, workloads: factOf(workloads) ?? [], sas: factOf(sas) ?? [] };
    }),
  );
  const workloads: MigrationWorkload[] = [];
  const owned = new Set<string>();
  for (const { ns, workloads: ws } of perNs) {
    for (const w of ws) {
      if (!w.podTemplate.metadata?.labels?.[PODID_LABEL]) continue;
      const selectorLabels = w.selector ? parseEqualitySelector(w.selector) : undefined;
      const mine = pods.filter(
        (p) =>
          p.metadata?.namespace === ns &&
          selectorLabels !== undefined &&
          Object.entries(selectorLabels).every(([k, v]) => p.metadata?.labels?.[k] === v),
      );
      for (const p of mine) owned.add(`${ns}/${p.metadata?.name}`);
      workloads.push({ namespace: ns, kind: w.kind, name: w.name, podTemplate: w.podTemplate, pods: mine });
    }
  }
  const barePods = pods.filter(
    (p) => !p.metadata?.ownerReferences?.length && !owned.has(`${p.metadata?.namespace}/${p.metadata?.name}`),
  );

  await opts.progress("reading the identities in ARM", 2, 3);
  const arm = await g.armIdentities(identities);
  if (arm.status !== "ok") notes.push(arm.reason);
  const armMap = factOf(arm) ?? {};
  const federatedCredentials: Record<string, FederatedCredentialFacts[]> = {};
  await Promise.all(
    Object.entries(armMap).map(async ([key, identity]) => {
      if (!identity) return;
      const fics = await gather(`federated credentials of ${identity.name}`, () =>
        g.azure.listFederatedCredentials(identity, opts.signal),
      );
      if (fics.status === "ok") federatedCredentials[key] = fics.value;
      else notes.push(fics.reason);
    }),
  );
  const c = factOf(cluster) ?? undefined;
  const nmiArgs = (factOf(nmi) ?? []).flatMap((p) => (p.spec?.containers ?? []).flatMap((x) => x.args ?? []));
  return {
    facts: {
      namespace: scope.namespace,
      cluster: c
        ? {
            name: c.name,
            resourceGroup: c.resourceGroup,
            subscriptionId: c.subscriptionId,
            oidcIssuerEnabled: c.oidcIssuerEnabled,
            workloadIdentityEnabled: c.workloadIdentityEnabled,
            issuerUrl: c.issuerUrl,
          }
        : undefined,
      apiServerIssuer,
      tenantId: env.azure.credential ? Object.values(armMap).find((i) => i)?.tenantId : undefined,
      audience: env.azure.cloud.tokenExchangeAudience,
      identities: identities.value,
      bindings: bindings.value,
      workloads,
      barePods,
      serviceAccounts: perNs.flatMap(({ ns, sas }) =>
        sas.map((s) => ({ namespace: ns, name: s.metadata?.name ?? "", annotations: s.metadata?.annotations ?? {} })),
      ),
      armIdentities: armMap,
      federatedCredentials,
      // The AKS add-on runs NMI in managed mode in kube-system.
      podIdentityAddon: nmiArgs.some((a) => a === "--operation-mode=managed"),
    },
    skipped: [...new Set(notes)],
  };
}

export async function planPodIdentityMigration(
  env: Environment,
  scope: { namespace?: string },
  opts: Pick<PodIdGatherOptions, "signal" | "progress">,
): Promise<MigrationPlan & { skipped: string[] }> {
  await opts.progress("reading aad-pod-identity objects and the cluster", 0, 3);
  const { facts, skipped: notes } = await gatherMigrationFacts(env, scope, opts);
  const plan = planMigration(facts);
  await opts.progress("done", 3, 3);
  return { ...plan, skipped: notes };
}

/** "a=b,c=d" (the equality form the provider renders matchLabels in); undefined when it uses set operators. */
function parseEqualitySelector(selector: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const part of selector.split(",")) {
    const m = /^\s*([^=!\s]+)\s*==?\s*([^,\s]*)\s*$/.exec(part);
    if (!m) return undefined;
    out[m[1]] = m[2];
  }
  return out;
}
