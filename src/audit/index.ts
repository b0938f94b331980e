// A cluster-wide audit: every service account with an identity (annotation, Pod Identity association,
// aad-pod-identity binding) and every pod that uses one, each diagnosed with the same gatherers and checks as
// `diagnose`. Lists are read once (as snapshots), cloud answers are shared, diagnoses run a few at a time.
import type { KubernetesObject, V1Pod, V1ServiceAccount } from "@kubernetes/client-node";
import type { Finding, Target, Verdict } from "../diagnosis/types.js";
import { EksGatherer } from "../gather/eks.js";
import { diagnose } from "../gather/index.js";
import { detectPlatform } from "../gather/platform.js";
import type { Environment } from "../providers/environment.js";
import { workloadResources } from "../providers/kube-snapshot.js";
import { KubeProvider, type SnapshotResource } from "../providers/kubernetes.js";
import { ReadCache, type SnapshotObject, withReadCache, withSharedIssuerTokens } from "../providers/read-cache.js";

export const AKS_CLIENT_ID = "azure.workload.identity/client-id";
export const AKS_USE_LABEL = "azure.workload.identity/use";
export const EKS_ROLE_ARN = "eks.amazonaws.com/role-arn";
export const PODID_BINDING_LABEL = "aadpodidbinding";

export interface AuditOptions {
  /** Undefined: every namespace. */
  namespace?: string;
  signal: AbortSignal;
  progress: (message: string, progress: number, total?: number) => Promise<void>;
  /** Diagnoses run at once (default 8). */
  concurrency?: number;
  /** Items per list page for the snapshots (default 5000). */
  pageSize?: number;
  /** A label for this cluster in merged audits (the kube context). */
  context?: string;
}

export interface AuditedFinding {
  id: string;
  severity: Finding["severity"];
  title: string;
  fix: string;
}

/** One diagnosed identity user, under each workload that runs with it. */
export interface AuditEntry {
  context?: string;
  namespace: string;
  /** "deployment/payments-api"; "serviceaccount/NAME" when no pod runs with it. */
  workload: string;
  serviceAccount?: string;
  pod?: string;
  /** Why it was audited: the annotation, association or binding. */
  reason: string;
  mechanism?: string;
  verdict: Verdict;
  findings: AuditedFinding[];
}

export interface AuditResult {
  verdict: Verdict;
  scope: { contexts: string[]; namespace?: string; allNamespaces: boolean };
  summary: {
    namespaces: number;
    serviceAccounts: number;
    pods: number;
    audited: number;
    podsUsingIdentity: number;
    verdicts: Record<Verdict, number>;
    findingsById: Record<string, number>;
    findingsByNamespace: Record<string, number>;
  };
  entries: AuditEntry[];
  /** Reads that failed: the audit could not see everything. */
  problems: string[];
}

const SNAPSHOTS: SnapshotResource[] = [
  "pods",
  "serviceaccounts",
  ...(Object.values(workloadResources) as SnapshotResource[]),
  "networkpolicies.networking.k8s.io",
];
const CUSTOM_SNAPSHOTS: [group: string, version: string, plural: string][] = [
  ["aadpodidentity.k8s.io", "v1", "azureidentitybindings"],
  ["aadpodidentity.k8s.io", "v1", "azureidentities"],
  ["aadpodidentity.k8s.io", "v1", "azureassignedidentities"],
  ["secrets-store.csi.x-k8s.io", "v1", "secretproviderclasses"],
];

interface Candidate {
  target: Target;
  reason: string;
}

/** Read each list once into the cache; a list that fails is dropped, so reads of it go to the server. */
async function takeSnapshots(kube: KubeProvider, cache: ReadCache, opts: AuditOptions, problems: string[]) {
  const size = opts.pageSize ?? 5000;
  const loads: [string, Promise<SnapshotObject[]>][] = [
    ...SNAPSHOTS.map((r): [string, Promise<SnapshotObject[]>] => [
      r,
      kube.listEverywhere(r, opts.namespace, size, opts.signal) as Promise<SnapshotObject[]>,
    ]),
    ...CUSTOM_SNAPSHOTS.map(([g, v, p]): [string, Promise<SnapshotObject[]>] => [
      `${p}.${g}`,
      kube.listCustomObjects(g, v, p, opts.namespace, opts.signal) as Promise<SnapshotObject[]>,
    ]),
  ];
  const settled = await Promise.allSettled(loads.map(([, p]) => p));
  settled.forEach((s, i) => {
    const [resource, items] = loads[i];
    if (s.status === "fulfilled") cache.snapshots.set(resource, { namespace: opts.namespace, items });
    else if (resource === "pods" || resource === "serviceaccounts") {
      problems.push(`list ${resource}: ${(s.reason as Error)?.message ?? String(s.reason)}`);
    }
  });
}

