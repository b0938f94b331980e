// The target of a diagnosis, resolved once: a pod, a workload of any kind (CronJob and Job included), a service
// account, or a whole namespace becomes the service account its pods run as and the pods in scope. Every mechanism
// (AKS workload identity, EKS IRSA and Pod Identity, aad-pod-identity) and every step tool reads the same answer.
import type { V1Pod } from "@kubernetes/client-node";
import { type Gathered, ok, type Target, valueOf } from "../diagnosis/types.js";
import { gather } from "../providers/errors.js";
import type { KubeProvider, Workload } from "../providers/kubernetes.js";
import { normalizeTarget } from "./platform.js";

export type TargetKind = "pod" | "workload" | "serviceAccount" | "namespace";

export interface ResolvedTarget {
  /** The target as asked, a bare workload name read as a Deployment. */
  target: Target;
  kind: TargetKind;
  /** The service account the pods run as: the one named, the pod's, or the pod template's. */
  serviceAccountName?: string;
  /**
   * The pods in scope: the named pod, the workload's current pods, or the service account's pods. A namespace
   * alone has none (a mechanism that looks at a namespace's setup reads what it needs itself).
   */
  pods: Gathered<V1Pod[]>;
  /** The workload, for a workload target (null: it does not exist). */
  workload?: Gathered<Workload | null>;
  /** The named pod, when it does not exist. */
  podMissing?: string;
  /** What of the target does not exist, as a sentence ("pod ns/x does not exist"). */
  missing?: string;
  /** The workload's label selector, for showing which pods were matched. */
  selector?: string;
}

export interface TargetReader {
  kube: KubeProvider;
  signal: AbortSignal;
}

/** Regular-expression text matching `s` literally. */
function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A CronJob's pods belong to its Jobs, named <cronjob>-<scheduled minute>. Pods have no owner field selector, so the
 * API server is asked for Job pods (the job-name label the Job controller sets) that run as the template's service
 * account, and the owner is matched here: the answer does not grow with the namespace's other pods.
 */
function cronJobPods(r: TargetReader, namespace: string, w: Workload, serviceAccount: string) {
  return gather("pods", async () => {
    const jobName = new RegExp(`^${literal(w.name)}-\\d+$`);
    const pods = await r.kube.listPods(
      namespace,
      { labelSelector: "job-name", fieldSelector: `spec.serviceAccountName=${serviceAccount}` },
      r.signal,
    );
    return pods.filter((p) =>
      (p.metadata?.ownerReferences ?? []).some((o) => o.kind === "Job" && jobName.test(o.name)),
    );
  });
}

/** The pods of a namespace that run as a service account (the API server filters them). */
export function podsOfServiceAccount(r: TargetReader, namespace: string, serviceAccount: string) {
  return gather("pods", () => r.kube.listPodsOfServiceAccount(namespace, serviceAccount, r.signal));
}

async function resolvePod(r: TargetReader, target: Target, name: string): Promise<ResolvedTarget> {
  const ns = target.namespace;
  const pod = await gather("pod", () => r.kube.getPod(ns, name, r.signal));
  if (pod.status !== "ok")
    return { target, kind: "pod", serviceAccountName: target.serviceAccount, pods: pod as Gathered<V1Pod[]> };
  if (!pod.value)
    return {
      target,
      kind: "pod",
      serviceAccountName: target.serviceAccount,
      pods: ok([]),
      podMissing: name,
      missing: `pod ${ns}/${name} does not exist`,
    };
  return {
    target,
    kind: "pod",
    serviceAccountName: target.serviceAccount ?? (pod.value.spec?.serviceAccountName || "default"),
    pods: ok([pod.value]),
  };
}

async function resolveWorkload(r: TargetReader, target: Target, ref: string): Promise<ResolvedTarget> {
  const ns = target.namespace;
  const [kind, name] = ref.split("/", 2);
  const wl = await gather("workload", () => r.kube.getWorkload(ns, kind, name, r.signal));
  const base = { target, kind: "workload" as const, workload: wl };
  if (wl.status !== "ok") return { ...base, serviceAccountName: target.serviceAccount, pods: wl as Gathered<V1Pod[]> };
  const w = valueOf(wl);
  if (!w)
    return {
      ...base,
      serviceAccountName: target.serviceAccount,
      pods: ok([]),
      missing: `${kind} ${ns}/${name} does not exist`,
    };
  const serviceAccountName = target.serviceAccount ?? (w.podTemplate.spec?.serviceAccountName || "default");
  const templateAccount = w.podTemplate.spec?.serviceAccountName || "default";
  const pods = w.selector
    ? await gather("pods", () => r.kube.listPods(ns, { labelSelector: w.selector }, r.signal))
    : w.kind === "CronJob"
      ? await cronJobPods(r, ns, w, templateAccount)
      : ok<V1Pod[]>([]);
  return { ...base, serviceAccountName, pods, selector: w.selector };
}

/**
 * Resolve the target once per diagnosis (or step tool call): the pod, the workload and its pods, the service
 * account's pods, or nothing more for a namespace.
 */
export async function resolveTarget(r: TargetReader, named: Target): Promise<ResolvedTarget> {
  const target = normalizeTarget(named);
  if (target.pod) return resolvePod(r, target, target.pod);
  if (target.workload) return resolveWorkload(r, target, target.workload);
  if (target.serviceAccount)
    return {
      target,
      kind: "serviceAccount",
      serviceAccountName: target.serviceAccount,
      pods: await podsOfServiceAccount(r, target.namespace, target.serviceAccount),
    };
  return { target, kind: "namespace", pods: ok([]) };
}
