// The fixed vocabulary of error causes, platforms and the values read out of an error text (docs/errors.md).
import type { Fix } from "../types.js";

export const errorClasses = [
  "fic_issuer_mismatch",
  "fic_subject_mismatch",
  "fic_audience_mismatch",
  "fic_missing",
  "wrong_client_id",
  "app_not_found_in_tenant",
  "wrong_tenant",
  "client_secret_invalid",
  "client_secret_expired",
  "cert_invalid",
  "assertion_expired_or_clock",
  "missing_env_config",
  "pod_not_mutated_label_missing",
  "webhook_not_running",
  "token_file_unreadable",
  "token_path_changed",
  "rbac_missing_role",
  "keyvault_firewall",
  "imds_unreachable",
  "nmi_identity_not_assigned",
  "mic_linked_authorization",
  "issuer_unreachable",
  "issuer_key_missing",
  "irsa_no_oidc_provider",
  "irsa_bad_audience",
  "irsa_thumbprint",
  "irsa_trust_policy_mismatch",
  "irsa_sa_annotation_missing",
  "sts_endpoint_unreachable",
  "sdk_too_old",
  "conditional_access",
  "invalid_scope",
  "binding_proxy_not_enabled",
  "unknown",
] as const;

export type ErrorClass = (typeof errorClasses)[number];

export const errorPlatforms = [
  "aks-workload-identity",
  "aad-pod-identity",
  "azure-sdk",
  "eks-irsa",
  "eks-pod-identity",
  "unknown",
] as const;

export type ErrorPlatform = (typeof errorPlatforms)[number];

/** Values read out of the error text. Never secrets: the text is redacted before anything is read. */
export interface Extracted {
  issuer?: string;
  subject?: string;
  audience?: string;
  tenantId?: string;
  clientId?: string;
  roleArn?: string;
  providerUrl?: string;
  namespace?: string;
  serviceAccount?: string;
  vault?: string;
  traceId?: string;
  correlationId?: string;
  timestamp?: string;
  tokenFile?: string;
}

export const extractedFields = [
  "issuer",
  "subject",
  "audience",
  "tenantId",
  "clientId",
  "roleArn",
  "providerUrl",
  "namespace",
  "serviceAccount",
  "vault",
  "traceId",
  "correlationId",
  "timestamp",
  "tokenFile",
] as const satisfies readonly (keyof Extracted)[];

export interface ToolCall {
  tool: string;
  arguments: Record<string, string>;
}

export interface ClassContext {
  x: Extracted;
  platform: ErrorPlatform;
}

export interface ClassInfo {
  title: string;
  /** Why this class was added to the taxonomy the issue fixed, when it was (docs/errors.md). */
  addedBecause?: string;
  explain(c: ClassContext): string;
  confirmWith(c: ClassContext): ToolCall[];
  fixes(c: ClassContext): Fix[];
}

export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
/** Audiences the webhook uses in the sovereign clouds; all are valid for the exchange. */
export const azureExchangeAudiences = [
  "api://AzureADTokenExchange",
  "api://AzureADTokenExchangeUSGov",
  "api://AzureADTokenExchangeChina",
];
