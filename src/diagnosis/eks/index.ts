// The EKS diagnosis (IRSA and EKS Pod Identity): every check, the root-cause order, and the report.
import type { Check, CheckResult, Finding, Gathered, Report, Verdict } from "../types.js";
import { rankFindings, runChecks, targetCheck, valueOf, verdictFields } from "../types.js";
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
const checkOrder: Check<EksFacts>[] = [
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

const unread = (...gs: (Gathered<unknown> | undefined)[]) => gs.some((g) => g !== undefined && g.status !== "ok");
const irsa = (f: EksFacts) => mechanismOf(f) === "irsa";
const podIdentity = (f: EksFacts) => mechanismOf(f) === "pod-identity";
const somePods = (f: EksFacts) => unread(f.pods) || (valueOf(f.pods) ?? []).length > 0;
const TRUST = [
  "iam.role-not-found",
  "iam.trust-provider-mismatch",
  "iam.trust-action-missing",
  "iam.trust-explicit-deny",
  "iam.trust-wildcard-in-stringequals",
  "iam.trust-condition-key-invalid",
  "iam.trust-subject-mismatch",
  "iam.trust-audience-mismatch",
  "iam.trust-condition-failed",
];

/**
 * Which checks a verdict of "healthy" rests on (docs/findings.md, "Verdict"), for the mechanism in use: the
 * service account always; the OIDC provider and the role's trust for IRSA; the agent and the association's role
 * for Pod Identity; the webhook and the pods whenever there are pods to inject.
 */
const ESSENTIAL: Record<string, boolean | ((f: EksFacts) => boolean)> = {
  "sa.not-found": true,
  "sa.annotation-typo": true,
  "sa.role-arn-missing": (f) => !podIdentity(f),
  "sa.role-arn-malformed": irsa,
  // Under IRSA an association would only change what new pods get; the pods' own injection is checked below.
  "eks.pod-identity-association-missing": (f) => podIdentity(f) || (unread(f.associations) && !irsa(f)),
  "eks.oidc-provider-missing": irsa,
  "eks.oidc-audience-missing": irsa,
  "eks.thumbprint-mismatch": irsa,
  ...Object.fromEntries(TRUST.map((id) => [id, irsa])),
  "eks.pod-identity-agent-missing": podIdentity,
  "eks.pod-identity-trust-invalid": podIdentity,
  "webhook.missing": (f) => unread(f.webhook) || mechanismOf(f) !== "none",
  "pod.aws-env-preset": somePods,
  "pod.restart-needed": somePods,
  "pod.not-mutated": somePods,
  "pod.service-account-mismatch": (f) => unread(f.pods),
  "pod.token-unreadable": (f) => irsa(f) && somePods(f),
};

/** What a successful AssumeRoleWithWebIdentity proves: the IRSA chain from the token's issuer to the role. */
const SETTLED_BY_EXCHANGE = [
  "sa.role-arn-missing",
  "sa.role-arn-malformed",
  "eks.oidc-provider-missing",
  "eks.oidc-audience-missing",
  "eks.thumbprint-mismatch",
  ...TRUST,
];

export const eksChecks: Check<EksFacts>[] = checkOrder.map((c) =>
  c.id in ESSENTIAL ? { ...c, essential: ESSENTIAL[c.id] } : c,
);

export const eksRootCauseOrder = eksChecks.map((c) => c.id);

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
  return verdictFields(findings, checks, exchangeOk && mechanism === "IRSA" ? SETTLED_BY_EXCHANGE : []).verdict;
}

export function diagnoseEksFacts(facts: EksFacts): EksReport {
  const { findings, checks } = runChecks(eksChecks, facts);
  const named = facts.target.pod || facts.target.workload;
  checks.unshift(targetCheck(named && facts.pods.status !== "ok" ? facts.pods.reason : undefined));
  const ranked = rankFindings(findings, eksRootCauseOrder);
  const x = facts.exchange.status === "ok" ? facts.exchange.value : undefined;
  const mech = mechanismOf(facts);
  const mechanism = mech === "irsa" ? "IRSA" : mech === "pod-identity" ? "EKS Pod Identity" : "none";
  return {
    ...verdictFields(ranked, checks, x?.ok === true && mechanism === "IRSA" ? SETTLED_BY_EXCHANGE : []),
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
