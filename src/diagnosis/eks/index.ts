// The EKS diagnosis (IRSA and EKS Pod Identity): every check, the root-cause order, and the report.
import type { Check, CheckResult, Finding, Report, Verdict } from "../types.js";
import { rankFindings, runChecks } from "../types.js";
import { oidcAudienceMissing, oidcProviderMissing, thumbprintMismatch } from "./checks/cluster.js";
import { exchangeFailed, predictExchange, type ExchangePrediction } from "./checks/exchange.js";
import {
  agentMissing,
  associationMissing,
  irsaAndPodIdentity,
  podIdentityTrustInvalid,
} from "./checks/pod-identity.js";
import {
  podAwsEnvPreset,
  podNotMutated,
  podRestartNeeded,
  podServiceAccountMismatch,
  podTokenUnreadable,
} from "./checks/pods.js";
import {
  saAnnotationInvalid,
  saAnnotationTypo,
  saNotFound,
  saRoleArnMalformed,
  saRoleArnMissing,
} from "./checks/service-account.js";
import {
  iamRoleNotFound,
  iamRoleOtherAccount,
  trustActionMissing,
  trustAudienceMismatch,
  trustConditionFailed,
  trustConditionKeyInvalid,
  trustExplicitDeny,
  trustProviderMismatch,
  trustSubjectMismatch,
  trustSubjectUnrestricted,
  trustWildcardInStringEquals,
} from "./checks/trust.js";
import { webhookMissing } from "./checks/webhook.js";
import type { EksFacts } from "./facts.js";
import { mechanismOf } from "./names.js";

/** In root-cause order: upstream causes before the symptoms they produce. */
export const eksChecks: Check<EksFacts>[] = [
  saNotFound,
  podServiceAccountMismatch,
  saAnnotationTypo,
  saRoleArnMissing,
  saRoleArnMalformed,
  associationMissing,
  oidcProviderMissing,
  oidcAudienceMissing,
  thumbprintMismatch,
  iamRoleNotFound,
  iamRoleOtherAccount,
  trustProviderMismatch,
  trustActionMissing,
  trustExplicitDeny,
  trustWildcardInStringEquals,
  trustConditionKeyInvalid,
  trustSubjectMismatch,
  trustAudienceMismatch,
  trustConditionFailed,
  agentMissing,
  podIdentityTrustInvalid,
  webhookMissing,
  podAwsEnvPreset,
  podRestartNeeded,
  podNotMutated,
  podTokenUnreadable,
  saAnnotationInvalid,
  trustSubjectUnrestricted,
  irsaAndPodIdentity,
  exchangeFailed,
];

export const eksRootCauseOrder = eksChecks.map((c) => c.id);

/** Without these we cannot call the path healthy, per mechanism. */
const ESSENTIAL: Record<EksReport["mechanism"], string[]> = {
  IRSA: ["sa.not-found", "iam.role-not-found", "iam.trust-subject-mismatch", "eks.oidc-provider-missing"],
  "EKS Pod Identity": ["sa.not-found", "eks.pod-identity-agent-missing", "eks.pod-identity-trust-invalid"],
  none: ["sa.not-found"],
};

export interface EksReport extends Report {
  mechanism: "IRSA" | "EKS Pod Identity" | "none";
  /** What the configuration predicts STS will answer, next to what it did answer. */
  exchange?: { predicted: ExchangePrediction; actual?: { ok: boolean; code?: string } };
}

export function eksVerdict(
  findings: Finding[],
  checks: CheckResult[],
  exchangeOk: boolean,
  mechanism: EksReport["mechanism"],
): Verdict {
  if (findings.some((f) => f.severity === "error")) return "broken";
  if (exchangeOk) return "healthy";
  if (checks.some((c) => ESSENTIAL[mechanism].includes(c.id) && c.status !== "pass")) return "inconclusive";
  if (checks.some((c) => c.status === "error")) return "inconclusive";
  return "healthy";
}

export function diagnoseEksFacts(facts: EksFacts): EksReport {
  const { findings, checks } = runChecks(eksChecks, facts);
  const ranked = rankFindings(findings, eksRootCauseOrder);
  const x = facts.exchange.status === "ok" ? facts.exchange.value : undefined;
  const mech = mechanismOf(facts);
  const mechanism = mech === "irsa" ? "IRSA" : mech === "pod-identity" ? "EKS Pod Identity" : "none";
  return {
    verdict: eksVerdict(ranked, checks, x?.ok === true, mechanism),
    platform: "eks",
    target: { ...facts.target, serviceAccount: facts.serviceAccountName ?? facts.target.serviceAccount },
    mechanism,
    findings: ranked,
    checks,
    ...(mech === "irsa"
      ? {
          exchange: {
            predicted: predictExchange(facts),
            actual: x ? { ok: x.ok, code: x.ok ? undefined : x.code } : undefined,
          },
        }
      : {}),
  };
}
