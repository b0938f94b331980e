// Catalogue rows read from the log lines of the components between a pod and its token: the Secrets Store CSI
// driver and its Azure and AWS providers, MIC and NMI (aad-pod-identity), the azure-workload-identity webhook and
// proxy, the EKS pod-identity-webhook and the EKS Pod Identity agent. Each row cites the file that writes it.
import type { CatalogueEntry } from "./catalogue-types.js";

const CSI_DRIVER = "https://github.com/kubernetes-sigs/secrets-store-csi-driver/blob/main/pkg/secrets-store";
const CSI_AZURE = "https://github.com/Azure/secrets-store-csi-driver-provider-azure/blob/master/pkg";
const CSI_AWS = "https://github.com/aws/secrets-store-csi-driver-provider-aws/blob/main";
const POD_IDENTITY = "https://github.com/Azure/aad-pod-identity/blob/master/pkg";
const AZWI = "https://github.com/Azure/azure-workload-identity/blob/main/pkg";
const EKS_WEBHOOK = "https://github.com/aws/amazon-eks-pod-identity-webhook/blob/master";
const EKS_AGENT = "https://github.com/aws/eks-pod-identity-agent/blob/main";

export const componentEntries: CatalogueEntry[] = [
  // Secrets Store CSI driver and its providers.
  {
    code: "CSI-no-service-account-token",
    title: "The CSI driver passed no service account token for the exchange audience to the Azure provider",
    platform: "aks-workload-identity",
    // The driver only forwards tokens the CSIDriver object's tokenRequests asks for; without one for
    // api://AzureADTokenExchange the provider has nothing to exchange.
    text: [["token for audience", "azureadtokenexchange", "not found"], ["service account tokens not found"]],
    causes: [
      ["token_file_unreadable", 0.7],
      ["fic_audience_mismatch", 0.2],
    ],
    docs: `${CSI_DRIVER}/nodeserver.go`,
    alsoFrom: [`${CSI_AZURE}/auth/auth.go`],
  },
  {
    code: "CSI-azure-service-principal-secret",
    title: "The Azure provider's service principal mode found no usable nodePublishSecretRef secret",
    platform: "azure-sdk",
    text: [
      ["nodepublishsecretref secret is not set"],
      ["could not find clientid in secrets"],
      ["could not find clientsecret in secrets"],
    ],
    causes: [
      ["client_secret_invalid", 0.6],
      ["missing_env_config", 0.45],
    ],
    docs: `${CSI_AZURE}/auth/auth.go`,
  },
  {
    code: "CSI-azure-nmi-incomplete",
    title: "NMI answered the Azure provider without a token and client ID",
    platform: "aad-pod-identity",
    text: [["nmi did not return expected values in response"]],
    causes: [
      ["nmi_identity_not_assigned", 0.7],
      ["wrong_client_id", 0.3],
    ],
    docs: `${CSI_AZURE}/auth/auth.go`,
  },
  {
    code: "CSI-azure-tenant-missing",
    title: "The SecretProviderClass has no tenantId",
    platform: "aks-workload-identity",
    text: [["tenantid is not provided"]],
    causes: [
      ["missing_env_config", 0.6],
      ["wrong_tenant", 0.35],
    ],
    docs: `${CSI_AZURE}/provider/provider.go`,
  },
  {
    code: "CSI-aws-fetch-failed",
    title: "The AWS provider could not read the secret or parameter in any region",
    platform: "eks-irsa",
    // The provider's own advice: the object must exist and the role must be allowed to read it.
    text: [["failed to fetch secret from all regions"], ["failed to fetch parameters from all regions"]],
    causes: [
      ["rbac_missing_role", 0.6],
      ["irsa_trust_policy_mismatch", 0.25],
      ["sts_endpoint_unreachable", 0.2],
    ],
    docs: `${CSI_AWS}/provider/secrets_manager_provider.go`,
    alsoFrom: [`${CSI_AWS}/provider/parameter_store_provider.go`],
  },
  {
    code: "CSI-aws-pod-identity-token",
    title: "The AWS provider found no Pod Identity token among the tokens the CSI driver passed",
    platform: "eks-pod-identity",
    text: [["pod identity token extraction failed"]],
    causes: [["token_file_unreadable", 0.7]],
    docs: `${CSI_AWS}/server/server.go`,
  },
  // aad-pod-identity: NMI and MIC.
  {
    code: "NMI-pod-ip-unknown",
    title: "NMI could not tell which pod sent the token request",
    platform: "aad-pod-identity",
    // NMI maps the caller's IP to a pod from its cache: a host-network pod, or a pod newer than the cache, is
    // not found, and no identity can be chosen for it.
    text: [["failed to get pod info from pod ip"], ["failed to match pod ip"]],
    causes: [
      ["nmi_identity_not_assigned", 0.65],
      ["imds_unreachable", 0.25],
    ],
    docs: `${POD_IDENTITY}/nmi/server/server.go`,
    alsoFrom: [`${POD_IDENTITY}/k8s/client.go`],
  },
  {
    code: "MIC-node-update-failed",
    title: "MIC could not add the identity to the node's VM or scale set (throttled, or not in a usable state)",
    platform: "aad-pod-identity",
    text: [
      ["failed to update identities for", "provisioning state"],
      ["vmssupdate client throttled"],
      ["vmupdate client throttled"],
    ],
    causes: [
      ["nmi_identity_not_assigned", 0.75],
      ["mic_linked_authorization", 0.3],
    ],
    docs: `${POD_IDENTITY}/cloudprovider/vmss.go`,
    alsoFrom: [`${POD_IDENTITY}/cloudprovider/vm.go`],
  },
  // azure-workload-identity: the proxy sidecar and the webhook.
  {
    code: "azwi-proxy-client-id-missing",
    title: "The workload identity proxy got a token request without a client ID, and AZURE_CLIENT_ID is not set",
    platform: "aks-workload-identity",
    text: [["the client_id parameter or azure_client_id environment variable must be set"]],
    causes: [
      ["missing_env_config", 0.85],
      ["pod_not_mutated_label_missing", 0.3],
    ],
    docs: `${AZWI}/proxy/proxy.go`,
  },
  {
    code: "azwi-proxy-tenant-missing",
    title: "The workload identity proxy started without AZURE_TENANT_ID",
    platform: "aks-workload-identity",
    // The webhook injects the variable into the sidecar; without it the pod was not mutated as intended.
    text: [["azure_tenant_id not set"]],
    causes: [
      ["pod_not_mutated_label_missing", 0.6],
      ["missing_env_config", 0.55],
      ["webhook_not_running", 0.3],
    ],
    docs: `${AZWI}/proxy/proxy.go`,
  },
  {
    code: "azwi-proxy-not-ready",
    title: "The workload identity proxy sidecar never answered its readiness probe",
    platform: "aks-workload-identity",
    text: [["failed to probe proxy"]],
    causes: [
      ["imds_unreachable", 0.6],
      ["pod_not_mutated_label_missing", 0.3],
    ],
    docs: `${AZWI}/proxy/probe.go`,
  },
  {
    code: "azwi-webhook-token-expiration",
    title: "The service account's token expiration annotation is outside 3600–86400 seconds",
    platform: "aks-workload-identity",
    text: [["token expiration", "expected value to be between 3600 and 86400"]],
    causes: [
      ["missing_env_config", 0.6],
      ["pod_not_mutated_label_missing", 0.4],
    ],
    docs: `${AZWI}/webhook/webhook.go`,
  },
  // EKS pod-identity-webhook.
  {
    code: "eks-webhook-sa-not-cached",
    title: "The EKS pod-identity-webhook did not know the pod's service account in time and left the pod as it was",
    platform: "eks-irsa",
    // The pod starts without AWS_ROLE_ARN and the token volume; it needs a restart once the service account exists.
    text: [["not found in the cache after", "not mutating"]],
    causes: [
      ["irsa_sa_annotation_missing", 0.65],
      ["webhook_not_running", 0.45],
    ],
    docs: `${EKS_WEBHOOK}/pkg/handler/handler.go`,
  },
  {
    code: "eks-webhook-role-arn-invalid",
    title: "The service account's role-arn annotation is not a valid IAM role ARN",
    platform: "eks-irsa",
    text: [["arn is invalid:"]],
    causes: [
      ["irsa_sa_annotation_missing", 0.75],
      ["irsa_trust_policy_mismatch", 0.2],
    ],
    docs: `${EKS_WEBHOOK}/pkg/cache/cache.go`,
  },
  {
    code: "eks-webhook-no-certificate",
    title: "The EKS pod-identity-webhook has no serving certificate (its CSR was not approved)",
    platform: "eks-irsa",
    text: [["no serving certificate available for the webhook"]],
    causes: [
      ["webhook_not_running", 0.85],
      ["irsa_sa_annotation_missing", 0.2],
    ],
    docs: `${EKS_WEBHOOK}/main.go`,
  },
  // EKS Pod Identity agent.
  {
    code: "PodIdentity-agent-token-rejected",
    title: "The Pod Identity agent refused the pod's service account token (empty, unparsable or failing its claims)",
    platform: "eks-pod-identity",
    text: [
      ["service account token cannot be empty"],
      ["service account token cannot be parsed"],
      ["service account token failed basic claim validations"],
    ],
    causes: [
      ["token_file_unreadable", 0.65],
      ["assertion_expired_or_clock", 0.4],
    ],
    docs: `${EKS_AGENT}/internal/validation/request.go`,
  },
];
