// The AKS workload identity diagnosis: every check, the root-cause order, and the report.
import { diagnoseWith, idsOf, runSelected } from "../registry.js";
import type { Check, CheckResult, Finding, Report, Verdict } from "../types.js";
import { valueOf, verdictFields } from "../types.js";
import type { AksFacts } from "./facts.js";
import { type ErrorTextSection, errorTextSection } from "../error-text.js";
import { AKS_SETTLED_BY_EXCHANGE, type AksCheckId, aksRegistry } from "./registry.js";

export { AKS_SETTLED_BY_EXCHANGE, type AksCheckId, aksRegistry };

/** Why the named pod or workload cannot be examined (it does not exist, or could not be read), if so. */
function targetProblem(f: AksFacts): string | undefined {
  if (f.podMissing) return `pod ${f.target.namespace}/${f.podMissing} does not exist: check the name`;
  if (f.workload?.status === "ok" && !f.workload.value)
    return `${f.target.workload} does not exist in namespace ${f.target.namespace}: check the kind and name`;
  if (f.workload && f.workload.status !== "ok") return `the workload could not be read: ${f.workload.reason}`;
  return undefined;
}

/** The registry, in root-cause order (each check carries its own `essential` metadata). */
export const checkOrder: readonly Check<AksFacts>[] = aksRegistry;
export const aksChecks: readonly Check<AksFacts>[] = aksRegistry;
export const aksRootCauseOrder: AksCheckId[] = idsOf(aksRegistry);

/** Run the named AKS checks (in root-cause order) and rank their findings as the diagnosis does. */
export function runAksSelected(facts: AksFacts, ids: readonly AksCheckId[]) {
  return runSelected(aksRegistry, facts, ids, "AKS");
}

export interface AksReport extends Report {
  /** When error text was given: what it asserts, and whether the live checks confirm it. */
  errorText?: ErrorTextSection;
}

export function verdictFor(findings: Finding[], checks: CheckResult[], exchangeOk: boolean): Verdict {
  return verdictFields(findings, checks, exchangeOk ? AKS_SETTLED_BY_EXCHANGE : []).verdict;
}

/** What the error text asserts, compared with what this cluster issues now. */
function errorTextFor(facts: AksFacts, findings: Finding[]): AksReport["errorText"] {
  const e = facts.errorText;
  if (!e) return undefined;
  const notes: string[] = [];
  const token = valueOf(facts.token);
  const { issuer, subject } = e.extracted;
  if (issuer && token?.claims.iss && issuer !== token.claims.iss) {
    notes.push(
      `the error's issuer ${issuer} is not this cluster's (${token.claims.iss}): the error may come from another cluster`,
    );
  }
  if (subject && facts.serviceAccountName) {
    const want = `system:serviceaccount:${facts.target.namespace}:${facts.serviceAccountName}`;
    if (subject !== want) notes.push(`the error's subject ${subject} is not the diagnosed service account (${want})`);
  }
  return errorTextSection(e, findings, notes);
}

export function diagnoseAksFacts(facts: AksFacts): AksReport {
  const exchangeOk = facts.exchange.status === "ok" && facts.exchange.value.ok;
  const report: AksReport = diagnoseWith(
    aksRegistry,
    facts,
    { targetProblem: targetProblem(facts), settled: exchangeOk ? AKS_SETTLED_BY_EXCHANGE : [] },
    {
      platform: "aks" as const,
      target: { ...facts.target, serviceAccount: facts.serviceAccountName ?? facts.target.serviceAccount },
    },
  );
  const et = errorTextFor(facts, report.findings);
  if (et) report.errorText = et;
  return report;
}
