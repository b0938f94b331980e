// The error catalogue: one row per error signature, with the causes it points to (weights are the
// confidence each cause gets from this signature alone) and the public documentation it rests on.
// docs/errors.md lists every row; test/errors/docs.test.ts keeps the two in step.
import type { CatalogueEntry } from "./catalogue-types.js";
import { componentEntries } from "./catalogue-components.js";
import { msalEntries } from "./catalogue-msal.js";

export type { CatalogueEntry };

const ENTRA_CODES = "https://learn.microsoft.com/entra/identity-platform/reference-error-codes";
const WIF = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";
const AZWI_TROUBLESHOOTING = "https://azure.github.io/azure-workload-identity/docs/troubleshooting.html";
const AZIDENTITY_TROUBLESHOOTING =
  "https://github.com/Azure/azure-sdk-for-go/blob/main/sdk/azidentity/TROUBLESHOOTING.md";
const POD_IDENTITY_TROUBLESHOOTING = "https://azure.github.io/aad-pod-identity/docs/troubleshooting/";
const IRSA = "https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html";
const INVALID_IDENTITY_TOKEN = "https://repost.aws/knowledge-center/eks-error-invalid-identity-token";
const STS_ASSUME_WEB = "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html";
const POD_IDENTITY = "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html";
const IMDS_TOKEN = "https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token";
const KV_NETWORK = "https://learn.microsoft.com/azure/key-vault/general/network-security";
const STS_REGIONS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_enable-regions.html";
const NET_IDENTITY = "https://github.com/Azure/azure-sdk-for-net/blob/main/sdk/identity/Azure.Identity/src";
const JAVA_IDENTITY =
  "https://github.com/Azure/azure-sdk-for-java/blob/main/sdk/identity/azure-identity/src/main/java/com/azure/identity";
const JS_IDENTITY = "https://github.com/Azure/azure-sdk-for-js/blob/main/sdk/identity/identity/src/credentials";
const JAVA_IDENTITY_CLIENT = `${JAVA_IDENTITY}/implementation/IdentityClient.java`;
const MSAL_NET_IMDS =
  "https://github.com/AzureAD/microsoft-authentication-library-for-dotnet/blob/main/src/client/Microsoft.Identity.Client/ManagedIdentity/ImdsManagedIdentitySource.cs";
const AWS_JAVA_V2_CREDENTIALS =
  "https://github.com/aws/aws-sdk-java-v2/blob/master/core/auth/src/main/java/software/amazon/awssdk/auth/credentials";

/** Each phrase alongside each of the timeout / refusal wordings Go, Python, Java and Node use. */
function unreachable(hosts: string[][]): string[][] {
  const failures = [
    "i/o timeout",
    "timed out",
    "timeout",
    "context deadline exceeded",
    "connection refused",
    "no route to host",
    "network is unreachable",
    "no such host",
    "connect etimedout",
    "econnrefused",
  ];
  return hosts.flatMap((h) => failures.map((f) => [...h, f]));
}

