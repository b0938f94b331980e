// The AKS workload identity diagnosis: every check, the root-cause order, and the report.
import type { Check, CheckResult, Finding, Gathered, Report, Verdict } from "../types.js";
import { rankFindings, runChecks, targetCheck, valueOf, verdictFields } from "../types.js";
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

/** Why the named pod or workload cannot be examined (it does not exist, or could not be read), if so. */
function targetProblem(f: AksFacts): string | undefined {
  if (f.podMissing) return `pod ${f.target.namespace}/${f.podMissing} does not exist: check the name`;
  if (f.workload?.status === "ok" && !f.workload.value)
    return `${f.target.workload} does not exist in namespace ${f.target.namespace}: check the kind and name`;
  if (f.workload && f.workload.status !== "ok") return `the workload could not be read: ${f.workload.reason}`;
  return undefined;
}

/** In root-cause order: upstream causes before the symptoms they produce. */
export const checkOrder: Check<AksFacts>[] = [
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

const unread = (...gs: (Gathered<unknown> | undefined)[]) => gs.some((g) => g !== undefined && g.status !== "ok");
const vaults = (f: AksFacts) => valueOf(f.keyVaults) ?? [];

/**
 * Which checks a verdict of "healthy" rests on (docs/findings.md, "Verdict"). `true`: always, for workload
 * identity. A function: only when the check applies to this world, or when what would say so could not be read.
 */
const ESSENTIAL: Record<string, boolean | ((f: AksFacts) => boolean)> = {
  "cluster.oidc-issuer-disabled": (f) => unread(f.cluster) || Boolean(valueOf(f.cluster)),
  "webhook.missing": true,
  "webhook.unhealthy": (f) => unread(f.webhook) || Boolean(valueOf(f.webhook)?.deployment),
  "issuer.unreachable": true,
  "issuer.signing-key-missing": true,
  "sa.not-found": true,
  "sa.annotation-typo": true,
  "sa.client-id-missing": true,
  "sa.client-id-malformed": true,
  "sa.token-expiration-invalid": true,
  "identity.not-found": true,
  "identity.tenant-mismatch": (f) => unread(f.identity),
  "fic.none": true,
  "fic.issuer-mismatch": true,
  "fic.subject-mismatch": true,
  "fic.audience-mismatch": true,
  "pod.label-missing": (f) => unread(f.pods, f.workload) || !podsCheckNotApplicable(f),
  "pod.not-mutated": (f) => unread(f.pods, f.workload) || !podsCheckNotApplicable(f),
  "pod.restart-needed": (f) => unread(f.pods, f.workload, f.serviceAccount) || !podsCheckNotApplicable(f),
  "pod.service-account-mismatch": (f) => unread(f.pods, f.workload),
  "spc.client-id-mismatch": (f) =>
    unread(f.secretProviderClasses) || (valueOf(f.secretProviderClasses) ?? []).length > 0,
  "keyvault.firewall-blocks-cluster": (f) => unread(f.secretProviderClasses, f.keyVaults) || vaults(f).length > 0,
  "keyvault.access-policy-missing": (f) =>
    unread(f.secretProviderClasses, f.keyVaults) || vaults(f).some((v) => !v.enableRbacAuthorization),
  "rbac.role-missing": (f) =>
    unread(f.secretProviderClasses, f.keyVaults) || vaults(f).some((v) => v.enableRbacAuthorization),
};

const podsCheckNotApplicable = (f: AksFacts) =>
  f.pods.status === "ok" && !f.pods.value.length && !valueOf(f.workload ?? { status: "skipped", reason: "" });

/** What a successful live exchange proves: the identity chain from the token's issuer to the identity. */
const SETTLED_BY_EXCHANGE = [
  "cluster.oidc-issuer-disabled",
  "issuer.unreachable",
  "issuer.signing-key-missing",
  "sa.client-id-missing",
  "sa.client-id-malformed",
  "identity.not-found",
  "identity.tenant-mismatch",
  "fic.none",
  "fic.issuer-mismatch",
  "fic.subject-mismatch",
  "fic.audience-mismatch",
];

export const aksChecks: Check<AksFacts>[] = checkOrder.map((c) =>
  c.id in ESSENTIAL ? { ...c, essential: ESSENTIAL[c.id] } : c,
);

export const aksRootCauseOrder = aksChecks.map((c) => c.id);

export interface AksReport extends Report {
  /** When error text was given: what it asserts, and whether the live checks confirm it. */
  errorText?: ErrorTextSection;
}

export function verdictFor(findings: Finding[], checks: CheckResult[], exchangeOk: boolean): Verdict {
  return verdictFields(findings, checks, exchangeOk ? SETTLED_BY_EXCHANGE : []).verdict;
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
  checks.unshift(targetCheck(targetProblem(facts)));
  const ranked = rankFindings(findings, aksRootCauseOrder);
  const exchangeOk = facts.exchange.status === "ok" && facts.exchange.value.ok;
  const report: AksReport = {
    ...verdictFields(ranked, checks, exchangeOk ? SETTLED_BY_EXCHANGE : []),
    platform: "aks",
    target: { ...facts.target, serviceAccount: facts.serviceAccountName ?? facts.target.serviceAccount },
    findings: ranked,
    checks,
  };
  const et = errorTextFor(facts, ranked);
  if (et) report.errorText = et;
  return report;
}
