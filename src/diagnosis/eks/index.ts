// The EKS diagnosis (IRSA and EKS Pod Identity): the registry's checks, the verdict and the report.
import { diagnoseWith, idsOf, runSelected } from "../registry.js";
import type { Check, CheckResult, Finding, Report, Verdict } from "../types.js";
import { verdictFields } from "../types.js";
import { predictExchange, type ExchangePrediction } from "./checks/exchange.js";
import type { EksFacts } from "./facts.js";
import { mechanismOf } from "./names.js";
import { type PodIdentityPrediction, predictPodIdentity } from "./pod-identity-chain.js";
import { EKS_SETTLED_BY_EXCHANGE, type EksCheckId, eksRegistry } from "./registry.js";

export { EKS_SETTLED_BY_EXCHANGE, type EksCheckId, eksRegistry };

/** The registry, in root-cause order (each check carries its own `essential` metadata). */
export const eksChecks: readonly Check<EksFacts>[] = eksRegistry;
export const eksRootCauseOrder: EksCheckId[] = idsOf(eksRegistry);

/** Run the named EKS checks (in root-cause order) and rank their findings as the diagnosis does. */
export function runEksSelected(facts: EksFacts, ids: readonly EksCheckId[]) {
  return runSelected(eksRegistry, facts, ids, "EKS");
}

export interface EksReport extends Report {
  mechanism: "IRSA" | "EKS Pod Identity" | "none";
  /** What the configuration predicts STS will answer, next to what it did answer. */
  exchange?: { predicted: ExchangePrediction; actual?: { ok: boolean; code?: string } };
  /** Pod Identity: what the association and roles predict EKS Auth will answer, next to what it did answer. */
  podIdentityExchange?: { predicted: PodIdentityPrediction; actual?: { ok: boolean; code?: string } };
}

export function eksVerdict(
  findings: Finding[],
  checks: CheckResult[],
  exchangeOk: boolean,
  mechanism: EksReport["mechanism"],
): Verdict {
  return verdictFields(findings, checks, exchangeOk && mechanism === "IRSA" ? EKS_SETTLED_BY_EXCHANGE : []).verdict;
}

export function diagnoseEksFacts(facts: EksFacts): EksReport {
  const named = facts.target.pod || facts.target.workload;
  const x = facts.exchange.status === "ok" ? facts.exchange.value : undefined;
  const pix = facts.podIdentityExchange?.status === "ok" ? facts.podIdentityExchange.value : undefined;
  const mech = mechanismOf(facts);
  const mechanism = mech === "irsa" ? "IRSA" : mech === "pod-identity" ? "EKS Pod Identity" : "none";
  const settled = x?.ok === true && mechanism === "IRSA" ? EKS_SETTLED_BY_EXCHANGE : [];
  return {
    ...diagnoseWith(
      eksRegistry,
      facts,
      { targetProblem: named && facts.pods.status !== "ok" ? facts.pods.reason : undefined, settled },
      {
        platform: "eks" as const,
        target: { ...facts.target, serviceAccount: facts.serviceAccountName ?? facts.target.serviceAccount },
        mechanism: mechanism as EksReport["mechanism"],
      },
    ),
    ...(mech === "irsa"
      ? {
          exchange: {
            predicted: predictExchange(facts),
            actual: x ? { ok: x.ok, code: x.ok ? undefined : x.code } : undefined,
          },
        }
      : {}),
    ...(mech === "pod-identity"
      ? {
          podIdentityExchange: {
            predicted: predictPodIdentity(facts),
            actual: pix ? { ok: pix.ok, code: pix.ok ? undefined : pix.code } : undefined,
          },
        }
      : {}),
  };
}
