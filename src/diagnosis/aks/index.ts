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
  errorText?: {
    codes: string[];
    classes: string[];
    asserted: Record<string, string>;
    confirmedBy: string[];
    note: string;
  };
}

export function verdictFor(findings: Finding[], checks: CheckResult[], exchangeOk: boolean): Verdict {
  if (findings.some((f) => f.severity === "error")) return "broken";
  if (exchangeOk) return "healthy";
  const essential = checks.filter((c) => ESSENTIAL.includes(c.id));
  if (essential.some((c) => c.status !== "pass")) return "inconclusive";
  return "healthy";
}

/** Which findings the asserted values in an error text point at. */
function errorTextSection(facts: AksFacts, findings: Finding[]): AksReport["errorText"] {
  const e = facts.errorText;
  if (!e) return undefined;
  const asserted: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.extracted)) if (v) asserted[k] = v;
  const related: Record<string, string[]> = {
    fic_issuer_mismatch: ["fic.issuer-mismatch", "cluster.issuer-disagreement"],
    fic_subject_mismatch: ["fic.subject-mismatch", "pod.service-account-mismatch", "sa.not-found"],
    fic_audience_mismatch: ["fic.audience-mismatch"],
    fic_missing: [
      "fic.none",
      "fic.issuer-mismatch",
      "fic.subject-mismatch",
      "fic.audience-mismatch",
      "spc.client-id-mismatch",
      "identity.not-found",
    ],
    wrong_client_id: ["identity.not-found", "sa.client-id-malformed", "spc.client-id-mismatch", "pod.restart-needed"],
    app_not_found_in_tenant: ["identity.not-found", "identity.tenant-mismatch"],
    wrong_tenant: ["identity.tenant-mismatch"],
    missing_env_config: ["pod.label-missing", "pod.not-mutated", "sa.client-id-missing", "webhook.missing"],
    pod_not_mutated_label_missing: ["pod.label-missing", "pod.not-mutated"],
    webhook_not_running: ["webhook.missing", "webhook.unhealthy"],
    token_path_changed: ["pod.token-path-hardcoded"],
    rbac_missing_role: ["rbac.role-missing", "keyvault.access-policy-missing"],
    keyvault_firewall: ["keyvault.firewall-blocks-cluster"],
    issuer_unreachable: ["issuer.unreachable", "cluster.oidc-issuer-disabled"],
    issuer_key_missing: ["issuer.signing-key-missing"],
  };
  const ids = new Set(findings.map((f) => f.id));
  const confirmedBy = [...new Set(e.classes.flatMap((c) => related[c] ?? []).filter((id) => ids.has(id)))];
  // Assertion values in the text compared with what the cluster issues now.
  const notes: string[] = [];
  const token = valueOf(facts.token);
  if (asserted.issuer && token?.claims.iss && asserted.issuer !== token.claims.iss) {
    notes.push(
      `the error's issuer ${asserted.issuer} is not this cluster's (${token.claims.iss}): the error may come from another cluster`,
    );
  }
  if (asserted.subject && facts.serviceAccountName) {
    const want = `system:serviceaccount:${facts.target.namespace}:${facts.serviceAccountName}`;
    if (asserted.subject !== want)
      notes.push(`the error's subject ${asserted.subject} is not the diagnosed service account (${want})`);
  }
  const note = confirmedBy.length
    ? `The live checks confirm the error: ${confirmedBy.join(", ")}.`
    : e.classes.length
      ? "The live checks do not reproduce the error's cause now (it may be fixed already, or come from another workload or cluster)."
      : "The error text was not recognised.";
  return { codes: e.codes, classes: e.classes, asserted, confirmedBy, note: [note, ...notes].join(" ") };
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
  const et = errorTextSection(facts, ranked);
  if (et) report.errorText = et;
  return report;
}
