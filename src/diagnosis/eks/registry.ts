// The EKS registry (IRSA and EKS Pod Identity): every check, in root-cause order (upstream causes before the
// symptoms they produce). This one list orders the report's checks and ranks its findings; the ids derive from it.
import type { CheckIdOf } from "../registry.js";
import { oidcAudienceMissing, oidcProviderMissing, thumbprintMismatch } from "./checks/cluster.js";
import { exchangeFailed } from "./checks/exchange.js";
import {
  podIdentityExchange,
  podIdentitySessionTags,
  podIdentitySourcePermission,
  podIdentityTargetTrust,
} from "./checks/pod-identity-chain.js";
import { podIdentityMechanismServed, podIdentitySdkTooOld } from "./checks/pod-identity-sdk.js";
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

export const eksRegistry = [
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
  podIdentitySessionTags,
  podIdentitySourcePermission,
  podIdentityTargetTrust,
  webhookMissing,
  podAwsEnvPreset,
  podRestartNeeded,
  podNotMutated,
  podTokenUnreadable,
  podIdentitySdkTooOld,
  podIdentityMechanismServed,
  saAnnotationInvalid,
  trustSubjectUnrestricted,
  irsaAndPodIdentity,
  exchangeFailed,
  podIdentityExchange,
] as const;

/** Every EKS check id: a typo in a step tool's list or in a map of ids fails to compile. */
export type EksCheckId = CheckIdOf<typeof eksRegistry>;

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
] as const satisfies readonly EksCheckId[];

/** What a successful AssumeRoleWithWebIdentity proves: the IRSA chain from the token's issuer to the role. */
export const EKS_SETTLED_BY_EXCHANGE = [
  "sa.role-arn-missing",
  "sa.role-arn-malformed",
  "eks.oidc-provider-missing",
  "eks.oidc-audience-missing",
  "eks.thumbprint-mismatch",
  ...TRUST,
] as const satisfies readonly EksCheckId[];
