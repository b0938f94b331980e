// The AKS workload identity registry: every check, in root-cause order (upstream causes before the symptoms
// they produce). This one list orders the report's checks and ranks its findings; the check ids derive from it.
import type { CheckIdOf } from "../registry.js";
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
import {
  bindingCredentialMismatch,
  bindingCredentialMissing,
  bindingNotFound,
  bindingPodNotOptedIn,
} from "./checks/identity-binding.js";
import { bindingProxyEnvMissing, bindingRbacMissing, bindingSdkNotOptedIn } from "./checks/identity-binding-access.js";
import { issuerUnreachable, signingKeyMissing } from "./checks/issuer.js";
import { keyVaultNotFound, keyVaultTenantMismatch } from "./checks/keyvault.js";
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

export const aksRegistry = [
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
  bindingNotFound,
  bindingCredentialMissing,
  bindingCredentialMismatch,
  bindingRbacMissing,
  bindingPodNotOptedIn,
  ficNone,
  ficIssuerMismatch,
  ficSubjectMismatch,
  ficAudienceMismatch,
  ficLimitReached,
  podLabelMissing,
  podNotMutated,
  podRestartNeeded,
  podTokenPathHardcoded,
  bindingProxyEnvMissing,
  spcClientIdMismatch,
  keyVaultNotFound,
  keyVaultTenantMismatch,
  keyVaultFirewall,
  keyVaultAccess,
  rbacRoleMissing,
  bindingSdkNotOptedIn,
  exchangeFailed,
] as const;

/** Every AKS workload identity check id: a typo in a step tool's list or in a map of ids fails to compile. */
export type AksCheckId = CheckIdOf<typeof aksRegistry>;

/** What a successful live exchange proves: the identity chain from the token's issuer to the identity. */
export const AKS_SETTLED_BY_EXCHANGE = [
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
] as const satisfies readonly AksCheckId[];