const nonEmpty = (v: string | undefined) => typeof v === "string" && v.trim() !== "";

/** Service accounts and pods that use an identity, each diagnosed once. */
async function candidates(
  env: Environment,
  sas: V1ServiceAccount[],
  pods: V1Pod[],
  opts: AuditOptions,
  problems: string[],
): Promise<Candidate[]> {
  const out = new Map<string, Candidate>();
  const addSa = (namespace: string, name: string, reason: string) => {
    const key = `sa:${namespace}/${name}`;
    if (!out.has(key)) out.set(key, { target: { namespace, serviceAccount: name }, reason });
  };
  for (const sa of sas) {
    const a = sa.metadata?.annotations ?? {};
    const ns = sa.metadata?.namespace ?? "default";
    const name = sa.metadata?.name ?? "";
    if (nonEmpty(a[AKS_CLIENT_ID])) addSa(ns, name, `annotation ${AKS_CLIENT_ID}`);
    else if (nonEmpty(a[EKS_ROLE_ARN])) addSa(ns, name, `annotation ${EKS_ROLE_ARN}`);
  }
  for (const pod of pods) {
    const ns = pod.metadata?.namespace ?? "default";
    const labels = pod.metadata?.labels ?? {};
    if (labels[AKS_USE_LABEL] === "true") {
      addSa(ns, pod.spec?.serviceAccountName ?? "default", `pod label ${AKS_USE_LABEL}`);
    }
    const binding = labels[PODID_BINDING_LABEL];
    if (binding) {
      const key = `pod:${ns}/${binding}`;
      if (!out.has(key)) {
        out.set(key, {
          target: { namespace: ns, pod: pod.metadata?.name },
          reason: `aad-pod-identity binding selector ${binding}`,
        });
      }
    }
  }
  if ((detectPlatform(env) ?? "aks") === "eks") {
    const g = new EksGatherer(env, opts.signal);
    const cluster = await g.cluster();
    if (cluster.status === "ok" && cluster.value) {
      try {
        const associations = await g.aws.listPodIdentityAssociations(cluster.value.name, opts.namespace, undefined, {
          signal: opts.signal,
        });
        for (const a of associations) addSa(a.namespace, a.serviceAccount, "EKS Pod Identity association");
      } catch (err) {
        problems.push(`EKS Pod Identity associations: ${(err as Error).message}`);
      }
    }
  }
  return [...out.values()].sort((x, y) => keyOf(x.target).localeCompare(keyOf(y.target)));
}

const keyOf = (t: Target) => `${t.namespace}/${t.serviceAccount ?? ""}/${t.pod ?? ""}`;

/** The top-level workload that runs a pod: ReplicaSet → Deployment, Job → CronJob, through the snapshots. */
function workloadOf(pod: V1Pod, byKey: Map<string, KubernetesObject>): string {
  const ns = pod.metadata?.namespace ?? "default";
  let ref = pod.metadata?.ownerReferences?.find((r) => r.controller);
  let name = `pod/${pod.metadata?.name}`;
  for (let depth = 0; ref && depth < 3; depth++) {
    name = `${ref.kind.toLowerCase()}/${ref.name}`;
    const owner = byKey.get(`${ref.kind}/${ns}/${ref.name}`);
    const hash = pod.metadata?.labels?.["pod-template-hash"];
    if (!owner && ref.kind === "ReplicaSet" && hash && ref.name.endsWith(`-${hash}`)) {
      // A Deployment names its ReplicaSets NAME-<pod-template-hash>.
      return `deployment/${ref.name.slice(0, -hash.length - 1)}`;
    }
    ref = owner?.metadata?.ownerReferences?.find((r) => r.controller);
  }
  return name;
}

