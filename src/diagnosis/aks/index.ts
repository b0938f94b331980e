// The AKS workload identity diagnosis: every check, the root-cause order, and the report.
import type { Check, CheckResult, Finding, Report, Verdict } from "../types.js";
import { rankFindings, runChecks, valueOf } from "../types.js";
import { keyVaultAccess, keyVaultFirewall, rbacRoleMissing, spcClientIdMismatch } from "./checks/access.js";
import { issuerAgreement, oidcIssuerDisabled, workloadIdentityDisabled } from "./checks/cluster.js";
import { exchangeFailed } from "./checks/exchange.js";
import {
  ficAudienceMismatch,
  ficIssuerMismatch,
  ficLimitReached,
  ficNone,
  ficSubjectMismatch,
} from "./checks/federated-credentials.js";
import { identityNotFound, identityTenantMismatch } from "./checks/identity.js";
import { issuerUnreachable, signingKeyMissing } from "./checks/issuer.js";
import {
  podLabelMissing,
  podNotMutated,
  podRestartNeeded,
  podServiceAccountMismatch,
  podTokenPathHardcoded,
} from "./checks/pods.js";
import {
  saAnnotationTypo,
  saClientIdMalformed,
  saClientIdMissing,
  saNotFound,
  saTokenExpiration,
} from "./checks/service-account.js";
import { webhookMissing, webhookUnhealthy } from "./checks/webhook.js";
import type { AksFacts } from "./facts.js";
import { type ErrorTextSection, errorTextSection } from "../error-text.js";

/** In root-cause order: upstream causes before the symptoms they produce. */
export const aksChecks: Check<AksFacts>[] = [
  oidcIssuerDisabled,
  workloadIdentityDisabled,
  webhookMissing,
  webhookUnhealthy,
  issuerUnreachable,
  signingKeyMissing,
  issuerAgreement,
  saNotFound,
  podServiceAccountMismatch,
  saAnnotationTypo,
  saClientIdMissing,
  saClientIdMalformed,
  saTokenExpiration,
  identityNotFound,
  identityTenantMismatch,
  ficNone,
  ficIssuerMismatch,
  ficSubjectMismatch,
  ficAudienceMismatch,
  ficLimitReached,
  podLabelMissing,
  podNotMutated,
  podRestartNeeded,
  podTokenPathHardcoded,
  spcClientIdMismatch,
  keyVaultFirewall,
  keyVaultAccess,
  rbacRoleMissing,
  exchangeFailed,
];

export const aksRootCauseOrder = aksChecks.map((c) => c.id);

/** The checks a verdict of "healthy" rests on: without them we cannot say the path works. */
const ESSENTIAL = ["sa.not-found", "sa.client-id-missing", "identity.not-found", "fic.subject-mismatch"];

export interface AksReport extends Report {
  /** When error text was given: what it asserts, and whether the live checks confirm it. */
  errorText?: ErrorTextSection;
}

export function verdictFor(findings: Finding[], checks: CheckResult[], exchangeOk: boolean): Verdict {
  if (findings.some((f) => f.severity === "error")) return "broken";
  if (exchangeOk) return "healthy";
  const essential = checks.filter((c) => ESSENTIAL.includes(c.id));
  if (essential.some((c) => c.status !== "pass")) return "inconclusive";
  return "healthy";
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
  const { findings, checks } = runChecks(aksChecks, facts);
  const ranked = rankFindings(findings, aksRootCauseOrder);
  const exchangeOk = facts.exchange.status === "ok" && facts.exchange.value.ok;
  const report: AksReport = {
    verdict: verdictFor(ranked, checks, exchangeOk),
    platform: "aks",
    target: { ...facts.target, serviceAccount: facts.serviceAccountName ?? facts.target.serviceAccount },
    findings: ranked,
    checks,
  };
  const et = errorTextFor(facts, ranked);
  if (et) report.errorText = et;
  return report;
}
