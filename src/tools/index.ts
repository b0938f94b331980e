// The tool registry: one entry per file in src/tools. Read-only filtering reads the annotations.
import type { ToolDefinition } from "./define.js";
import { diagnoseWorkloadIdentity } from "./diagnose_workload_identity.js";
import { showClusterOidc } from "./show_cluster_oidc.js";
import { listFederatedCredentials } from "./list_federated_credentials.js";
import { inspectServiceAccount } from "./inspect_service_account.js";
import { inspectWorkload } from "./inspect_workload.js";
import { checkWebhook } from "./check_webhook.js";
import { inspectToken } from "./inspect_token.js";
import { testTokenExchange } from "./test_token_exchange.js";
import { checkRoleAssignments } from "./check_role_assignments.js";
import { checkKeyvaultAccess } from "./check_keyvault_access.js";
import { explainErrorTool } from "./explain_error.js";
import { inspectPodIdentity } from "./inspect_pod_identity.js";
import { planMigration } from "./plan_migration.js";
import { inspectIamRole } from "./inspect_iam_role.js";
import { auditClusterTool } from "./audit_cluster.js";
import { writeTools } from "./write-tools.js";

export const allTools: ToolDefinition[] = [
  diagnoseWorkloadIdentity,
  showClusterOidc,
  listFederatedCredentials,
  inspectServiceAccount,
  inspectWorkload,
  checkWebhook,
  inspectToken,
  testTokenExchange,
  checkRoleAssignments,
  checkKeyvaultAccess,
  explainErrorTool,
  inspectPodIdentity,
  planMigration,
  inspectIamRole,
  auditClusterTool,
  ...writeTools,
];
