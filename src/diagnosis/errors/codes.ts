// Service error codes the catalogue recognises even when no catalogue row describes the text: every AADSTS code
// a client-credential, managed-identity or federated (workload identity) token request can return, and the error
// codes of AWS STS, IAM and EKS Auth. A data table: each code with what it means (in our words), the causes it
// points to with the confidence the code alone gives them, and the reference page it comes from.
import type { ErrorClass } from "./taxonomy.js";

export interface ServiceCode {
  code: string;
  meaning: string;
  causes: [ErrorClass, number][];
  source: string;
}

/** The Microsoft Entra authentication and authorization error-code reference. */
export const ENTRA_REFERENCE = "https://learn.microsoft.com/entra/identity-platform/reference-error-codes";
const STS_WEB = "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html";
const STS_COMMON = "https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html";
const STS_ASSUME = "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html";
const EKS_AUTH = "https://docs.aws.amazon.com/eks/latest/APIReference/API_auth_AssumeRoleForPodIdentity.html";
const IAM_IDP_COMMUNICATION =
  "https://docs.aws.amazon.com/botocore/latest/reference/services/iam/client/exceptions/OpenIdIdpCommunicationErrorException.html";
const IAM_OIDC = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetOpenIDConnectProvider.html";

type Row = [code: string, meaning: string, causes: [ErrorClass, number][]];