export const catalogue: CatalogueEntry[] = [
  // Entra: federated identity credential matching.
  {
    code: "AADSTS70021",
    title: "No federated identity credential matches the presented token",
    platform: "aks-workload-identity",
    codes: ["AADSTS70021"],
    text: [["no matching federated identity record found for presented assertion. assertion issuer"]],
    causes: [
      ["fic_subject_mismatch", 0.6],
      ["fic_missing", 0.5],
      ["wrong_client_id", 0.45],
      ["fic_issuer_mismatch", 0.4],
      ["fic_audience_mismatch", 0.3],
    ],
    docs: WIF,
  },
  {
    code: "AADSTS700211",
    title: "No federated identity credential has the presented issuer",
    platform: "aks-workload-identity",
    codes: ["AADSTS700211"],
    text: [["no matching federated identity record found for presented assertion issuer"]],
    causes: [
      ["fic_issuer_mismatch", 0.9],
      ["fic_missing", 0.4],
      ["wrong_client_id", 0.35],
    ],
    docs: WIF,
  },
  {
    code: "AADSTS700212",
    title: "No federated identity credential has the presented audience",
    platform: "aks-workload-identity",
    codes: ["AADSTS700212"],
    text: [["no matching federated identity record found for presented assertion audience"]],
    causes: [
      ["fic_audience_mismatch", 0.9],
      ["wrong_client_id", 0.3],
    ],
    docs: WIF,
  },
  {
    code: "AADSTS700213",
    title: "No federated identity credential has the presented subject",
    platform: "aks-workload-identity",
    codes: ["AADSTS700213"],
    text: [["no matching federated identity record found for presented assertion subject"]],
    causes: [
      ["fic_subject_mismatch", 0.85],
      ["fic_missing", 0.45],
      ["wrong_client_id", 0.4],
      ["fic_issuer_mismatch", 0.3],
    ],
    docs: WIF,
  },
  {
    code: "AADSTS7002137",
    title: "Subject mismatch; Entra names the subject it expected",
    platform: "aks-workload-identity",
    codes: ["AADSTS7002137"],
    text: [["please make sure the federated identity credential subject is"]],
    causes: [
      ["fic_subject_mismatch", 0.9],
      ["wrong_client_id", 0.3],
    ],
    docs: WIF,
  },
  {
    code: "AADSTS7002138",
    title: "Subject matches only when case is ignored (case-sensitive matching)",
    platform: "aks-workload-identity",
    codes: ["AADSTS7002138"],
    text: [["matches with case-insensitive comparison, but not with case-sensitive"]],
    causes: [["fic_subject_mismatch", 0.95]],
    docs: "https://learn.microsoft.com/entra/identity-platform/reference-breaking-changes#federated-identity-credentials-now-use-case-sensitive-matching",
  },
  {
    // Entra refuses an identity that has no federated credential at all before comparing issuer, subject or
    // audience, naming the client ID it looked at: either the credential was never created, or the workload names
    // another identity (e.g. the Key Vault add-on's own identity, or an app registration instead of the managed identity).
    code: "AADSTS70025",
    title: "The identity named by the client ID has no federated identity credential at all",
    platform: "aks-workload-identity",
    codes: ["AADSTS70025"],
    text: [["has no configured federated identity credentials"]],
    causes: [
      ["fic_missing", 0.9],
      ["wrong_client_id", 0.55],
    ],
    docs: WIF,
  },
  // Entra: the issuer's discovery document and keys.
  {
    code: "AADSTS90061",
    title: "Entra could not reach the issuer's OIDC endpoint",
    platform: "aks-workload-identity",
    codes: ["AADSTS90061", "AADSTS501661", "AADSTS50166"],
    text: [["request to external oidc endpoint failed"]],
    causes: [
      ["issuer_unreachable", 0.9],
      ["issuer_key_missing", 0.25],
    ],
    docs: AZWI_TROUBLESHOOTING,
  },
  {
    code: "AADSTS7000272",
    title: "The key that signed the token is not in the issuer's metadata",
    platform: "aks-workload-identity",
    codes: ["AADSTS7000272"],
    text: [["used to sign the federated credential could not be found in the metadata"]],
    causes: [
      ["issuer_key_missing", 0.92],
      ["issuer_unreachable", 0.2],
    ],
    docs: ENTRA_CODES,
  },
  // Entra: time and lifetime.
  {
    code: "AADSTS700024",
    title: "Client assertion is not within its valid time range",
    platform: "aks-workload-identity",
    codes: ["AADSTS700024"],
    text: [["client assertion is not within its valid time range"]],
    causes: [["assertion_expired_or_clock", 0.92]],
    docs: ENTRA_CODES,
  },
  {
    code: "AADSTS70023",
    title: "External token lives longer than Entra accepts",
    platform: "aks-workload-identity",
    codes: ["AADSTS70023"],
    text: [["external oidc provider token must have a lifetime"]],
    causes: [["assertion_expired_or_clock", 0.88]],
    docs: ENTRA_CODES,
  },
  // Entra: policy.
  {
    code: "AADSTS53003",
    title: "Blocked by a Conditional Access policy",
    platform: "azure-sdk",
    codes: ["AADSTS53003", "AADSTS53000", "AADSTS53001", "AADSTS53002", "AADSTS530032"],
    text: [["has been blocked by conditional access"], ["blocked by conditional access policies"]],
    causes: [["conditional_access", 0.92]],
    docs: "https://learn.microsoft.com/entra/identity/conditional-access/workload-identity",
  },
  {
    code: "AADSTS50005",
    title: "Conditional Access does not allow this platform",
    platform: "azure-sdk",
    codes: ["AADSTS50005"],
    causes: [["conditional_access", 0.85]],
    docs: ENTRA_CODES,
  },
  // Entra: tenant and application.
  {
    code: "AADSTS90002",
    title: "Tenant not found",
    platform: "azure-sdk",
    codes: ["AADSTS90002"],
    text: [["not found. check to make sure you have the correct tenant id"]],
    causes: [["wrong_tenant", 0.9]],
    docs: ENTRA_CODES,
  },
  {
    code: "AADSTS900023",
    title: "Tenant identifier is not a valid tenant",
    platform: "azure-sdk",
    codes: ["AADSTS900023"],
    text: [["specified tenant identifier", "is neither a valid dns name"]],
    causes: [["wrong_tenant", 0.9]],
    docs: ENTRA_CODES,
  },
  {
    code: "AADSTS700016",
    title: "Application not found in the directory",
    platform: "azure-sdk",
    codes: ["AADSTS700016"],
    text: [["application with identifier", "was not found in the directory"]],
    causes: [
      ["app_not_found_in_tenant", 0.75],
      ["wrong_client_id", 0.6],
      ["wrong_tenant", 0.5],
    ],
    docs: AZIDENTITY_TROUBLESHOOTING,
  },
  // Entra: secrets and certificates.
  {
    code: "AADSTS7000215",
    title: "Invalid client secret",
    platform: "azure-sdk",
    codes: ["AADSTS7000215"],
    text: [["invalid client secret provided"], ["invalid client secret is provided"]],
    causes: [["client_secret_invalid", 0.92]],
    docs: AZIDENTITY_TROUBLESHOOTING,
  },
  {
    code: "AADSTS7000222",
    title: "Client secret expired",
    platform: "azure-sdk",
    codes: ["AADSTS7000222"],
    text: [["client secret keys", "are expired"]],
    causes: [["client_secret_expired", 0.95]],
    docs: AZIDENTITY_TROUBLESHOOTING,
  },
  {
    code: "AADSTS700027",
    title: "Client assertion has an invalid signature",
    platform: "azure-sdk",
    codes: ["AADSTS700027"],
    text: [["client assertion contains an invalid signature"]],
    causes: [["cert_invalid", 0.9]],
    docs: AZIDENTITY_TROUBLESHOOTING,
  },
  {
    code: "AADSTS50126",
    title: "Invalid username or password",
    platform: "azure-sdk",
    codes: ["AADSTS50126"],
    text: [["invalid username or password"]],
    causes: [["client_secret_invalid", 0.7]],
    docs: AZIDENTITY_TROUBLESHOOTING,
  },
  // Entra: scope and resource.
  {
    code: "AADSTS70011",
    title: "Invalid scope",
    platform: "azure-sdk",
    codes: ["AADSTS70011"],
    text: [["the provided value for the input parameter 'scope'"]],
    causes: [["invalid_scope", 0.9]],
    docs: ENTRA_CODES,
  },
  {
    code: "AADSTS500011",
    title: "Resource principal not found in the tenant",
    platform: "azure-sdk",
    codes: ["AADSTS500011"],
    text: [["the resource principal named", "was not found in the tenant"]],
    causes: [
      ["invalid_scope", 0.85],
      ["wrong_tenant", 0.3],
    ],
    docs: ENTRA_CODES,
  },
  // Azure Resource Manager and Key Vault.
  {
    code: "LinkedAuthorizationFailed",
    title: "MIC may not assign the identity to the node",
    platform: "aad-pod-identity",
    codes: ["LinkedAuthorizationFailed"],
    text: [["userassignedidentities/assign/action", "linked scope"]],
    causes: [["mic_linked_authorization", 0.95]],
    docs: `${POD_IDENTITY_TROUBLESHOOTING}#linkedauthorizationfailed`,
  },
  {
    code: "InvalidResourceID",
    title: "MIC ignores an AzureIdentity whose resourceID it cannot read (field capitalisation since MIC 1.6)",
    platform: "aad-pod-identity",
    codes: [],
    text: [
      ["invalid resource id", "must match /subscriptions/"],
      ["ignoring azure identity", "invalid resource id"],
    ],
    causes: [["nmi_identity_not_assigned", 0.9]],
    docs: `${POD_IDENTITY_TROUBLESHOOTING}#ignoring-azure-identity-podnspodname-error-invalid-resource-id--must-match-subscriptionssubidresourcegroupsresourcegroupprovidersmicrosoftmanagedidentityuserassignedidentitiesname`,
  },
  {
    code: "ForbiddenByFirewall",
    title: "Key Vault firewall rejected the client address",
    platform: "azure-sdk",
    codes: ["ForbiddenByFirewall"],
    text: [["client address is not authorized and caller is not a trusted service"]],
    causes: [["keyvault_firewall", 0.95]],
    docs: KV_NETWORK,
  },
  {
    code: "ForbiddenByConnection",
    title: "Key Vault public network access is disabled and the request did not come through a private link",
    platform: "azure-sdk",
    codes: ["ForbiddenByConnection"],
    text: [["public network access is disabled and request is not from a trusted service"]],
    causes: [["keyvault_firewall", 0.92]],
    docs: KV_NETWORK,
  },
  {
    code: "AuthorizationFailed",
    title: "No role assignment allows the action",
    platform: "azure-sdk",
    codes: ["AuthorizationFailed"],
    text: [["does not have authorization to perform action"]],
    unless: ["linkedauthorizationfailed"],
    causes: [["rbac_missing_role", 0.9]],
    docs: "https://learn.microsoft.com/azure/role-based-access-control/troubleshooting",
  },
  {
    code: "ForbiddenByRbac",
    title: "Key Vault RBAC denied the data action",
    platform: "azure-sdk",
    codes: ["ForbiddenByRbac"],
    text: [["caller is not authorized to perform action on resource"]],
    causes: [["rbac_missing_role", 0.9]],
    docs: "https://learn.microsoft.com/azure/key-vault/general/rbac-guide",
  },
  {
    code: "ForbiddenByPolicy",
    title: "Key Vault access policy does not grant the permission",
    platform: "azure-sdk",
    codes: ["ForbiddenByPolicy"],
    text: [
      ["does not have secrets get permission on key vault"],
      ["does not have keys get permission"],
      ["does not have certificates get permission"],
    ],
    causes: [["rbac_missing_role", 0.88]],
    docs: "https://learn.microsoft.com/azure/key-vault/general/assign-access-policy",
  },
  {
    code: "AuthorizationPermissionMismatch",
    title: "Storage data-plane role missing",
    platform: "azure-sdk",
    codes: ["AuthorizationPermissionMismatch"],
    text: [["this request is not authorized to perform this operation using this permission"]],
    causes: [["rbac_missing_role", 0.85]],
    docs: "https://learn.microsoft.com/azure/storage/blobs/assign-azure-role-data-access",
  },
  // Managed identity endpoint and aad-pod-identity.
  {
    code: "IMDS-unreachable",
    title: "The instance metadata (managed identity) endpoint did not answer",
    platform: "azure-sdk",
    text: [
      ...unreachable([["169.254.169.254"]]),
      ["no response from the imds endpoint"],
      ["imds token request timed out"],
      ["no managed identity endpoint found"],
      ["managedidentitycredential authentication unavailable"],
      ["no response received from the managed identity endpoint"],
      ["multiple attempts failed to obtain a token from the managed identity endpoint"],
      ["request failed due to a gateway error"],
      // Java: the TCP probe or the token request could not connect (the message goes on with the socket error).
      ["connection to imds endpoint cannot be established,"],
      ["could not connect to the url: http://169.254.169.254"],
      // JavaScript: ENETUNREACH / EHOSTUNREACH / an MSAL network_error, or no managed identity source at all.
      ["managedidentitycredential: network unreachable"],
      ["managedidentitycredential: unavailable. network unreachable"],
      ["managedidentitycredential - no msi credential available"],
      ["the managed identity endpoint is not currently available"],
      ["a socket operation was attempted to an unreachable"],
      // MSAL .NET
      ["managed_identity_unreachable_network"],
    ],
    unless: ["169.254.170.23"],
    causes: [
      ["imds_unreachable", 0.75],
      ["missing_env_config", 0.35],
      ["pod_not_mutated_label_missing", 0.3],
      ["sdk_too_old", 0.2],
    ],
    docs: AZIDENTITY_TROUBLESHOOTING,
    alsoFrom: [JAVA_IDENTITY_CLIENT, `${JS_IDENTITY}/managedIdentityCredential/msalMsiProvider.ts`, MSAL_NET_IMDS],
  },
  {
    code: "NMI-no-identity-for-client-id",
    title: "NMI found no identity for the requested client ID",
    platform: "aad-pod-identity",
    text: [["no azure identity found for request clientid"], ["no azure identity found for request client id"]],
    causes: [
      ["nmi_identity_not_assigned", 0.88],
      ["mic_linked_authorization", 0.3],
    ],
    docs: AZIDENTITY_TROUBLESHOOTING,
    alsoFrom: ["https://github.com/Azure/aad-pod-identity/blob/master/pkg/nmi/managed.go"],
  },
  {
    code: "NMI-assigned-identities-not-ready",
    title: "NMI gave up waiting for the pod's identity to be assigned",
    platform: "aad-pod-identity",
    text: [["getting assigned identities for pod", "failed after"]],
    causes: [
      ["nmi_identity_not_assigned", 0.8],
      ["mic_linked_authorization", 0.5],
      ["wrong_client_id", 0.35],
    ],
    docs: POD_IDENTITY_TROUBLESHOOTING,
  },
  {
    code: "NMI-no-assigned-identity",
    title: "No AzureAssignedIdentity exists for the pod",
    platform: "aad-pod-identity",
    text: [["no azureassignedidentity found for pod"]],
    causes: [
      ["nmi_identity_not_assigned", 0.85],
      ["mic_linked_authorization", 0.35],
    ],
    docs: POD_IDENTITY_TROUBLESHOOTING,
  },
  {
    code: "NMI-error-response",
    title: "NMI refused the token request (403/404: no identity is assigned to the pod yet)",
    platform: "aad-pod-identity",
    text: [["nmi response failed with status code"]],
    unless: ["getting assigned identities for pod"],
    causes: [
      ["nmi_identity_not_assigned", 0.82],
      ["mic_linked_authorization", 0.4],
      ["wrong_client_id", 0.3],
    ],
    docs: POD_IDENTITY_TROUBLESHOOTING,
  },
  {
    code: "NMI-token-refresh-failed",
    title: "NMI could not get a token for the pod's identity from the node's identity endpoint",
    platform: "aad-pod-identity",
    text: [
      ["failed to refresh token, error: adal: refresh request failed"],
      ["failed to get service principal token"],
      ["msi responsecode: forbidden"],
    ],
    causes: [
      ["nmi_identity_not_assigned", 0.72],
      ["wrong_client_id", 0.45],
      ["mic_linked_authorization", 0.3],
    ],
    docs: POD_IDENTITY_TROUBLESHOOTING,
  },
  {
    code: "NMI-resource-missing",
    title: "The token request named no resource",
    platform: "aad-pod-identity",
    text: [["parameter resource cannot be empty"]],
    causes: [["invalid_scope", 0.85]],
    docs: IMDS_TOKEN,
  },
  {
    code: "IMDS-identity-not-assigned",
    title: "The requested identity is not assigned to the VM or scale set",
    platform: "azure-sdk",
    text: [
      ["the requested identity has not been assigned to this resource"],
      ["the requested identity hasn't been assigned to this resource"],
      ["the requested identity hasn’t been assigned to this resource"],
      ['"error_description":"identity not found"'],
      ["response body: identity not found"],
      // msal-node folds the endpoint's answer into "… Description: Identity not found - Correlation ID …".
      ["description: identity not found"],
    ],
    causes: [
      ["wrong_client_id", 0.6],
      ["nmi_identity_not_assigned", 0.5],
      ["mic_linked_authorization", 0.3],
    ],
    docs: AZIDENTITY_TROUBLESHOOTING,
    alsoFrom: [
      `${JS_IDENTITY}/managedIdentityCredential/msalMsiProvider.ts`,
      MSAL_NET_IMDS,
      `${NET_IDENTITY}/ImdsManagedIdentitySource.cs`,
    ],
  },
  {
    code: "IMDS-multiple-identities",
    title: "Several identities are assigned to the node and the request did not say which one",
    platform: "azure-sdk",
    text: [["multiple user assigned identities exist"]],
    causes: [
      ["missing_env_config", 0.85],
      ["wrong_client_id", 0.35],
    ],
    docs: IMDS_TOKEN,
  },
  // Azure SDK configuration.
  {
    code: "DefaultAzureCredential-failed",
    title: "No credential in the DefaultAzureCredential chain produced a token",
    platform: "azure-sdk",
    text: [
      ["defaultazurecredential failed to retrieve a token"],
      ["defaultazurecredential failed to acquire a token"],
      ["defaultazurecredential: failed to acquire a token"],
      ["defaultazurecredential authentication failed"],
      // Java's chain: "Tried EnvironmentCredential, WorkloadIdentityCredential, … but failed to acquire a token …".
      ["but failed to acquire a token for any of them"],
    ],
    causes: [
      ["missing_env_config", 0.5],
      ["pod_not_mutated_label_missing", 0.45],
      ["webhook_not_running", 0.3],
      ["imds_unreachable", 0.25],
      ["sdk_too_old", 0.2],
    ],
    docs: AZIDENTITY_TROUBLESHOOTING,
    alsoFrom: [`${JAVA_IDENTITY}/ChainedTokenCredential.java`, `${JS_IDENTITY}/chainedTokenCredential.ts`],
  },
  {
    code: "WorkloadIdentityCredential-unconfigured",
    title: "Workload identity credential has no client ID, tenant ID or token file",
    platform: "azure-sdk",
    text: [
      ["no client id specified"],
      ["no tenant id specified"],
      ["no token file specified"],
      ["no client id/tenant id/token file specified"],
      ["tenantid, clientid, and federatedtokenfilepath are required"],
      ["workloadidentitycredential: is unavailable"],
      ["workloadidentitycredential authentication unavailable"],
      ["workloadidentitycredential is unavailable"],
      // .NET and Java: WorkloadIdentityCredential without tenant, client ID or token file path.
      ["the workload options are not fully configured"],
      // JavaScript: the token file path is empty.
      ["workloadidentitycredential: is unavailable. invalid file path provided"],
      ["azure_client_id not set"],
      ["azure_client_id is not set"],
      ["azure_tenant_id not set"],
      ["azure_federated_token_file not set"],
      ["azure_federated_token_file is not set"],
      ["missing or incomplete environment variable configuration"],
      ["environment variables are not fully configured"],
      ["azure_client_id", "environment variable", "not"],
    ],
    causes: [
      ["missing_env_config", 0.6],
      ["pod_not_mutated_label_missing", 0.55],
      ["webhook_not_running", 0.35],
    ],
    docs: AZIDENTITY_TROUBLESHOOTING,
    alsoFrom: [
      `${NET_IDENTITY}/Credentials/WorkloadIdentityCredential.cs`,
      `${JAVA_IDENTITY}/WorkloadIdentityCredential.java`,
      `${JS_IDENTITY}/workloadIdentityCredential.ts`,
    ],
  },
  {
    code: "AppAuthentication-retired-library",
    title: "A retired Azure authentication library is in use",
    platform: "azure-sdk",
    codes: ["AzureServiceTokenProviderException"],
    text: [["microsoft.azure.services.appauthentication"], ["tried the following 3 methods to get an access token"]],
    causes: [
      ["sdk_too_old", 0.85],
      ["missing_env_config", 0.2],
    ],
    docs: "https://learn.microsoft.com/dotnet/api/overview/azure/app-auth-migration",
  },
  {
    code: "federated-token-file-missing",
    title: "The federated token file does not exist",
    platform: "aks-workload-identity",
    text: [
      ["azure-identity-token", "no such file or directory"],
      ["azure_federated_token_file", "no such file or directory"],
      ["/var/run/secrets/azure/", "no such file"],
      ["failed to read the federated token", "no such file"],
      // .NET (FileNotFoundException / DirectoryNotFoundException) and Java (NoSuchFileException).
      ["could not find file", "/var/run/secrets/azure/"],
      ["could not find a part of the path", "/var/run/secrets/azure/"],
      ["nosuchfileexception", "/var/run/secrets/azure/"],
    ],
    causes: [
      ["token_path_changed", 0.6],
      ["pod_not_mutated_label_missing", 0.5],
      ["webhook_not_running", 0.3],
    ],
    docs: "https://github.com/Azure/azure-workload-identity/releases/tag/v1.6.0",
    alsoFrom: [
      `${NET_IDENTITY}/Credentials/WorkloadIdentityCredential.cs`,
      `${JAVA_IDENTITY}/WorkloadIdentityCredential.java`,
    ],
  },
  {
    code: "federated-token-path-empty",
    title: "The token file path is empty: the pod has no AZURE_FEDERATED_TOKEN_FILE",
    platform: "aks-workload-identity",
    text: [
      ["service account token", "open : no such file or directory"],
      ["federated token", "open : no such file or directory"],
    ],
    causes: [
      ["pod_not_mutated_label_missing", 0.8],
      ["webhook_not_running", 0.45],
      ["missing_env_config", 0.3],
    ],
    docs: AZWI_TROUBLESHOOTING,
  },
  {
    code: "federated-token-file-permission",
    title: "The federated token file is not readable",
    platform: "aks-workload-identity",
    text: [
      ["azure-identity-token", "permission denied"],
      ["/var/run/secrets/azure/", "permission denied"],
      // .NET UnauthorizedAccessException and Java AccessDeniedException.
      ["access to the path", "/var/run/secrets/azure/", "is denied"],
      ["accessdeniedexception", "/var/run/secrets/azure/"],
    ],
    causes: [["token_file_unreadable", 0.9]],
    docs: AZWI_TROUBLESHOOTING,
    alsoFrom: [
      `${NET_IDENTITY}/Credentials/WorkloadIdentityCredential.cs`,
      `${JAVA_IDENTITY}/WorkloadIdentityCredential.java`,
    ],
  },
  {
    code: "azwi-webhook-unreachable",
    title: "The API server could not call the workload identity webhook",
    platform: "aks-workload-identity",
    text: [
      ["failed calling webhook", "azure-workload-identity"],
      ["azure-wi-webhook-webhook-service", "no endpoints available"],
      ["azure-wi-webhook-webhook-service", "failed to call webhook"],
    ],
    causes: [["webhook_not_running", 0.92]],
    docs: AZWI_TROUBLESHOOTING,
  },
  // EKS: IRSA.
  {
    code: "eks-webhook-unreachable",
    title: "The API server could not call the EKS pod identity webhook",
    platform: "eks-irsa",
    text: [
      ["failed calling webhook", "iam-for-pods"],
      ["failed calling webhook", "pod-identity-webhook"],
    ],
    causes: [["webhook_not_running", 0.9]],
    docs: IRSA,
  },
  {
    code: "InvalidIdentityToken-no-oidc-provider",
    title: "No IAM OIDC provider for the cluster's issuer",
    platform: "eks-irsa",
    text: [["no openidconnect provider found"]],
    causes: [["irsa_no_oidc_provider", 0.95]],
    docs: INVALID_IDENTITY_TOKEN,
  },
  {
    code: "InvalidIdentityToken-audience",
    title: "Incorrect token audience",
    platform: "eks-irsa",
    text: [["incorrect token audience"]],
    causes: [["irsa_bad_audience", 0.95]],
    docs: INVALID_IDENTITY_TOKEN,
  },
  {
    code: "InvalidIdentityToken-thumbprint",
    title: "Issuer certificate does not match the provider's thumbprint",
    platform: "eks-irsa",
    text: [["doesn't match configured thumbprint"], ["does not match configured thumbprint"]],
    causes: [["irsa_thumbprint", 0.95]],
    docs: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc_verify-thumbprint.html",
  },
  {
    code: "InvalidIdentityToken",
    title: "STS rejected the web identity token",
    platform: "eks-irsa",
    codes: ["InvalidIdentityToken", "InvalidIdentityTokenException"],
    causes: [
      ["irsa_no_oidc_provider", 0.45],
      ["irsa_bad_audience", 0.4],
      ["irsa_thumbprint", 0.3],
      ["assertion_expired_or_clock", 0.25],
      ["issuer_key_missing", 0.2],
    ],
    docs: STS_ASSUME_WEB,
  },
  {
    code: "AccessDenied-AssumeRoleWithWebIdentity",
    title: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    platform: "eks-irsa",
    text: [["not authorized to perform sts:assumerolewithwebidentity"]],
    causes: [
      ["irsa_trust_policy_mismatch", 0.88],
      ["irsa_sa_annotation_missing", 0.25],
    ],
    docs: IRSA,
  },
  {
    code: "WebIdentityErr-permission-denied",
    title: "The web identity token file is not readable",
    platform: "eks-irsa",
    text: [
      ["eks.amazonaws.com/serviceaccount/token", "permission denied"],
      ["webidentityerr", "permission denied"],
      ["errno 13", "serviceaccount/token"],
      ["access to the path", "eks.amazonaws.com/serviceaccount/token", "is denied"],
      ["accessdeniedexception", "eks.amazonaws.com/serviceaccount/token"],
    ],
    causes: [["token_file_unreadable", 0.92]],
    docs: IRSA,
    alsoFrom: [
      `${AWS_JAVA_V2_CREDENTIALS}/WebIdentityTokenFileCredentialsProvider.java`,
      "https://github.com/aws/aws-sdk-net/blob/main/sdk/src/Core/Amazon.Runtime/Credentials/AssumeRoleWithWebIdentityCredentials.cs",
    ],
  },
  {
    code: "WebIdentity-token-load-failed",
    title: "The SDK could not open the web identity token file",
    platform: "eks-irsa",
    text: [
      ["tokenfilewebidentitycredentials", "opensync"],
      ["a token could not be loaded from the webidentitytokenfile"],
    ],
    causes: [
      ["token_file_unreadable", 0.75],
      ["irsa_sa_annotation_missing", 0.3],
    ],
    docs: IRSA,
  },
  {
    code: "WebIdentityErr-no-token-file",
    title: "The web identity token file does not exist",
    platform: "eks-irsa",
    text: [
      ["unable to read file at", "no such file or directory"],
      ["eks.amazonaws.com/serviceaccount/token", "no such file"],
      ["could not find file", "eks.amazonaws.com/serviceaccount/token"],
      ["nosuchfileexception", "eks.amazonaws.com/serviceaccount/token"],
    ],
    causes: [
      ["irsa_sa_annotation_missing", 0.6],
      ["webhook_not_running", 0.4],
    ],
    docs: IRSA,
    alsoFrom: [
      `${AWS_JAVA_V2_CREDENTIALS}/WebIdentityTokenFileCredentialsProvider.java`,
      "https://github.com/aws/aws-sdk-net/blob/main/sdk/src/Core/Amazon.Runtime/Credentials/AssumeRoleWithWebIdentityCredentials.cs",
    ],
  },
  {
    code: "ExpiredTokenException",
    title: "The web identity token has expired",
    platform: "eks-irsa",
    codes: ["ExpiredTokenException"],
    text: [["token expired: current date/time"]],
    causes: [["assertion_expired_or_clock", 0.88]],
    docs: STS_ASSUME_WEB,
  },
  {
    code: "IDPCommunicationError",
    title: "STS could not fetch the issuer's keys",
    platform: "eks-irsa",
    codes: ["IDPCommunicationError"],
    text: [["couldn't retrieve verification key from your identity provider"]],
    causes: [
      ["issuer_unreachable", 0.75],
      ["issuer_key_missing", 0.45],
    ],
    docs: STS_ASSUME_WEB,
  },
  {
    code: "STS-unreachable",
    title: "The STS endpoint did not answer",
    platform: "eks-irsa",
    text: [
      ...unreachable([["sts.amazonaws.com"], ["sts.", ".amazonaws.com"]]),
      ["broken connection to sts."],
      ["sts.amazonaws.com", "http status: 0"],
    ],
    causes: [["sts_endpoint_unreachable", 0.88]],
    docs: STS_REGIONS,
  },
  {
    code: "AssumeRole-connect-failure",
    title: "The SDK could not connect to STS to assume the role",
    platform: "eks-irsa",
    text: [
      ["error calling assumerole", "unable to connect to the remote server"],
      ["error calling assumerole", "connectfailure"],
    ],
    causes: [["sts_endpoint_unreachable", 0.8]],
    docs: STS_REGIONS,
  },
  {
    code: "NoCredentialProviders",
    title: "The AWS SDK found no credentials",
    platform: "eks-irsa",
    codes: ["NoCredentialProviders"],
    text: [
      ["no valid providers in chain"],
      ["could not load credentials from any providers"],
      ["unable to locate credentials"],
      ["unable to load credentials from any of the providers in the chain"],
      ["failed to refresh cached credentials, no ec2 imds role found"],
    ],
    unless: ["only loopback hosts are allowed"],
    causes: [
      ["irsa_sa_annotation_missing", 0.55],
      ["webhook_not_running", 0.35],
      ["sdk_too_old", 0.3],
    ],
    docs: IRSA,
  },
  {
    code: "node-role-fallback",
    title: "The call ran as the node's role, not the pod's",
    platform: "eks-irsa",
    text: [
      ["assumed-role/", "nodeinstancerole"],
      ["assumed-role/eks-node"],
      ["assumed-role/", "nodegroup", "not authorized"],
    ],
    causes: [
      ["irsa_sa_annotation_missing", 0.7],
      ["sdk_too_old", 0.45],
      ["webhook_not_running", 0.3],
    ],
    docs: IRSA,
  },
  {
    code: "AccessDenied-action",
    title: "The assumed role may not perform the action",
    platform: "eks-irsa",
    text: [["assumed-role/", "is not authorized to perform:"]],
    unless: ["nodeinstancerole", "assumed-role/eks-node", "nodegroup", "sts:assumerolewithwebidentity"],
    causes: [["rbac_missing_role", 0.8]],
    docs: IRSA,
  },
  // EKS Pod Identity.
  {
    code: "PodIdentity-agent-unreachable",
    title: "The EKS Pod Identity agent did not answer",
    platform: "eks-pod-identity",
    text: [...unreachable([["169.254.170.23"], ["fd00:ec2::23"]]), ["http request to pod identity agent failed"]],
    causes: [["imds_unreachable", 0.85]],
    docs: POD_IDENTITY,
  },
  {
    code: "PodIdentity-role-trust",
    title: "EKS may not assume the associated role",
    platform: "eks-pod-identity",
    text: [
      ["eks does not have permissions to assume the associated role"],
      ["assumeroleforpodidentity", "accessdenied"],
    ],
    causes: [["irsa_trust_policy_mismatch", 0.85]],
    docs: "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html",
  },
  {
    code: "PodIdentity-sdk-too-old",
    title: "The SDK refuses the Pod Identity credential endpoint",
    platform: "eks-pod-identity",
    text: [
      ["invalid endpoint host", "169.254.170.23"],
      ["only loopback hosts are allowed"],
      ["unsupported host", "169.254.170.23"],
      ["is not a valid container metadata service hostname"],
      ["aws_container_credentials_full_uri", "has an invalid host"],
    ],
    causes: [["sdk_too_old", 0.92]],
    docs: "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-minimum-sdk.html",
  },
  {
    code: "PodIdentity-eks-auth-unreachable",
    title: "The Pod Identity agent could not reach the EKS Auth API",
    platform: "eks-pod-identity",
    text: [["unable to fetch credentials from eks auth"], ...unreachable([["eks-auth."]])],
    causes: [
      ["sts_endpoint_unreachable", 0.75],
      ["imds_unreachable", 0.2],
    ],
    docs: POD_IDENTITY,
  },
  // Rows read from the code that writes the message (repository and path in docs).
  {
    code: "STS-request-failed",
    title: "The request to STS failed before STS answered (connection reset, refused or dropped)",
    platform: "eks-irsa",
    text: [
      ["requesterror: send request failed", "sts."],
      ["sts.", "connection reset by peer"],
      ["assumerolewithwebidentity", "connection reset by peer"],
    ],
    causes: [["sts_endpoint_unreachable", 0.85]],
    docs: "https://github.com/aws/aws-sdk-go/blob/main/aws/corehandlers/handlers.go",
  },
  {
    code: "STS-tls-or-proxy",
    title: "TLS to STS failed or a proxy refused the tunnel (intercepting proxy, missing CA bundle)",
    platform: "eks-irsa",
    text: [
      "x509: certificate signed by unknown authority",
      "tls: failed to verify certificate",
      "certificate_verify_failed",
      "unable to verify the first certificate",
      "pkix path building failed",
      // A proxy refusing the CONNECT tunnel, as OkHttp, the JDK, CPython's http.client, Go and Node word it.
      "unexpected response code for connect",
      "unable to tunnel through proxy",
      "tunnel connection failed",
      "proxyconnect tcp",
      "tunneling socket could not be established",
    ].flatMap((f) => [
      ["sts.", f],
      ["assumerolewithwebidentity", f],
      ["assume role from web identity", f],
      ["webidentitytokencredentialsprovider", f],
    ]),
    causes: [["sts_endpoint_unreachable", 0.8]],
    docs: "https://github.com/boto/botocore/blob/develop/botocore/httpsession.py",
    alsoFrom: [
      "https://github.com/aws/aws-sdk-kotlin/blob/main/aws-runtime/aws-config/common/src/aws/sdk/kotlin/runtime/auth/credentials/StsWebIdentityCredentialsProvider.kt",
    ],
  },
  {
    code: "AssumeRole-timeout",
    title: "The .NET SDK timed out calling STS to assume the role",
    platform: "eks-irsa",
    text: [
      ["error calling assumerole", "timeoutexception"],
      ["error calling assumerole", "the operation was canceled"],
      ["error calling assumerole", "taskcanceledexception"],
    ],
    causes: [["sts_endpoint_unreachable", 0.8]],
    docs: "https://github.com/aws/aws-sdk-net/blob/main/sdk/src/Core/Amazon.Runtime/Credentials/AssumeRoleWithWebIdentityCredentials.cs",
  },
  {
    code: "WebIdentity-token-is-directory",
    title: "The web identity token path is a directory, not the token file (a mount over the path)",
    platform: "eks-irsa",
    text: [
      ["is a directory", "serviceaccount/token"],
      ["is a directory", "web_identity_token"],
      ["eisdir", "serviceaccount/token"],
    ],
    causes: [["token_file_unreadable", 0.85]],
    docs: "https://github.com/boto/botocore/blob/develop/botocore/utils.py",
  },
  {
    code: "KeyVault-forbidden-on-mount",
    title: "Key Vault answered 403 to the CSI driver's Azure provider",
    platform: "aks-workload-identity",
    text: [
      ['status=403 code="forbidden"', "failed to mount"],
      ['status=403 code="forbidden"', "secrets store"],
      ["403 forbidden", "failed to mount secrets store objects"],
    ],
    unless: ["forbiddenbyfirewall", "forbiddenbypolicy", "forbiddenbyconnection", "public network access"],
    causes: [
      ["rbac_missing_role", 0.75],
      ["wrong_client_id", 0.3],
      ["keyvault_firewall", 0.25],
    ],
    docs: "https://github.com/Azure/secrets-store-csi-driver-provider-azure/blob/master/pkg/provider/provider.go",
  },
  // Rows read from MSAL and from the components' own log lines (their own data files).
  ...msalEntries,
  ...componentEntries,
  // Log lines of the components in the path.
  {
    code: "AWS-provider-no-role",
    title: "The Secrets Store CSI driver's AWS provider found no IAM role on the service account",
    platform: "eks-irsa",
    text: [["an iam role must be associated with service account"]],
    causes: [
      ["irsa_sa_annotation_missing", 0.9],
      ["webhook_not_running", 0.2],
    ],
    docs: "https://github.com/aws/secrets-store-csi-driver-provider-aws/blob/main/server/server.go",
  },
  {
    code: "AWS-provider-token-requests",
    title: "The CSIDriver object does not request the service account token the AWS provider needs",
    platform: "eks-irsa",
    text: [
      ["ensure tokenrequests is configured in csidriver"],
      ["ensure tokenrequests includes this audience in csidriver"],
    ],
    causes: [
      ["token_file_unreadable", 0.7],
      ["irsa_bad_audience", 0.35],
    ],
    docs: "https://github.com/aws/secrets-store-csi-driver-provider-aws/blob/main/utils/token_parser.go",
  },
  {
    code: "PodIdentity-agent-expired-credentials",
    title: "The Pod Identity agent received credentials already expired (node clock)",
    platform: "eks-pod-identity",
    text: [["fetched credentials are expired or will expire within the next"]],
    causes: [["assertion_expired_or_clock", 0.75]],
    docs: "https://github.com/aws/eks-pod-identity-agent/blob/main/internal/credsretriever/refreshing_cache.go",
  },
  {
    code: "azwi-proxy-hostnetwork",
    title: "The workload identity webhook will not inject its proxy sidecar into a hostNetwork pod",
    platform: "aks-workload-identity",
    text: [["hostnetwork is set to true, cannot inject proxy sidecar"]],
    causes: [
      ["pod_not_mutated_label_missing", 0.7],
      ["imds_unreachable", 0.3],
    ],
    docs: "https://github.com/Azure/azure-workload-identity/blob/main/pkg/webhook/webhook.go",
  },
  {
    code: "azwi-webhook-tenant-missing",
    title: "The workload identity webhook has no tenant ID configured",
    platform: "aks-workload-identity",
    text: [["azure_tenant_id is required"]],
    causes: [
      ["webhook_not_running", 0.6],
      ["missing_env_config", 0.5],
    ],
    docs: "https://github.com/Azure/azure-workload-identity/blob/main/pkg/config/config.go",
  },
  {
    code: "PodIdentity-container-provider-unreachable",
    title: "botocore's container credential provider got no answer from the Pod Identity agent",
    platform: "eks-pod-identity",
    text: [
      ["container-role", "received error when attempting to retrieve container metadata"],
      ["169.254.170.23", "received error when attempting to retrieve container metadata"],
    ],
    causes: [["imds_unreachable", 0.8]],
    docs: "https://github.com/boto/botocore/blob/develop/botocore/utils.py",
  },
  {
    code: "PodIdentity-container-provider-refused",
    title: "The Pod Identity agent answered the container credential provider with an error",
    platform: "eks-pod-identity",
    text: [
      ["container-role", "received non 200 response"],
      ["169.254.170.23", "received non 200 response"],
    ],
    causes: [
      ["irsa_trust_policy_mismatch", 0.5],
      ["irsa_sa_annotation_missing", 0.45],
    ],
    docs: "https://github.com/boto/botocore/blob/develop/botocore/utils.py",
  },
  {
    code: "PodIdentity-token-unreadable",
    title: "The Pod Identity token file cannot be read",
    platform: "eks-pod-identity",
    text: [
      ["eks-pod-identity-token", "permission denied"],
      ["eks-pod-identity-token", "no such file or directory"],
      ["aws_container_authorization_token_file", "permission denied"],
    ],
    causes: [["token_file_unreadable", 0.8]],
    docs: "https://github.com/boto/botocore/blob/develop/botocore/credentials.py",
  },
  // Read from the credential code of the .NET, Java and JavaScript Azure SDKs and of the AWS SDKs for
  // JavaScript v3 and Java v2.
  {
    code: "IMDS-refused-token-request",
    title:
      "The identity endpoint answered the token request with an error the Java SDK does not retry (403: NMI refusing the pod; other 4xx: the identity asked for is not there)",
    platform: "azure-sdk",
    text: [["couldn't acquire access token from imds"]],
    causes: [
      ["wrong_client_id", 0.62],
      ["nmi_identity_not_assigned", 0.55],
      ["mic_linked_authorization", 0.25],
    ],
    docs: JAVA_IDENTITY_CLIENT,
  },
  {
    code: "IMDS-bad-request",
    title:
      "The identity endpoint answered 400 and the SDK reports the managed identity as unavailable: no managed identity (or none with the requested client ID) on this machine",
    platform: "azure-sdk",
    // The Java SDK words a 400 answer like a connection failure but ends the sentence there; a real connection
    // failure goes on with the socket error after a comma (see IMDS-unreachable). Either way no token comes from
    // the node's endpoint; on a workload-identity pod the SDK only asks it when the webhook's variables are missing.
    text: [
      ["connection to imds endpoint cannot be established."],
      // JavaScript reports the same 400 as "no available identity" and likewise moves on down the chain.
      ["managed identity endpoint is indicating there's no available identity"],
      // Python, for a 400 when no client ID was asked for: the machine has no identity at all.
      ["no identity has been assigned to this resource"],
    ],
    causes: [
      ["imds_unreachable", 0.6],
      ["wrong_client_id", 0.5],
      ["pod_not_mutated_label_missing", 0.35],
    ],
    docs: JAVA_IDENTITY_CLIENT,
    alsoFrom: [
      `${JS_IDENTITY}/managedIdentityCredential/msalMsiProvider.ts`,
      "https://github.com/Azure/azure-sdk-for-python/blob/main/sdk/identity/azure-identity/azure/identity/_credentials/imds.py",
    ],
  },
  {
    code: "IMDS-retries-exhausted",
    title:
      "The identity endpoint kept answering 404/410/429/5xx until the SDK gave up (on a cluster, 404 is how NMI answers while the pod's identity is not yet assigned)",
    platform: "azure-sdk",
    text: [["msi: failed to acquire tokens after retrying"], ["failed to retrieve imds token after"]],
    causes: [
      ["nmi_identity_not_assigned", 0.6],
      ["imds_unreachable", 0.5],
      ["mic_linked_authorization", 0.3],
    ],
    docs: JAVA_IDENTITY_CLIENT,
    alsoFrom: [`${JS_IDENTITY}/managedIdentityCredential/imdsMsi.ts`],
  },
  {
    code: "federated-token-file-empty",
    title: "The federated token file exists but is empty",
    platform: "aks-workload-identity",
    text: [["workloadidentitycredential: is unavailable. no content on the file"]],
    causes: [
      ["token_file_unreadable", 0.75],
      ["pod_not_mutated_label_missing", 0.3],
    ],
    docs: `${JS_IDENTITY}/workloadIdentityCredential.ts`,
  },
  {
    code: "invalid-tenant-id",
    title:
      "The tenant ID the credential was given is not a valid tenant ID (empty, a name with spaces, or a stray value)",
    platform: "azure-sdk",
    text: [["invalid tenant id provided"]],
    causes: [
      ["wrong_tenant", 0.7],
      ["missing_env_config", 0.5],
    ],
    docs: `${JAVA_IDENTITY}/implementation/util/ValidationUtil.java`,
    alsoFrom: ["https://github.com/Azure/azure-sdk-for-js/blob/main/sdk/identity/identity/src/util/tenantIdUtils.ts"],
  },
  {
    code: "WebIdentity-env-missing",
    title:
      "The SDK found no web identity configuration (AWS_ROLE_ARN / AWS_WEB_IDENTITY_TOKEN_FILE not set in the pod)",
    platform: "eks-irsa",
    text: [
      // AWS SDK for JavaScript v3
      ["web identity configuration not specified"],
      // AWS SDK for Java v2 (also listed inside its chain summary)
      ["either the environment variable aws_web_identity_token_file or the javaproperty aws.webidentitytokenfile"],
    ],
    causes: [
      ["irsa_sa_annotation_missing", 0.65],
      ["webhook_not_running", 0.35],
    ],
    docs: "https://github.com/aws/aws-sdk-js-v3/blob/main/packages/credential-provider-web-identity/src/fromTokenFile.ts",
    alsoFrom: [`${AWS_JAVA_V2_CREDENTIALS}/WebIdentityTokenFileCredentialsProvider.java`],
  },
  {
    code: "WebIdentity-partial-env",
    title:
      "Only half of the web identity configuration is set: a token file without AWS_ROLE_ARN, or AWS_ROLE_ARN without a token file (Go SDK)",
    platform: "eks-irsa",
    text: [["role arn is not set"], ["token file path is not set"]],
    // The GitHub Actions credential step says "Role ARN is not set. Please set the role-to-assume input."
    unless: ["role-to-assume"],
    causes: [
      ["irsa_sa_annotation_missing", 0.75],
      ["webhook_not_running", 0.3],
    ],
    docs: "https://github.com/aws/aws-sdk-go/blob/main/aws/session/credentials.go",
    alsoFrom: ["https://github.com/aws/aws-sdk-go-v2/blob/main/config/resolve_credentials.go"],
  },
  {
    code: "WebIdentity-sts-module-missing",
    title: "The Java SDK v2 cannot use the web identity token: the application does not ship the sts module",
    platform: "eks-irsa",
    text: [["to use web identity tokens, the 'sts' service module must be on the class path"]],
    causes: [["sdk_too_old", 0.88]],
    docs: `${AWS_JAVA_V2_CREDENTIALS}/internal/WebIdentityCredentialsUtils.java`,
  },
];

