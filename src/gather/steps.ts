// The gathering half of the step tools: they look at one part of the path each. They build the same AksFacts the full diagnosis builds,
// with the parts they do not look at marked as not gathered, and run only the checks that read their part,
// so a step tool and the one-call diagnosis raise the same findings for the same world.
import { withRemediations } from "../remediation/index.js";
import type { AksFacts, WorkloadFacts } from "../diagnosis/aks/facts.js";
import { type AksCheckId, aksRegistry } from "../diagnosis/aks/registry.js";
import { runSelected } from "../diagnosis/registry.js";
import type { CheckResult, Finding, Gathered, Target } from "../diagnosis/types.js";
import type { IdentityRef } from "../providers/azure.js";
import type { Environment } from "../providers/environment.js";
import { AksGatherer, aksWorkload } from "./aks.js";
import type { ClusterRef } from "./aks-refs.js";
import { type ResolvedTarget, resolveTarget as resolveOnce } from "./target.js";

export { NOT_GATHERED } from "./sections.js";

/** Facts with every section not gathered; the tool fills in what it looked at (the diagnosis's own builder). */
export { aksFacts as partialFacts } from "./aks.js";

export interface StepResult {
  findings: Finding[];
  checks: CheckResult[];
}

/** Run the named checks of the registry and rank their findings as the diagnosis does (src/diagnosis/registry.ts). */
export function runAksChecks(facts: AksFacts, ids: readonly AksCheckId[]): StepResult {
  const { findings, checks } = runSelected(aksRegistry, facts, ids, "AKS");
  // The same remediations as the one-call diagnosis attaches (src/remediation).
  const ranked = withRemediations({ target: facts.target, ran: checks.map((c) => c.id), findings });
  return { findings: ranked.findings, checks };
}

// ---------------------------------------------------------------------------------------------
// Gathering shared by the step tools

export function gathererFor(env: Environment, signal: AbortSignal): AksGatherer {
  return new AksGatherer(env, { signal });
}

/** The gatherer's own reads, under the names the step tools use. */
export function serviceAccountOf(g: AksGatherer, namespace: string, name: string) {
  return g.serviceAccount(namespace, name);
}

export function clusterOf(g: AksGatherer, ref?: ClusterRef) {
  return g.cluster(ref);
}

export function identityOf(g: AksGatherer, ref: IdentityRef) {
  return g.identity(ref);
}

export { type ClusterRef, clientIdOf, identityResourceIdOf } from "./aks-refs.js";
export type { IdentityRef };

/** The target resolved as the diagnosis resolves it, with the workload as the AKS facts hold it. */
export interface StepTarget extends Omit<ResolvedTarget, "workload"> {
  saName?: string;
  workload?: Gathered<WorkloadFacts | null>;
}

/** The diagnosis's own target resolution (the pods of a service account named alone included). */
export async function resolveTarget(g: Pick<AksGatherer, "kube" | "signal">, target: Target): Promise<StepTarget> {
  const r = await resolveOnce(g, target);
  return { ...r, saName: r.serviceAccountName, workload: aksWorkload(r) };
}

export { podsOfServiceAccount } from "./target.js";

// What the step tools use from the providers, so a tool imports no provider itself.
export { gather } from "../providers/errors.js";
export { labelSelectorToString } from "../providers/kubernetes.js";

export type { AksCheckId };