async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  });
  await Promise.all(workers);
}

interface Outcome {
  verdict: Verdict;
  mechanism?: string;
  findings: AuditedFinding[];
}

async function diagnoseCandidate(env: Environment, c: Candidate, signal: AbortSignal): Promise<Outcome> {
  try {
    const report = await diagnose(env, c.target, { signal, progress: async () => undefined });
    return {
      verdict: report.verdict,
      mechanism: report.mechanism,
      findings: report.findings.map((f) => ({ id: f.id, severity: f.severity, title: f.title, fix: f.fix.summary })),
    };
  } catch (err) {
    if (signal.aborted) throw err;
    const title = `the diagnosis failed: ${(err as Error).message}`;
    const fix = "run wi-doctor diagnose on this target for details";
    return { verdict: "inconclusive", findings: [{ id: "audit.diagnosis-failed", severity: "error", title, fix }] };
  }
}

/**
 * Diagnose every candidate in two passes. The first decides from the objects: service-account tokens are
 * requested once per audience for the whole cluster (they serve the issuer checks, which are the same for every
 * service account) and nothing is exchanged. Every target the first pass does not find healthy is diagnosed again
 * in full (its own token, a live exchange where allowed), so each finding is what `diagnose` reports.
 */
async function diagnoseAll(
  env: Environment,
  cache: ReadCache,
  found: Candidate[],
  opts: AuditOptions,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(found.length);
  const lean = withSharedIssuerTokens(withReadCache(env, cache));
  const full = withReadCache(env, cache);
  const concurrency = opts.concurrency ?? 8;
  let done = 0;
  const finished = async (c: Candidate) => {
    done++;
    await opts.progress(`audited ${c.target.namespace}/${c.target.serviceAccount ?? c.target.pod}`, done, found.length);
  };
  const again: number[] = [];
  await pool(found, concurrency, async (c, i) => {
    outcomes[i] = await diagnoseCandidate(lean, c, opts.signal);
    if (outcomes[i].verdict === "healthy") await finished(c);
    else again.push(i);
  });
  await pool(again, concurrency, async (i) => {
    outcomes[i] = await diagnoseCandidate(full, found[i], opts.signal);
    await finished(found[i]);
  });
  return outcomes;
}

/** Pods by "namespace/serviceaccount" and by "namespace//pod". */
function indexPods(pods: V1Pod[]): Map<string, V1Pod[]> {
  const out = new Map<string, V1Pod[]>();
  const add = (k: string, p: V1Pod) => {
    const list = out.get(k);
    if (list) list.push(p);
    else out.set(k, [p]);
  };
  for (const p of pods) {
    const ns = p.metadata?.namespace;
    add(`${ns}/${p.spec?.serviceAccountName ?? "default"}`, p);
    add(`${ns}//${p.metadata?.name}`, p);
  }
  return out;
}

const usersOf = (t: Target, byUser: Map<string, V1Pod[]>) =>
  byUser.get(t.pod ? `${t.namespace}//${t.pod}` : `${t.namespace}/${t.serviceAccount}`) ?? [];

