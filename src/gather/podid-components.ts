// aad-pod-identity's own components, MIC (a Deployment) and NMI (a DaemonSet), read by the labels their installs put
// on them, so the reads do not grow with the cluster:
// - the Helm chart (charts/aad-pod-identity): `app.kubernetes.io/component: mic|nmi` on the workload and its pods,
//   named `<chart name>-mic` / `<chart name>-nmi` (aad-pod-identity-mic by default);
// - the manifests (deploy/infra/deployment*.yaml, managed-mode-deployment.yaml): `component: mic|nmi` on the
//   workload and its pods, named `mic` / `nmi`.
// Both components' pods come from one list per label key (`key in (mic,nmi)`). Only when a component has no pod are
// its controllers read, by the same labels; only when those find none either is every Deployment (or DaemonSet)
// listed, for one named like the installs name it. In managed mode (NMI's --operation-mode=managed, the AKS add-on)
// there is no MIC, so none is looked for.
import type { V1Pod } from "@kubernetes/client-node";
import { flagValue } from "../diagnosis/podid/derive.js";
import type { ComponentController, ComponentFacts } from "../diagnosis/podid/facts.js";
import type { Gathered } from "../diagnosis/types.js";
import { gather, ProviderError } from "../providers/errors.js";
import type { KubeProvider } from "../providers/kubernetes.js";

export type Component = "mic" | "nmi";

/** The label keys the chart and the manifests put on MIC's and NMI's workloads and pods. */
export const COMPONENT_LABEL_KEYS = ["component", "app.kubernetes.io/component"] as const;

/** How many MIC/NMI pods we read logs from: enough to see the leader and the target's node. */
const MAX_LOGGED_PODS = 6;
/** klog error and fatal lines: E or F, then MMDD and a time. */
const KLOG_ERROR = /^[EF]\d{4}\s/;

type ControllerObject = {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: { replicas?: number; template?: { spec?: { containers?: { command?: string[]; args?: string[] }[] } } };
  status?: { readyReplicas?: number; numberReady?: number; desiredNumberScheduled?: number };
};

const componentOf = (labels: Record<string, string> | undefined, name: Component) =>
  COMPONENT_LABEL_KEYS.some((k) => labels?.[k] === name);

export class ComponentReader {
  constructor(
    private readonly kube: KubeProvider,
    private readonly signal: AbortSignal,
  ) {}

  private podsOnce?: Promise<V1Pod[]>;

  /** MIC's and NMI's pods in every namespace: one list per label key, read once. */
  pods = (): Promise<V1Pod[]> => {
    this.podsOnce ??= Promise.all(
      COMPONENT_LABEL_KEYS.map((key) =>
        this.kube.listPods(undefined, { labelSelector: `${key} in (mic,nmi)` }, this.signal),
      ),
    ).then((lists) => {
      const seen = new Set<string>();
      return lists.flat().filter((p) => {
        const key = `${p.metadata?.namespace}/${p.metadata?.name}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    });
    return this.podsOnce;
  };

  /** MIC or NMI: its pods, the error lines they logged in the last hour, and its controllers when it has no pod. */
  read = (name: Component, nodes: string[] = []): Promise<Gathered<ComponentFacts>> =>
    gather<ComponentFacts>(name.toUpperCase(), async () => {
      const all = await this.pods();
      const pods = all.filter((p) => componentOf(p.metadata?.labels, name));
      // For NMI the pods on the target's nodes matter; for MIC every replica (only the leader works).
      const logged = [...pods]
        .sort((a, b) => Number(nodes.includes(b.spec?.nodeName ?? "")) - Number(nodes.includes(a.spec?.nodeName ?? "")))
        .slice(0, MAX_LOGGED_PODS);
      const logProblems: string[] = [];
      const errorLines = await Promise.all(logged.map((p) => this.errorLines(p, name, logProblems)));
      const managed = flagValue(
        all.filter((p) => componentOf(p.metadata?.labels, "nmi")),
        "operation-mode",
      );
      const controllers =
        pods.length || (name === "mic" && managed === "managed") ? undefined : await this.controllers(name);
      return { pods, errorLines: errorLines.filter((e) => e.lines.length), logProblems, controllers };
    });

  private async errorLines(p: V1Pod, name: Component, problems: string[]) {
    const ns = p.metadata?.namespace ?? "default";
    const pod = p.metadata?.name ?? "";
    const containers = (p.spec?.containers ?? []).map((c) => c.name);
    const container = containers.find((c) => c.includes(name)) ?? containers[0];
    try {
      const text = await this.kube.readPodLog(ns, pod, { container, sinceSeconds: 3600 }, this.signal);
      return { pod, namespace: ns, lines: text.split("\n").filter((l) => KLOG_ERROR.test(l)) };
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "cancelled") throw err;
      problems.push(`${ns}/${pod}: ${(err as Error).message}`);
      return { pod, namespace: ns, lines: [] };
    }
  }

  /**
   * MIC's Deployment or NMI's DaemonSet in any namespace: by the installs' labels; failing that, every one of that
   * kind, kept when it is named like the installs name it (`mic`, `<release>-mic`) or labelled so.
   */
  controllers = async (name: Component): Promise<ComponentController[]> => {
    const kind = name === "mic" ? "Deployment" : "DaemonSet";
    const plural = name === "mic" ? "deployments" : "daemonsets";
    const list = (labelSelector?: string) =>
      this.kube.listCustomObjects("apps", "v1", plural, undefined, this.signal, { labelSelector }) as Promise<
        ControllerObject[]
      >;
    const byLabel = (await Promise.all(COMPONENT_LABEL_KEYS.map((k) => list(`${k}=${name}`)))).flat();
    const seen = new Set<string>();
    let found = byLabel.filter((o) => {
      const key = `${o.metadata?.namespace}/${o.metadata?.name}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (!found.length) {
      found = (await list()).filter((o) => {
        const n = o.metadata?.name ?? "";
        return componentOf(o.metadata?.labels, name) || n === name || n.endsWith(`-${name}`);
      });
    }
    return found.map((o) => ({
      kind,
      namespace: o.metadata?.namespace ?? "default",
      name: o.metadata?.name ?? "",
      desired: kind === "Deployment" ? (o.spec?.replicas ?? 1) : o.status?.desiredNumberScheduled,
      ready: o.status ? ((kind === "Deployment" ? o.status.readyReplicas : o.status.numberReady) ?? 0) : undefined,
      args: (o.spec?.template?.spec?.containers ?? []).flatMap((c) => [...(c.command ?? []), ...(c.args ?? [])]),
    }));
  };
}