/** The row for a code or one of its aliases (case-insensitive). */
export function findEntry(code: string): CatalogueEntry | undefined {
  const c = code.toLowerCase();
  return catalogue.find((e) => e.code.toLowerCase() === c || e.codes?.some((k) => k.toLowerCase() === c));
}

// ------------------------------------------------------------------ AKS identity bindings (SDK and proxy texts)
// The WorkloadIdentityCredential proxy mode of each Azure Identity library reads AZURE_KUBERNETES_TOKEN_PROXY,
// AZURE_KUBERNETES_SNI_NAME and AZURE_KUBERNETES_CA_FILE or _CA_DATA, which the webhook injects into pods that opt
// into an identity binding. Wordings from the libraries' sources; meaning from the AKS identity-bindings docs.
const AKS_IDENTITY_BINDINGS = "https://learn.microsoft.com/azure/aks/identity-bindings-concepts";
const GO_TOKEN_PROXY =
  "https://github.com/Azure/azure-sdk-for-go/blob/main/sdk/azidentity/internal/customtokenproxy/customtokenproxy.go";
const GO_WORKLOAD_IDENTITY = "https://github.com/Azure/azure-sdk-for-go/blob/main/sdk/azidentity/workload_identity.go";
const JS_IDENTITY_ERRORS =
  "https://github.com/Azure/azure-sdk-for-js/blob/main/sdk/identity/identity/src/credentials/workloadIdentityCredential.ts";
