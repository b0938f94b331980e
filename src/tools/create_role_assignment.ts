import { z } from "zod";
import { nameRules } from "../diagnosis/command.js";
import { planRoleAssignment } from "../remediation/azure-rbac.js";
import { defineWriteTool } from "../remediation/contract.js";
import { k8sName, namespaceField } from "./schemas.js";

const ARM_SCOPE =
  /^\/subscriptions\/[0-9a-fA-F-]{36}(\/resourceGroups\/[-\w.()]{1,90}(\/providers\/[\w.]+\/[\w.]+\/[^/\s]+(\/[\w.]+\/[^/\s]+)*)?)?$/i;

export const createRoleAssignment = defineWriteTool({
  name: "create_role_assignment",
  example: {
    principalId: "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    role: "Key Vault Secrets User",
    scope:
      "/subscriptions/0b1f6471-1bf0-4dda-aec3-5c1e2f3a4b6d/resourceGroups/payments-rg/providers/Microsoft.KeyVault/vaults/payments-kv",
  },
  title: "Assign an Azure role (write)",
  description:
    "Assign an Azure RBAC role to a principal (the managed identity's or app's principal/object id, not its client id) at a scope, " +
    "as `az role assignment create` does: e.g. Key Vault Secrets User on an RBAC-mode Key Vault. The role is a role name, " +
    "resolved at the scope, or a role definition GUID. Nothing is written when the principal already holds the role at the " +
    "scope or above. Pass namespace and serviceAccount to re-diagnose that workload afterwards.",
  args: {
    principalId: z
      .string()
      .refine((v) => nameRules.guid.ok(v), { message: "expected the principal (object) id, a GUID" })
      .describe("Principal (object) id of the identity"),
    role: z
      .string()
      .min(1)
      .max(256)
      .regex(/^[^'"\\]+$/, {
        message: "expected a role name such as Key Vault Secrets User, or a role definition GUID",
      })
      .describe("Role name (e.g. Key Vault Secrets User) or role definition GUID"),
    scope: z
      .string()
      .regex(ARM_SCOPE, {
        message: "expected an ARM scope: /subscriptions/ID[/resourceGroups/RG[/providers/NS/TYPE/NAME]]",
      })
      .describe("ARM resource id of the scope, e.g. the Key Vault's id"),
    principalType: z.enum(["ServicePrincipal", "User", "Group"]).optional().describe("Default ServicePrincipal"),
    remove: z
      .boolean()
      .optional()
      .describe("Delete the principal's assignment of the role at exactly this scope instead (the undo of a create)"),
    namespace: namespaceField.optional(),
    serviceAccount: k8sName("service account").optional(),
  },
  annotations: { destructiveHint: true, idempotentHint: true },
  plan: (args, ctx) => planRoleAssignment(args as Parameters<typeof planRoleAssignment>[0], ctx),
});
