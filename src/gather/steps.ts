// The gathering half of the step tools: they look at one part of the path each. They build the same AksFacts the full diagnosis builds,
// with the parts they do not look at marked as not gathered, and run only the checks that read their part,
// so a step tool and the one-call diagnosis raise the same findings for the same world.
import { withRemediations } from "../remediation/index.js";
import type { V1ServiceAccount } from "@kubernetes/client-node";
import type { AksFacts, ClusterFacts, IdentityFacts, WorkloadFacts } from "../diagnosis/aks/facts.js";
import { type AksCheckId, aksRegistry } from "../diagnosis/aks/registry.js";
import { runSelected } from "../diagnosis/registry.js";
import { WI_CLIENT_ID } from "../diagnosis/aks/names.js";
import { GUID_RE } from "../diagnosis/compare.js";
import type { CheckResult, Finding, Gathered, Target } from "../diagnosis/types.js";
import type { IdentityRef } from "../providers/azure.js";
import type { Environment } from "../providers/environment.js";
import { gather } from "../providers/errors.js";
import { AksGatherer, aksWorkload } from "./aks.js";
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

export function serviceAccountOf(
  g: AksGatherer,
  namespace: string,
  name: string,
): Promise<Gathered<V1ServiceAccount | null>> {
  return gather("service account", () => g.kube.getServiceAccount(namespace, name, g.signal));
}

/** The client id on a service account, when it is a GUID. */
export function clientIdOf(sa: V1ServiceAccount | null | undefined): string | undefined {
  const v = sa?.metadata?.annotations?.[WI_CLIENT_ID]?.trim();
  return v && GUID_RE.test(v) ? v : undefined;
}

export interface ClusterRef {
  clusterName?: string;
  resourceGroup?: string;
  subscriptionId?: string;
}

/** A named cluster, or the one behind the kube context (the shared lookup the diagnosis uses). */
export function clusterOf(g: AksGatherer, ref: ClusterRef = {}): Promise<Gathered<ClusterFacts | null>> {
  const { clusterName, resourceGroup } = ref;
  if (!clusterName || !resourceGroup) return g.cluster();
  return gather("AKS cluster", async () => {
    const subscriptions = ref.subscriptionId ? [ref.subscriptionId] : await g.azure.listSubscriptionIds(g.signal);
    for (const sub of subscriptions) {
      const found = await g.azure.getCluster(sub, resourceGroup, clusterName, g.signal);
      if (found) return found;
    }
    return null;
  });
}

export type { IdentityRef };

export function identityOf(g: AksGatherer, ref: IdentityRef): Promise<Gathered<IdentityFacts | null>> {
  return gather("identity", async () => (await g.azure.findIdentity(ref, g.signal)) ?? null);
}

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
