// The facts read once into the shapes the checks share: which bindings and identities serve the target,
// how MIC and NMI run, and the names fix commands need.
import { cleanUntrusted } from "../untrusted.js";
import type { V1Pod, V1PodSpec } from "@kubernetes/client-node";
import { sh } from "../aks/names.js";
import { valueOf as factOf } from "../types.js";
import {
  type AssignedIdentityView,
  type AzureIdentityView,
  type BindingView,
  bindingsSelecting,
  type ComponentFacts,
  identityForBinding,
  labelsOf,
  NMI_DEFAULT_PORT,
  PODID_LABEL,
  type PodIdFacts,
  readAll,
  readAssigned,
  readBinding,
  readIdentity,
} from "./facts.js";

export interface Bound {
  binding: BindingView;
  identity?: AzureIdentityView;
}

/** A binding that selects the target but that MIC and NMI ignore because of namespaced matching. */
export interface IgnoredBinding {
  binding: BindingView;
  identity?: AzureIdentityView;
  /** What makes the match namespaced: the flag (or managed mode) for every identity, or this identity's annotation. */
  because: "forceNamespaced" | "managed mode" | "annotation";
}

export interface Derived {
  identities: AzureIdentityView[];
  bindings: BindingView[];
  assigned: AssignedIdentityView[];
  /** Standard: MIC assigns identities to nodes. Managed: only NMI runs; identities are assigned by hand. */
  mode: "standard" | "managed";
  /** Bindings and identities only match within their own namespace. */
  namespaced: boolean;
  /** Where `--forceNamespaced` (or FORCENAMESPACED=true) is set: both components must agree. */
  forceNamespaced: { mic: boolean; nmi: boolean };
  /** Bindings that select the target but are ignored because identity, binding and pod are not in one namespace. */
  ignored: IgnoredBinding[];
  nmiPort: number;
  pods: V1Pod[];
  /** The label the target asks for: from its pod template, else from its pods. */
  labelValue?: string;
  templateLabels?: Record<string, string>;
  /** Bindings that select the target, each with the AzureIdentity it names. */
  bound: Bound[];
  /** Whether the target (or, with no pod named, anything in the namespace) relies on pod identity. */
  relies: boolean;
  /** kubectl-ready reference to the workload, e.g. "deployment/demo". */
  workloadRef?: string;
  workloadKind?: string;
  micReady: number;
  micPods: number;
}

const cache = new WeakMap<PodIdFacts, Derived>();

/** A pod, a workload, or a service account whose pods were found: something concrete to diagnose. */
export function targetNamed(f: PodIdFacts): boolean {
  if (f.target.pod || f.target.workload) return true;
  return !!f.target.serviceAccount && (factOf(f.pods)?.length ?? 0) > 0;
}

/** Secrets Store CSI volumes whose SecretProviderClass asks NMI for the token (usePodIdentity). */
export function podIdentitySpcs(f: PodIdFacts, specs: (V1PodSpec | undefined)[]): string[] {
  const names = new Set(
    specs.flatMap((spec) =>
      (spec?.volumes ?? []).map((v) => v.csi?.volumeAttributes?.secretProviderClass).filter((n): n is string => !!n),
    ),
  );
  return (factOf(f.secretProviderClasses) ?? [])
    .filter((spc) => names.has(spc.name) && String(spc.parameters.usePodIdentity).toLowerCase() === "true")
    .map((spc) => spc.name);
}

function args(pod: V1Pod): string[] {
  return (pod.spec?.containers ?? []).flatMap((c) => [...(c.command ?? []), ...(c.args ?? [])]);
}

/** The flag, or FORCENAMESPACED=true in the environment (MIC and NMI read both). */
function forcesNamespaced(pods: V1Pod[]): boolean {
  if (flagValue(pods, "forceNamespaced") === "true") return true;
  return pods.some((p) =>
    (p.spec?.containers ?? []).some((c) =>
      (c.env ?? []).some((e) => e.name === "FORCENAMESPACED" && e.value === "true"),
    ),
  );
}

export function flagValue(pods: V1Pod[], flag: string): string | undefined {
  for (const p of pods) {
    for (const a of args(p)) {
      if (a === `--${flag}` || a === `-${flag}`) return "true";
      const m = new RegExp(`^--?${flag}=(.*)$`).exec(a);
      if (m) return m[1];
    }
  }
  return undefined;
}

/** Ready replicas the controllers report (one each when they report no status: not taken as broken). */
export function controllersReady(c: ComponentFacts | undefined): number {
  return (c?.controllers ?? []).reduce(
    (n, x) => n + (x.ready === undefined ? Math.max(1, x.desired ?? 1) : x.ready),
    0,
  );
}