// Weights stay at or below 0.6: a code alone says less than a catalogue row that read the whole text.
const aadsts: Row[] = [
  [
    "AADSTS16000",
    "More than one identity could answer the request; the client must name which one",
    [["wrong_client_id", 0.35]],
  ],
  ["AADSTS50000", "Entra's token service hit an internal error; usually transient, retry", [["unknown", 0.4]]],
  [
    "AADSTS50001",
    "The requested resource (audience of the token) is disabled or does not exist in the tenant",
    [["invalid_scope", 0.55]],
  ],
  ["AADSTS50002", "Access was denied because a restricted proxy blocked the tenant", [["conditional_access", 0.4]]],
  ["AADSTS50005", "A device-state conditional access policy blocked the sign-in", [["conditional_access", 0.55]]],
  ["AADSTS50008", "A SAML assertion was missing or misconfigured", [["cert_invalid", 0.3]]],
  [
    "AADSTS50012",
    "The client's credential (assertion signature, certificate or secret) could not be validated",
    [
      ["cert_invalid", 0.5],
      ["client_secret_invalid", 0.35],
    ],
  ],
  [
    "AADSTS50013",
    "The presented assertion is invalid: expired, wrong audience or bad signature",
    [
      ["assertion_expired_or_clock", 0.45],
      ["cert_invalid", 0.3],
    ],
  ],
  [
    "AADSTS50020",
    "The account is from an identity provider that does not exist in this tenant",
    [["wrong_tenant", 0.5]],
  ],
  [
    "AADSTS50027",
    "The JWT is malformed or fails validation (missing claims, bad signature)",
    [
      ["cert_invalid", 0.35],
      ["issuer_key_missing", 0.3],
    ],
  ],
  ["AADSTS50032", "The RSA key of the credential is too weak", [["cert_invalid", 0.55]]],
  ["AADSTS50034", "The account does not exist in this directory", [["wrong_tenant", 0.5]]],
  [
    "AADSTS50053",
    "Sign-in was blocked: account locked or too many attempts from a suspicious address",
    [["unknown", 0.4]],
  ],
  ["AADSTS50057", "The account (or service principal) is disabled", [["app_not_found_in_tenant", 0.5]]],
  [
    "AADSTS50059",
    "The request did not say which tenant to use and none could be inferred",
    [
      ["wrong_tenant", 0.5],
      ["missing_env_config", 0.4],
    ],
  ],
  ["AADSTS50064", "The credential could not be validated", [["client_secret_invalid", 0.5]]],
  ["AADSTS50076", "Multi-factor authentication is required by policy", [["conditional_access", 0.55]]],
  ["AADSTS50079", "The account must register for multi-factor authentication", [["conditional_access", 0.5]]],
  ["AADSTS50097", "Device authentication is required by policy", [["conditional_access", 0.5]]],
  ["AADSTS50105", "The signed-in principal is not assigned to a role of the application", [["rbac_missing_role", 0.5]]],
  ["AADSTS50107", "The requested federation realm does not exist", [["wrong_tenant", 0.5]]],
  ["AADSTS50126", "The username or password is wrong", [["client_secret_invalid", 0.55]]],
  ["AADSTS50128", "The domain name in the request is not a tenant", [["wrong_tenant", 0.55]]],
  ["AADSTS50131", "A conditional access policy blocked the request", [["conditional_access", 0.55]]],
  ["AADSTS50132", "The session or grant was revoked", [["unknown", 0.4]]],
  ["AADSTS50146", "The application must be configured with an app-specific signing key", [["cert_invalid", 0.5]]],
  ["AADSTS50155", "Device authentication failed", [["conditional_access", 0.45]]],
  ["AADSTS50158", "An external security challenge (policy) was not satisfied", [["conditional_access", 0.5]]],
  [
    "AADSTS50166",
    "Entra could not reach the external OIDC issuer to fetch its discovery document or keys",
    [["issuer_unreachable", 0.6]],
  ],
  ["AADSTS50169", "The realm is not configured for this tenant", [["wrong_tenant", 0.45]]],
  [
    "AADSTS50173",
    "The grant expired because it was revoked or the password changed; sign in again",
    [["assertion_expired_or_clock", 0.35]],
  ],
  ["AADSTS50194", "The application is not multi-tenant; use the tenant-specific endpoint", [["wrong_tenant", 0.55]]],
  ["AADSTS50196", "The client sent the same request in a tight loop and was stopped", [["unknown", 0.4]]],
  ["AADSTS51000", "The account was not found in the directory", [["wrong_tenant", 0.4]]],
  ["AADSTS51004", "The account is not in the directory", [["wrong_tenant", 0.45]]],
  ["AADSTS53000", "Conditional access requires a compliant device", [["conditional_access", 0.55]]],
  ["AADSTS53001", "Conditional access requires a domain-joined device", [["conditional_access", 0.55]]],
  [
    "AADSTS53002",
    "The application is not an approved client app for conditional access",
    [["conditional_access", 0.55]],
  ],
  [
    "AADSTS53003",
    "A conditional access policy blocked the token (for workloads: a location or workload-identity policy)",
    [["conditional_access", 0.6]],
  ],
  ["AADSTS53004", "The account must complete security registration first", [["conditional_access", 0.45]]],
  ["AADSTS530032", "A security policy blocked the sign-in", [["conditional_access", 0.55]]],
  ["AADSTS530003", "Conditional access requires a managed device", [["conditional_access", 0.5]]],
  ["AADSTS530035", "Security defaults blocked the sign-in", [["conditional_access", 0.5]]],
  [
    "AADSTS500011",
    "The resource (audience of the requested token) has no service principal in the tenant",
    [["invalid_scope", 0.6]],
  ],
  ["AADSTS500014", "The resource's service principal is disabled", [["invalid_scope", 0.5]]],
  ["AADSTS500021", "Tenant restrictions blocked access to this tenant", [["conditional_access", 0.5]]],
  ["AADSTS500133", "The assertion is outside its valid time window", [["assertion_expired_or_clock", 0.6]]],
  ["AADSTS501661", "Entra could not fetch the external issuer's discovery document", [["issuer_unreachable", 0.6]]],
  ["AADSTS5000224", "The tenant was deleted or blocked", [["wrong_tenant", 0.55]]],
  ["AADSTS5000225", "The tenant is blocked for inactivity", [["wrong_tenant", 0.5]]],
  [
    "AADSTS65001",
    "The application has no consent (admin consent for application permissions) to the resource",
    [
      ["rbac_missing_role", 0.45],
      ["invalid_scope", 0.35],
    ],
  ],
  ["AADSTS65002", "Consent between a first-party application and the API is not configured", [["invalid_scope", 0.45]]],
  ["AADSTS65004", "Consent to the application was declined", [["rbac_missing_role", 0.4]]],
  [
    "AADSTS65005",
    "The application asks for a resource or permission that does not exist or is not configured",
    [["invalid_scope", 0.5]],
  ],
  ["AADSTS70000", "The grant or assertion is invalid or expired", [["assertion_expired_or_clock", 0.45]]],
  ["AADSTS70001", "The application is disabled or not found in the tenant", [["app_not_found_in_tenant", 0.55]]],
  [
    "AADSTS70002",
    "The client credentials are invalid, or a public client sent a secret",
    [["client_secret_invalid", 0.5]],
  ],
  ["AADSTS70003", "The grant type is not supported for this application", [["unknown", 0.4]]],
  ["AADSTS70008", "The grant expired or was revoked", [["assertion_expired_or_clock", 0.5]]],
  ["AADSTS70011", "The scope is invalid; client-credential flows need '<resource>/.default'", [["invalid_scope", 0.6]]],
  ["AADSTS70012", "A server error occurred while signing in a Microsoft account", [["unknown", 0.4]]],
  [
    "AADSTS70021",
    "No federated identity credential matches the presented token's issuer, subject and audience",
    [
      ["fic_subject_mismatch", 0.5],
      ["fic_missing", 0.45],
      ["wrong_client_id", 0.4],
      ["fic_issuer_mismatch", 0.35],
    ],
  ],
  [
    "AADSTS70023",
    "The external token lives longer than Entra accepts (over about a day)",
    [
      ["token_file_unreadable", 0.4],
      ["assertion_expired_or_clock", 0.3],
    ],
  ],
  [
    "AADSTS70025",
    "The identity named by the client ID has no federated identity credential at all",
    [
      ["fic_missing", 0.6],
      ["wrong_client_id", 0.45],
    ],
  ],
  ["AADSTS70043", "The token expired under a sign-in frequency policy", [["conditional_access", 0.45]]],
  ["AADSTS70044", "The session expired under a sign-in frequency policy", [["conditional_access", 0.45]]],
  ["AADSTS700003", "The device object was not found", [["unknown", 0.35]]],
  ["AADSTS700005", "The grant belongs to another tenant", [["wrong_tenant", 0.5]]],
  [
    "AADSTS700016",
    "No application with this client ID exists in the tenant",
    [
      ["app_not_found_in_tenant", 0.55],
      ["wrong_client_id", 0.5],
      ["wrong_tenant", 0.4],
    ],
  ],
  ["AADSTS700021", "The client assertion's application does not match the client_id sent", [["wrong_client_id", 0.55]]],
  ["AADSTS700022", "A parameter that takes one value (the scope) was sent with several", [["invalid_scope", 0.55]]],
  ["AADSTS700023", "The resource in the request is invalid for this flow", [["invalid_scope", 0.5]]],
  [
    "AADSTS700024",
    "The client assertion is not within its valid time range (expired token or clock skew)",
    [["assertion_expired_or_clock", 0.6]],
  ],
  ["AADSTS700025", "A public client must not send a secret or assertion", [["client_secret_invalid", 0.35]]],
  [
    "AADSTS700027",
    "The client assertion's signature or key could not be validated (certificate not registered)",
    [["cert_invalid", 0.6]],
  ],
  ["AADSTS700030", "The certificate's subject name does not match the one configured", [["cert_invalid", 0.55]]],
  [
    "AADSTS700211",
    "No federated identity credential has the presented issuer",
    [
      ["fic_issuer_mismatch", 0.6],
      ["fic_missing", 0.35],
    ],
  ],
  ["AADSTS700212", "No federated identity credential has the presented audience", [["fic_audience_mismatch", 0.6]]],
  [
    "AADSTS700213",
    "No federated identity credential has the presented subject",
    [
      ["fic_subject_mismatch", 0.6],
      ["fic_missing", 0.4],
    ],
  ],
  ["AADSTS7000112", "The application is disabled", [["app_not_found_in_tenant", 0.55]]],
  ["AADSTS7000114", "The application may not make on-behalf-of calls for itself", [["unknown", 0.35]]],
  [
    "AADSTS7000215",
    "The client secret is wrong (often the secret's ID was sent instead of its value)",
    [["client_secret_invalid", 0.6]],
  ],
  [
    "AADSTS7000218",
    "The request carried neither a client secret nor a client assertion",
    [["missing_env_config", 0.55]],
  ],
  ["AADSTS7000222", "The client secret has expired", [["client_secret_expired", 0.6]]],
  ["AADSTS7000272", "The assertion's signing key was not found at the issuer", [["issuer_key_missing", 0.55]]],
  [
    "AADSTS7002137",
    "The federated credential's subject does not match; Entra names the one it expected",
    [["fic_subject_mismatch", 0.6]],
  ],
  [
    "AADSTS7002138",
    "No federated credential matches the subject (matching is case-sensitive)",
    [["fic_subject_mismatch", 0.6]],
  ],
  ["AADSTS90002", "The tenant does not exist (wrong ID or cloud)", [["wrong_tenant", 0.6]]],
  ["AADSTS90004", "The request is malformed", [["unknown", 0.4]]],
  ["AADSTS90009", "The application asked for a token for itself by URI; use its GUID", [["invalid_scope", 0.45]]],
  [
    "AADSTS90010",
    "This grant type is not supported on the /common or /consumers endpoint; name the tenant",
    [["wrong_tenant", 0.5]],
  ],
  [
    "AADSTS90014",
    "A required field (client_id, client_assertion, grant_type …) is missing from the request",
    [["missing_env_config", 0.5]],
  ],
  ["AADSTS90016", "The application identifier is missing from the request", [["missing_env_config", 0.5]]],
  [
    "AADSTS90019",
    "The request does not say which tenant to use",
    [
      ["wrong_tenant", 0.45],
      ["missing_env_config", 0.4],
    ],
  ],
  ["AADSTS90023", "The request is invalid", [["unknown", 0.4]]],
  ["AADSTS9002313", "The request is malformed or invalid", [["unknown", 0.4]]],
  ["AADSTS90024", "Entra timed out handling the request; transient", [["unknown", 0.4]]],
  ["AADSTS90033", "Entra is temporarily unavailable", [["unknown", 0.4]]],
  ["AADSTS90038", "The tenant belongs to another (national) cloud", [["wrong_tenant", 0.55]]],
  ["AADSTS90043", "Authentication in this national cloud is not supported for the request", [["wrong_tenant", 0.45]]],
  ["AADSTS90051", "The national cloud identifier is invalid", [["wrong_tenant", 0.45]]],
  ["AADSTS90055", "Too many requests: throttled", [["unknown", 0.4]]],
  ["AADSTS90061", "Entra's request to the external OIDC issuer failed", [["issuer_unreachable", 0.6]]],
  ["AADSTS90093", "Graph refused: the application lacks the permission", [["rbac_missing_role", 0.45]]],
  ["AADSTS90094", "Administrator consent is required", [["rbac_missing_role", 0.45]]],
  ["AADSTS90099", "The application is not authorised in this tenant", [["app_not_found_in_tenant", 0.5]]],
  ["AADSTS90100", "A request parameter is empty or invalid", [["missing_env_config", 0.45]]],
  [
    "AADSTS900023",
    "The tenant identifier is neither a GUID nor a valid domain",
    [
      ["wrong_tenant", 0.6],
      ["missing_env_config", 0.35],
    ],
  ],
  ["AADSTS900144", "The request body lacks a required parameter", [["missing_env_config", 0.5]]],
  ["AADSTS900382", "A confidential client is not supported in a cross-cloud request", [["wrong_tenant", 0.45]]],
  // Further codes of the reference that a client-credential, managed-identity or federated request can meet.
  [
    "AADSTS700011",
    "No application with this identifier in the tenant the request went to",
    [
      ["app_not_found_in_tenant", 0.55],
      ["wrong_tenant", 0.4],
    ],
  ],
  [
    "AADSTS700229",
    "Only an app-only token may serve as the federated credential for an Entra issuer; a user-delegated token was sent",
    [["fic_issuer_mismatch", 0.4]],
  ],
  ["AADSTS900384", "The JWT failed signature validation", [["issuer_key_missing", 0.45]]],
  ["AADSTS240002", "An ID token cannot be used as a jwt-bearer grant", [["fic_audience_mismatch", 0.3]]],
  [
    "AADSTS901002",
    "The v2 endpoint does not take a 'resource' parameter; ask for '<resource>/.default'",
    [["invalid_scope", 0.55]],
  ],
  ["AADSTS90102", "A parameter that must be an absolute URI is not one", [["invalid_scope", 0.4]]],
  [
    "AADSTS650052",
    "The tenant has not subscribed to or enabled the service the token is for",
    [["invalid_scope", 0.45]],
  ],
  ["AADSTS650054", "The resource the token is for was removed or is no longer available", [["invalid_scope", 0.5]]],
  [
    "AADSTS650056",
    "The application is misconfigured: no permission listed for the resource, or no consent",
    [["rbac_missing_role", 0.45]],
  ],
  ["AADSTS650057", "The resource is not among the application's requested permissions", [["invalid_scope", 0.45]]],
  ["AADSTS1000031", "The application cannot be accessed at this time", [["app_not_found_in_tenant", 0.4]]],
  [
    "AADSTS100007",
    "The regional endpoint only serves managed identities and some first-party requests",
    [["wrong_tenant", 0.3]],
  ],
  ["AADSTS900432", "A confidential client is not supported in a cross-cloud request", [["wrong_tenant", 0.45]]],
  [
    "AADSTS9001023",
    "This grant type is not supported on the /common or /consumers endpoints; use the tenant",
    [["wrong_tenant", 0.5]],
  ],
  [
    "AADSTS90124",
    "The resource is not supported on the /common or /consumers endpoints; use the tenant",
    [["wrong_tenant", 0.5]],
  ],
  [
    "AADSTS90130",
    "The application is not supported on the /common or /consumers endpoints; use the tenant",
    [["wrong_tenant", 0.5]],
  ],
  ["AADSTS90006", "A transient error at Entra; retry", [["unknown", 0.4]]],
  ["AADSTS90012", "The request timed out at Entra; retry", [["unknown", 0.35]]],
  ["AADSTS90090", "A transient directory error; retry", [["unknown", 0.4]]],
];

