// The tools that change the world: registered only with --allow-writes (their annotations say they write).
import type { ToolDefinition, Toolset } from "./define.js";
import { annotateServiceAccount } from "./annotate_service_account.js";
import { labelPodTemplate } from "./label_pod_template.js";
import { restartWorkload } from "./restart_workload.js";
import { setFederatedCredential } from "./set_federated_credential.js";
import { updateRoleTrustPolicy } from "./update_role_trust_policy.js";
import { createPodIdentityAssociationTool } from "./create_pod_identity_association.js";
import { createRoleAssignment } from "./create_role_assignment.js";
import { addKeyVaultAccessPolicy } from "./add_keyvault_access_policy.js";
import { addKeyVaultNetworkRule } from "./add_keyvault_network_rule.js";
import { setIamOidcProvider } from "./set_iam_oidc_provider.js";
import { setSecretProviderClassClientId } from "./set_secret_provider_class_client_id.js";
import { setAzureIdentityBinding } from "./set_azure_identity_binding.js";

/** Each write tool, the toolsets that list it, and its line in the README's table. */
const WRITES: [ToolDefinition, Toolset[], string][] = [
  [
    setFederatedCredential,
    ["aks", "podid"],
    "Create, update or remove a federated credential on a managed identity or app registration (write).",
  ],
  [
    annotateServiceAccount,
    ["aks", "eks"],
    "Set or remove a service account's identity annotations: client id, tenant, role ARN, audience (write).",
  ],
  [
    labelPodTemplate,
    ["aks", "podid"],
    "Label a workload's pod template, e.g. azure.workload.identity/use or aadpodidbinding (write).",
  ],
  [
    restartWorkload,
    ["aks", "eks", "podid"],
    "Rollout-restart a workload so new pods get the webhook's injection (write).",
  ],
  [
    updateRoleTrustPolicy,
    ["eks"],
    "Replace the failing statement of an IAM role's trust policy for IRSA or Pod Identity (write).",
  ],
  [createPodIdentityAssociationTool, ["eks"], "Create an EKS Pod Identity association for a service account (write)."],
  [
    createRoleAssignment,
    ["aks", "podid"],
    "Assign an Azure role to an identity at a scope, unless it already holds it (write).",
  ],
  [addKeyVaultAccessPolicy, ["aks"], "Add a Key Vault access policy for an identity (write)."],
  [addKeyVaultNetworkRule, ["aks"], "Admit the cluster's subnets through a Key Vault firewall (write)."],
  [setIamOidcProvider, ["eks"], "Create the cluster's IAM OIDC provider, or add the audience it lacks (write)."],
  [
    setSecretProviderClassClientId,
    ["aks"],
    "Set a SecretProviderClass's clientID to the service account's identity (write).",
  ],
  [
    setAzureIdentityBinding,
    ["podid"],
    "Set an AzureIdentityBinding's selector or identity, renaming pre-1.6 field spellings (write).",
  ],
];

export const writeTools: ToolDefinition[] = WRITES.map(([tool, toolsets, summary]) => ({ ...tool, toolsets, summary }));
