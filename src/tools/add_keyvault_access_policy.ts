import { z } from "zod";
import { nameRules } from "../diagnosis/command.js";
import { defineWriteTool } from "../remediation/contract.js";
import { planAccessPolicy } from "../remediation/keyvault.js";
import { k8sName, namespaceField } from "./schemas.js";

export const vaultNameField = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$/, {
    message: "expected a Key Vault name (3-24 letters, digits, '-')",
  })
  .describe("Key Vault name");

export const addKeyVaultAccessPolicy = defineWriteTool({
  name: "add_keyvault_access_policy",
  example: { vaultName: "payments-kv", objectId: "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d" },
  title: "Add a Key Vault access policy (write)",
  description:
    "Grant secret permissions on an access-policy Key Vault to a principal (object) id, as `az keyvault set-policy`: ARM " +
    "vaults/accessPolicies/add merges the permissions into the object's policy. Default permissions: get, list. An RBAC-mode " +
    "vault ignores access policies: use create_role_assignment. Pass namespace and serviceAccount to re-diagnose that workload.",
  args: {
    vaultName: vaultNameField,
    objectId: z
      .string()
      .refine((v) => nameRules.guid.ok(v), { message: "expected the principal (object) id, a GUID" })
      .describe("Principal (object) id of the identity, not its client id"),
    secretPermissions: z
      .array(z.enum(["get", "list", "set", "delete", "backup", "restore", "recover", "purge", "all"]))
      .min(1)
      .optional()
      .describe("Default: get, list"),
    namespace: namespaceField.optional(),
    serviceAccount: k8sName("service account").optional(),
  },
  annotations: { destructiveHint: false, idempotentHint: true },
  plan: (args, ctx) => planAccessPolicy(args as Parameters<typeof planAccessPolicy>[0], ctx),
});