const aws: Row[] = [
  [
    "AccessDenied",
    "STS refused the role: the trust policy does not allow this caller",
    [["irsa_trust_policy_mismatch", 0.5]],
  ],
  [
    "AccessDeniedException",
    "The caller is not allowed to do this (EKS Auth: the role cannot be assumed for the pod)",
    [
      ["rbac_missing_role", 0.45],
      ["irsa_trust_policy_mismatch", 0.4],
    ],
  ],
  ["ExpiredToken", "The security token in the request has expired", [["assertion_expired_or_clock", 0.55]]],
  [
    "ExpiredTokenException",
    "The web identity (or pod identity) token has expired",
    [["assertion_expired_or_clock", 0.6]],
  ],
  [
    "IDPCommunicationError",
    "STS could not reach the OIDC provider to validate the token",
    [["issuer_unreachable", 0.6]],
  ],
  [
    "IDPRejectedClaim",
    "The identity provider rejected the token's claims",
    [
      ["irsa_bad_audience", 0.4],
      ["irsa_trust_policy_mismatch", 0.35],
    ],
  ],
  [
    "InvalidIdentityToken",
    "STS could not validate the web identity token (no IAM OIDC provider, wrong audience, thumbprint or keys)",
    [
      ["irsa_no_oidc_provider", 0.5],
      ["irsa_bad_audience", 0.45],
      ["irsa_thumbprint", 0.35],
    ],
  ],
  [
    "InvalidIdentityTokenException",
    "STS could not validate the web identity token",
    [
      ["irsa_no_oidc_provider", 0.5],
      ["irsa_bad_audience", 0.45],
      ["irsa_thumbprint", 0.35],
    ],
  ],
  ["MalformedPolicyDocument", "The session policy passed with the request is malformed", [["unknown", 0.4]]],
  ["PackedPolicyTooLarge", "The session policy or tags are too large", [["unknown", 0.4]]],
  [
    "RegionDisabledException",
    "STS is not activated in this region for the account",
    [["sts_endpoint_unreachable", 0.55]],
  ],
  ["InvalidClientTokenId", "The access key or security token in the request is not valid", [["unknown", 0.4]]],
  [
    "SignatureDoesNotMatch",
    "The request signature does not match (wrong secret key or clock)",
    [["assertion_expired_or_clock", 0.35]],
  ],
  ["RequestExpired", "The request reached AWS too late (clock skew)", [["assertion_expired_or_clock", 0.55]]],
  ["ThrottlingException", "Too many requests: throttled", [["unknown", 0.4]]],
  ["ServiceUnavailable", "The service is temporarily unavailable", [["sts_endpoint_unreachable", 0.35]]],
  [
    "InvalidTokenException",
    "EKS Auth rejected the pod identity token",
    [
      ["token_file_unreadable", 0.4],
      ["assertion_expired_or_clock", 0.35],
    ],
  ],
  [
    "ResourceNotFoundException",
    "EKS Auth found no pod identity association for the service account",
    [["irsa_sa_annotation_missing", 0.5]],
  ],
  [
    "InvalidParameterException",
    "EKS Auth rejected a parameter (cluster name or token)",
    [["token_file_unreadable", 0.35]],
  ],
  ["NoSuchEntity", "IAM has no such entity (e.g. no OIDC provider for the issuer)", [["irsa_no_oidc_provider", 0.45]]],
  [
    "InvalidRequestException",
    "EKS Auth found a semantic error in the request; its message names it",
    [["unknown", 0.4]],
  ],
  ["InternalServerException", "EKS Auth failed on its side; usually transient, retry", [["unknown", 0.4]]],
  ["ServiceUnavailableException", "EKS Auth is temporarily unavailable", [["unknown", 0.4]]],
  [
    "OpenIdIdpCommunicationError",
    "IAM could not connect to the OpenID Connect provider's URL (the cluster's issuer)",
    [["issuer_unreachable", 0.55]],
  ],
];