export async function auditCluster(env: Environment, opts: AuditOptions): Promise<AuditResult> {
  const cache = new ReadCache();
  const aenv = withReadCache(env, cache);
  const kube = new KubeProvider(env);
  const problems: string[] = [];
  await opts.progress("listing service accounts, pods and workloads", 0);
  await takeSnapshots(kube, cache, opts, problems);
  const all = async (r: string) => ((await cache.snapshots.get(r)?.items) ?? []) as KubernetesObject[];
  const sas = (await all("serviceaccounts")) as V1ServiceAccount[];
  const pods = (await all("pods")) as V1Pod[];
  const byKey = new Map<string, KubernetesObject>();
  for (const [kind, r] of Object.entries(workloadResources)) {
    for (const o of await all(r)) byKey.set(`${kind}/${o.metadata?.namespace}/${o.metadata?.name}`, o);
  }
  const found = await candidates(aenv, sas, pods, opts, problems);
  const outcomes = await diagnoseAll(env, cache, found, opts);
  const byUser = indexPods(pods);
  const entries: AuditEntry[] = [];
  const usingIdentity = new Set<string>();
  found.forEach((c, i) => {
    const users = usersOf(c.target, byUser);
    for (const p of users) usingIdentity.add(`${p.metadata?.namespace}/${p.metadata?.name}`);
    const workloads = [...new Set(users.map((p) => workloadOf(p, byKey)))];
    if (!workloads.length) workloads.push(`serviceaccount/${c.target.serviceAccount ?? c.target.pod}`);
    const { verdict, mechanism, findings } = outcomes[i];
    for (const workload of workloads) {
      entries.push({
        context: opts.context,
        namespace: c.target.namespace,
        reason: c.reason,
        workload,
        serviceAccount: c.target.serviceAccount,
        pod: c.target.pod,
        mechanism,
        verdict,
        findings,
      });
    }
  });
  return summarise({
    contexts: opts.context ? [opts.context] : [],
    namespace: opts.namespace,
    entries,
    problems,
    counts: {
      namespaces: new Set(sas.map((s) => s.metadata?.namespace)).size,
      serviceAccounts: sas.length,
      pods: pods.length,
      audited: found.length,
      podsUsingIdentity: usingIdentity.size,
    },
  });
}

const verdictRank: Record<Verdict, number> = { broken: 0, inconclusive: 1, healthy: 2 };

export function summarise(parts: {
  contexts: string[];
  namespace?: string;
  entries: AuditEntry[];
  problems: string[];
  counts: Omit<AuditResult["summary"], "verdicts" | "findingsById" | "findingsByNamespace">;
}): AuditResult {
  const entries = [...parts.entries].sort(
    (a, b) =>
      verdictRank[a.verdict] - verdictRank[b.verdict] ||
      (a.context ?? "").localeCompare(b.context ?? "") ||
      a.namespace.localeCompare(b.namespace) ||
      a.workload.localeCompare(b.workload),
  );
  const verdicts: Record<Verdict, number> = { healthy: 0, broken: 0, inconclusive: 0 };
  const findingsById: Record<string, number> = {};
  const findingsByNamespace: Record<string, number> = {};
  // Counted per diagnosed target, not per workload row, so a service account shared by two workloads counts once.
  const seen = new Set<string>();
  for (const e of entries) {
    const k = `${e.context ?? ""}|${e.namespace}|${e.serviceAccount ?? ""}|${e.pod ?? ""}`;
    if (seen.has(k)) continue;
    seen.add(k);
    verdicts[e.verdict]++;
    for (const f of e.findings) {
      findingsById[f.id] = (findingsById[f.id] ?? 0) + 1;
      const ns = e.context ? `${e.context}/${e.namespace}` : e.namespace;
      findingsByNamespace[ns] = (findingsByNamespace[ns] ?? 0) + 1;
    }
  }
  const verdict: Verdict =
    verdicts.broken > 0 ? "broken" : verdicts.inconclusive > 0 || parts.problems.length ? "inconclusive" : "healthy";
  return {
    verdict,
    scope: { contexts: parts.contexts, namespace: parts.namespace, allNamespaces: parts.namespace === undefined },
    summary: { ...parts.counts, verdicts, findingsById, findingsByNamespace },
    entries,
    problems: parts.problems,
  };
}

/** Several clusters' audits as one. */
export function mergeAudits(results: AuditResult[]): AuditResult {
  const sum = (k: keyof AuditResult["summary"]) => results.reduce((n, r) => n + (r.summary[k] as number), 0);
  return summarise({
    contexts: results.flatMap((r) => r.scope.contexts),
    namespace: results[0]?.scope.namespace,
    entries: results.flatMap((r) => r.entries),
    problems: results.flatMap((r) => r.problems.map((p) => (r.scope.contexts[0] ? `${r.scope.contexts[0]}: ${p}` : p))),
    counts: {
      namespaces: sum("namespaces"),
      serviceAccounts: sum("serviceAccounts"),
      pods: sum("pods"),
      audited: sum("audited"),
      podsUsingIdentity: sum("podsUsingIdentity"),
    },
  });
}