/** Ready, or reporting no status at all: like a workload without status, it is not taken as broken. */
export function podReady(pod: V1Pod): boolean {
  if (!pod.status || (!pod.status.phase && !pod.status.conditions?.length)) return true;
  return (
    pod.status?.phase === "Running" &&
    (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
  );
}

/** A short account of why a pod is not ready: phase, waiting reasons, restarts. */
export function podState(pod: V1Pod) {
  const statuses = pod.status?.containerStatuses ?? [];
  const waiting = statuses.map((s) => s.state?.waiting?.reason).filter((r): r is string => !!r);
  return {
    pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`,
    node: pod.spec?.nodeName,
    phase: pod.status?.phase ?? "Unknown",
    ready: podReady(pod),
    restarts: statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0),
    ...(waiting.length ? { waiting } : {}),
  };
}

export function derive(f: PodIdFacts): Derived {
  const hit = cache.get(f);
  if (hit) return hit;
  const identities = readAll(f.identities, readIdentity);
  const bindings = readAll(f.bindings, readBinding);
  const assigned = readAll(f.assignedIdentities, readAssigned);
  const micPods = factOf(f.mic)?.pods ?? [];
  // With no pods to read, the controllers' pod templates carry the same flags.
  const fromControllers = (c: ComponentFacts | undefined): V1Pod[] =>
    (c?.controllers ?? []).map((x) => ({ spec: { containers: [{ name: x.name, args: x.args }] } }));
  const nmiPods = factOf(f.nmi)?.pods.length ? factOf(f.nmi)!.pods : fromControllers(factOf(f.nmi));
  const micTemplates = micPods.length ? micPods : fromControllers(factOf(f.mic));
  const operationMode = flagValue(nmiPods, "operation-mode");
  const mode = operationMode === "managed" ? "managed" : "standard";
  const forceNamespaced = { mic: forcesNamespaced(micTemplates), nmi: forcesNamespaced(nmiPods) };
  const namespaced = mode === "managed" || forceNamespaced.mic || forceNamespaced.nmi;
  const portFlag = Number(flagValue(nmiPods, "nmi-port"));
  const pods = factOf(f.pods) ?? [];
  const workload = factOf(f.workload) ?? undefined;
  const templateLabels = workload ? (workload.podTemplate.metadata?.labels ?? {}) : undefined;
  const labelValue =
    templateLabels?.[PODID_LABEL] || pods.map((p) => labelsOf(p)[PODID_LABEL]).find((v) => !!v) || undefined;
  const ns = f.target.namespace;
  const selecting = labelValue ? bindingsSelecting({ [PODID_LABEL]: labelValue }, bindings) : [];
  // MIC (and NMI) take a binding's identity from the binding's namespace; when matching is namespaced, for
  // every identity or for one with the Behavior annotation, pod, binding and identity must share one namespace.
  const bound: Bound[] = [];
  const ignored: IgnoredBinding[] = [];
  for (const binding of selecting) {
    const identity = identityForBinding(binding, identities);
    const sameNamespace = binding.namespace === ns && (!identity || identity.namespace === ns);
    if (sameNamespace || (!namespaced && !identity?.namespacedAnnotation)) {
      bound.push({ binding, identity });
      continue;
    }
    const because = namespaced ? (mode === "managed" ? "managed mode" : "forceNamespaced") : "annotation";
    ignored.push({ binding, identity, because });
  }
  const named = targetNamed(f);
  const specs = [workload?.podTemplate.spec, ...pods.map((p) => p.spec)];
  const relies = named
    ? !!labelValue || bound.length > 0 || podIdentitySpcs(f, specs).length > 0
    : pods.some((p) => !!labelsOf(p)[PODID_LABEL]) || bindings.some((b) => b.namespace === ns);
  let workloadRef: string | undefined;
  let workloadKind: string | undefined;
  if (workload) {
    workloadKind = workload.kind;
    workloadRef = `${workload.kind.toLowerCase()}/${workload.name}`;
  } else if (f.target.workload) {
    const [kind, name] = f.target.workload.split("/");
    workloadKind = kind;
    workloadRef = `${kind.toLowerCase()}/${name}`;
  }
  const d: Derived = {
    identities,
    bindings,
    assigned,
    mode,
    namespaced,
    forceNamespaced,
    ignored,
    nmiPort: Number.isInteger(portFlag) && portFlag > 0 ? portFlag : NMI_DEFAULT_PORT,
    pods,
    labelValue,
    templateLabels,
    bound,
    relies,
    workloadRef,
    workloadKind,
    micReady: micPods.length ? micPods.filter(podReady).length : controllersReady(factOf(f.mic)),
    micPods: micPods.length,
  };
  cache.set(f, d);
  return d;
}

/** The JSON path of the pod template inside a workload, for `kubectl patch --type=merge`. */
export function templatePatch(kind: string | undefined, template: Record<string, unknown>): string {
  const body = (kind ?? "").toLowerCase().startsWith("cronjob")
    ? { spec: { jobTemplate: { spec: { template } } } }
    : { spec: { template } };
  return sh(JSON.stringify(body));
}

/** `-n <ns>` quoted for the shell. */
export const nsFlag = (ns: string) => `-n ${sh(ns)}`;

export function restartCommand(d: Derived, namespace: string, pods: string[]): string {
  if (d.workloadRef) return `kubectl rollout restart ${sh(d.workloadRef)} ${nsFlag(namespace)}`;
  return `kubectl delete pod ${pods.map(sh).join(" ") || "<pod>"} ${nsFlag(namespace)}   # its controller recreates it`;
}

export function micLogsCommand(f: PodIdFacts): string {
  const pod = factOf(f.mic)?.pods[0];
  const ns = pod?.metadata?.namespace ?? "kube-system";
  return `kubectl logs -n ${sh(ns)} -l component=mic --since=1h | grep ^E`;
}

export function nmiLogsCommand(f: PodIdFacts): string {
  const pod = factOf(f.nmi)?.pods[0];
  const ns = pod?.metadata?.namespace ?? "kube-system";
  return `kubectl logs -n ${sh(ns)} -l component=nmi --since=1h | grep ^E`;
}

/** Cap what goes into evidence: log lines can be long and many, and may hold secrets or control characters. */
export function clip(lines: string[], max = 5, width = 400): string[] {
  return lines.slice(0, max).map((l) => {
    const line = cleanUntrusted(l.length > width * 2 ? l.slice(0, width * 2) : l, Number.MAX_SAFE_INTEGER);
    return line.length > width ? `${line.slice(0, width)}…` : line;
  });
}