const PY_WORKLOAD_IDENTITY =
  "https://github.com/Azure/azure-sdk-for-python/blob/main/sdk/identity/azure-identity/azure/identity/_credentials/workload_identity.py";

const identityBindingEntries: CatalogueEntry[] = [
  {
    code: "IdentityBinding-unproxied-token",
    title:
      "Entra received the pod's identity binding token (audience api://AKSIdentityBinding) directly: the application's WorkloadIdentityCredential does not use the proxy",
    platform: "azure-sdk",
    text: [["api://aksidentitybinding", "no matching federated identity record"]],
    // The audience names the binding path itself: the credential is at fault, not the federated credential. A
    // library too old to have the proxy option does the same, hence sdk_too_old as the runner-up.
    causes: [
      ["binding_proxy_not_enabled", 0.96],
      ["sdk_too_old", 0.3],
    ],
    docs: "https://github.com/Azure/azure-sdk-for-js/blob/main/sdk/identity/identity/TROUBLESHOOTING.md",
    alsoFrom: [AKS_IDENTITY_BINDINGS],
  },
  {
    code: "IdentityBinding-proxy-option-unknown",
    title:
      "The application names the identity binding proxy option, but its Azure Identity release does not have it (a build or argument error)",
    platform: "azure-sdk",
    // What each language's compiler or runtime says about an option its release lacks; the option names (and their
    // beta names) are the libraries' (AKS identity-bindings-concepts lists the minimum versions).
    text: [
      ["unknown field enableazureproxy in struct literal"],
      ["unknown field enableazuretokenproxy in struct literal"],
      ["does not contain a definition for 'isazureproxyenabled'"],
      ["does not contain a definition for 'isazurekubernetestokenproxyenabled'"],
      ["cannot find symbol", "enableazureproxy()"],
      ["cannot find symbol", "enableazuretokenproxy()"],
      ["'enableazureproxy' does not exist in type"],
      ["'enableazurekubernetestokenproxy' does not exist in type"],
      ["unexpected keyword argument 'enable_azure_proxy'"],
      ["unexpected keyword argument 'use_token_proxy'"],
    ],
    causes: [
      ["binding_proxy_not_enabled", 0.9],
      ["sdk_too_old", 0.35],
    ],
    docs: AKS_IDENTITY_BINDINGS,
    alsoFrom: [GO_WORKLOAD_IDENTITY, PY_WORKLOAD_IDENTITY],
  },
  {
    code: "IdentityBinding-proxy-env-partial",
    title:
      "AZURE_KUBERNETES_SNI_NAME or a CA variable is set without AZURE_KUBERNETES_TOKEN_PROXY: the pod's proxy configuration is incomplete",
    platform: "azure-sdk",
    text: [["azure_kubernetes_token_proxy is not set but other custom endpoint-related environment variables"]],
    causes: [["missing_env_config", 0.8]],
    docs: GO_TOKEN_PROXY,
    alsoFrom: [JS_IDENTITY_ERRORS],
  },
  {
    code: "IdentityBinding-ca-both",
    title: "Both AZURE_KUBERNETES_CA_FILE and AZURE_KUBERNETES_CA_DATA are set: the proxy mode accepts only one",
    platform: "azure-sdk",
    text: [
      ["only one of azure_kubernetes_ca_file and azure_kubernetes_ca_data can be specified"],
      ["azure_kubernetes_ca_file and azure_kubernetes_ca_data are mutually exclusive"],
      ["both azure_kubernetes_ca_file and azure_kubernetes_ca_data are set"],
    ],
    causes: [["missing_env_config", 0.75]],
    docs: GO_TOKEN_PROXY,
    alsoFrom: [JS_IDENTITY_ERRORS, PY_WORKLOAD_IDENTITY],
  },
  {
    code: "IdentityBinding-proxy-not-found",
    title:
      "The proxy option is on but AZURE_KUBERNETES_TOKEN_PROXY is absent: the pod was not mutated for the identity binding (annotation missing, pod older than it, or an older webhook)",
    platform: "azure-sdk",
    text: [["no token proxy endpoint was found", "azure_kubernetes_token_proxy"]],
    causes: [
      ["missing_env_config", 0.7],
      ["pod_not_mutated_label_missing", 0.3],
    ],
    docs: PY_WORKLOAD_IDENTITY,
    alsoFrom: [AKS_IDENTITY_BINDINGS],
  },
  {
    code: "IdentityBinding-proxy-url-invalid",
    title: "AZURE_KUBERNETES_TOKEN_PROXY is not a plain https URL (scheme, user info, query or fragment)",
    platform: "azure-sdk",
    text: [
      ["custom token endpoint must use https scheme"],
      ["custom token endpoint url", "must not contain"],
      ["failed to parse custom token proxy url"],
    ],
    causes: [["missing_env_config", 0.7]],
    docs: GO_TOKEN_PROXY,
    alsoFrom: [JS_IDENTITY_ERRORS],
  },
  {
    code: "IdentityBinding-ca-unreadable",
    title: "The proxy's CA (AZURE_KUBERNETES_CA_FILE or _CA_DATA) is missing, empty or holds no certificate",
    platform: "azure-sdk",
    text: [
      ["parse ca file", "no valid certificates found"],
      ["parse ca data: no valid certificates found"],
      ["read ca file", "kubernetes.io/serviceaccount/ca.crt"],
      ["ca file", "is empty", "kubernetes.io/serviceaccount/ca.crt"],
    ],
    causes: [
      ["token_file_unreadable", 0.5],
      ["missing_env_config", 0.4],
    ],
    docs: GO_TOKEN_PROXY,
    alsoFrom: [JS_IDENTITY_ERRORS],
  },
];

catalogue.push(...identityBindingEntries);
