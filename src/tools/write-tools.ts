// The tools that change the world: registered only with --allow-writes (their annotations say they write).
import type { ToolDefinition } from "./define.js";
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

export const writeTools: ToolDefinition[] = [
  setFederatedCredential,
  annotateServiceAccount,
  labelPodTemplate,
  restartWorkload,
  updateRoleTrustPolicy,
  createPodIdentityAssociationTool,
  createRoleAssignment,
  addKeyVaultAccessPolicy,
  addKeyVaultNetworkRule,
  setIamOidcProvider,
  setSecretProviderClassClientId,
];