const awsSource: Record<string, string> = {
  AccessDenied: STS_ASSUME,
  ExpiredToken: STS_COMMON,
  InvalidClientTokenId: STS_COMMON,
  SignatureDoesNotMatch: STS_COMMON,
  RequestExpired: STS_COMMON,
  ThrottlingException: STS_COMMON,
  ServiceUnavailable: STS_COMMON,
  AccessDeniedException: EKS_AUTH,
  InvalidTokenException: EKS_AUTH,
  ResourceNotFoundException: EKS_AUTH,
  InvalidParameterException: EKS_AUTH,
  InvalidRequestException: EKS_AUTH,
  InternalServerException: EKS_AUTH,
  ServiceUnavailableException: EKS_AUTH,
  OpenIdIdpCommunicationError: IAM_IDP_COMMUNICATION,
  NoSuchEntity: IAM_OIDC,
};

export const serviceCodes: ServiceCode[] = [
  ...aadsts.map(([code, meaning, causes]) => ({ code, meaning, causes, source: ENTRA_REFERENCE })),
  ...aws.map(([code, meaning, causes]) => ({ code, meaning, causes, source: awsSource[code] ?? STS_WEB })),
];

const byCode = new Map(serviceCodes.map((c) => [c.code, c]));

export function serviceCode(code: string): ServiceCode | undefined {
  return byCode.get(code);
}
