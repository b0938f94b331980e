// Pure helpers of the AKS gatherer: what the pods and the resolved workload say, in the shapes the AKS facts hold.
import type { V1Deployment, V1Pod } from "@kubernetes/client-node";
import type { WorkloadFacts } from "../diagnosis/aks/facts.js";
import { GUID_RE } from "../diagnosis/compare.js";
import { type Gathered, ok } from "../diagnosis/types.js";
import type { ResolvedTarget } from "./target.js";

/** AZURE_TENANT_ID as the pods carry it, when they agree on one. */
export function injectedTenant(pods: V1Pod[]): string | undefined {
  const seen = new Set(
    pods.flatMap((p) =>
      [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].flatMap((c) =>
        (c.env ?? [])
          .filter((e) => e.name === "AZURE_TENANT_ID" && e.value && GUID_RE.test(e.value))
          .map((e) => e.value!),
      ),
    ),
  );
  return seen.size === 1 ? [...seen][0] : undefined;
}

/**
 * Ready replicas as a live Deployment reports them. kubectl omits zero counts, so a status that reports
 * replicas without readyReplicas means none is ready; an object with no counts at all (written by hand)
 * is taken as running.
 */
export function readyOf(dep: V1Deployment): number {
  const st = dep.status;
  const desired = dep.spec?.replicas ?? 1;
  if (
    !st ||
    (st.replicas === undefined &&
      st.readyReplicas === undefined &&
      st.availableReplicas === undefined &&
      st.unavailableReplicas === undefined)
  )
    return desired;
  return st.readyReplicas ?? st.availableReplicas ?? 0;
}

/** The resolved workload as the AKS facts hold it. */
export function aksWorkload(r: ResolvedTarget): Gathered<WorkloadFacts | null> | undefined {
  const wl = r.workload;
  if (!wl) return undefined;
  return wl.status === "ok" ? ok(wl.value ? workloadFacts(wl.value) : null) : (wl as Gathered<WorkloadFacts | null>);
}

export function workloadFacts(w: {
  kind: string;
  name: string;
  object: { metadata?: { labels?: Record<string, string> } };
  podTemplate: WorkloadFacts["podTemplate"];
}): WorkloadFacts {
  return { kind: w.kind, name: w.name, labels: w.object.metadata?.labels ?? {}, podTemplate: w.podTemplate };
}
