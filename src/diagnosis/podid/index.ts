// The aad-pod-identity diagnosis: the registry's checks, the verdict and the report.
import { diagnoseWith, idsOf } from "../registry.js";
import type { Report } from "../types.js";
import type { PodIdFacts } from "./facts.js";
import { type PodIdCheckId, podIdRegistry } from "./registry.js";

export { type PodIdCheckId, podIdRegistry };

/** Upstream causes first: the registry's order. */
export const PODID_ROOT_CAUSE_ORDER: PodIdCheckId[] = idsOf(podIdRegistry);

export function diagnosePodIdFacts(facts: PodIdFacts): Report {
  const wl = facts.workload;
  return diagnoseWith(
    podIdRegistry,
    facts,
    {
      targetProblem:
        facts.podMissing ?? (wl && wl.status !== "ok" ? `the workload could not be read: ${wl.reason}` : undefined),
    },
    { platform: "aks" as const, target: facts.target },
  );
}
