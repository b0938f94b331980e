// Tie an error message the user saw to the findings of a live diagnosis: does the world confirm it?
import type { Finding } from "./types.js";

/** What an error message asserts (from explain_error). */
export interface ErrorTextFacts {
  codes: string[];
  classes: string[];
  /** What the most likely cause means, in a sentence or two. */
  explanation?: string;
  extracted: {
    issuer?: string;
    subject?: string;
    audience?: string;
    clientId?: string;
    tenantId?: string;
    roleArn?: string;
  };
}

export interface ErrorTextSection {
  codes: string[];
  classes: string[];
  asserted: Record<string, string>;
  confirmedBy: string[];
  explanation?: string;
  note: string;
}

/** For each error class, the findings (of any platform) that would explain it. */
export const FINDINGS_FOR_CLASS: Record<string, string[]> = {
  fic_issuer_mismatch: ["fic.issuer-mismatch", "cluster.issuer-disagreement", "cluster.oidc-issuer-disabled"],
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
  wrong_client_id: [
    "identity.not-found",
    "sa.client-id-malformed",
    "spc.client-id-mismatch",
    "pod.restart-needed",
    "podid.client-id-mismatch",
  ],
  app_not_found_in_tenant: ["identity.not-found", "identity.tenant-mismatch"],
  wrong_tenant: ["identity.tenant-mismatch"],
  missing_env_config: [
    "pod.label-missing",
    "pod.not-mutated",
    "sa.client-id-missing",
    "sa.annotation-typo",
    "webhook.missing",
    "webhook.unhealthy",
    "cluster.workload-identity-disabled",
  ],
  pod_not_mutated_label_missing: ["pod.label-missing", "pod.not-mutated", "pod.restart-needed"],
  webhook_not_running: ["webhook.missing", "webhook.unhealthy", "cluster.workload-identity-disabled"],
  token_file_unreadable: ["pod.token-unreadable"],
  token_path_changed: ["pod.token-path-hardcoded"],
  rbac_missing_role: ["rbac.role-missing", "keyvault.access-policy-missing"],
  keyvault_firewall: ["keyvault.firewall-blocks-cluster"],
  issuer_unreachable: ["issuer.unreachable", "cluster.oidc-issuer-disabled"],
  issuer_key_missing: ["issuer.signing-key-missing"],
  imds_unreachable: [
    "podid.nmi-unhealthy",
    "podid.egress-blocked",
    "pod.label-missing",
    "pod.not-mutated",
    "eks.pod-identity-agent-missing",
    "eks.pod-identity-association-missing",
  ],
  nmi_identity_not_assigned: [
    "podid.assigned-identity-missing",
    "podid.label-missing",
    "podid.binding-selector-mismatch",
    "podid.binding-identity-not-found",
    "podid.identity-not-on-vmss",
    "podid.mic-unhealthy",
    "podid.client-id-mismatch",
    "podid.identity-resource-id-invalid",
  ],
  mic_linked_authorization: ["podid.linked-authorization-failed"],
  irsa_no_oidc_provider: ["eks.oidc-provider-missing", "iam.trust-provider-mismatch"],
  irsa_bad_audience: ["eks.oidc-audience-missing", "iam.trust-audience-mismatch"],
  irsa_thumbprint: ["eks.thumbprint-mismatch"],
  irsa_trust_policy_mismatch: [
    "iam.trust-provider-mismatch",
    "iam.trust-subject-mismatch",
    "iam.trust-audience-mismatch",
    "iam.trust-action-missing",
    "iam.trust-wildcard-in-stringequals",
    "iam.trust-condition-key-invalid",
    "iam.trust-condition-failed",
    "iam.trust-explicit-deny",
    "iam.role-not-found",
    "eks.pod-identity-trust-invalid",
  ],
  irsa_sa_annotation_missing: [
    "sa.role-arn-missing",
    "sa.role-arn-malformed",
    "sa.annotation-typo",
    "pod.not-mutated",
    "webhook.missing",
    "pod.restart-needed",
  ],
};

/** Errors of credentials other than workload identity (secrets, certificates, scopes): the application's to fix. */
const OUTSIDE_IDENTITY_SETUP = [
  "client_secret_invalid",
  "client_secret_expired",
  "cert_invalid",
  "invalid_scope",
  "conditional_access",
  "sdk_too_old",
];

export function errorTextSection(e: ErrorTextFacts, findings: Finding[], notes: string[] = []): ErrorTextSection {
  const asserted: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.extracted)) if (v) asserted[k] = v;
  const ids = new Set(findings.map((f) => f.id));
  const confirmedBy = [...new Set(e.classes.flatMap((c) => FINDINGS_FOR_CLASS[c] ?? []).filter((id) => ids.has(id)))];
  const note = confirmedBy.length
    ? `The live checks confirm the error: ${confirmedBy.join(", ")}.`
    : e.classes.length && OUTSIDE_IDENTITY_SETUP.includes(e.classes[0])
      ? "The identity setup checks out; this error comes from how the application asks for its token."
      : e.classes.length
        ? "The live checks do not reproduce the error's cause now (it may be fixed already, or come from another workload or cluster)."
        : "The error text was not recognised.";
  return {
    codes: e.codes,
    classes: e.classes,
    asserted,
    confirmedBy,
    explanation: e.explanation,
    note: [note, ...notes].join(" "),
  };
}
