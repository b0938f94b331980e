import { z } from "zod";
import { defineWriteTool } from "../remediation/contract.js";
import { planNetworkRule } from "../remediation/keyvault.js";
import { vaultNameField } from "./add_keyvault_access_policy.js";
import { k8sName, namespaceField } from "./schemas.js";

const SUBNET =
  /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.Network\/virtualNetworks\/[-\w.]{1,80}\/subnets\/[-\w.]{1,80}$/i;

export const addKeyVaultNetworkRule = defineWriteTool({
  name: "add_keyvault_network_rule",
  example: {
    vaultName: "payments-kv",
    subnetIds: [
      "/subscriptions/0b1f6471-1bf0-4dda-aec3-5c1e2f3a4b6d/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pool",
    ],
  },
  title: "Admit subnets through a Key Vault firewall (write)",
  description:
    "Add virtual network rules for the given subnets (the cluster's node pool subnets) to a Key Vault whose firewall denies by " +
    "default, as `az keyvault network-rule add`: ARM PATCH of the vault's networkAcls. The subnets need the Microsoft.KeyVault " +
    "service endpoint. Refused for a vault with public network access disabled (that needs a private endpoint).",
  args: {
    vaultName: vaultNameField,
    subnetIds: z
      .array(
        z.string().regex(SUBNET, { message: "expected a subnet resource id (…/virtualNetworks/VNET/subnets/NAME)" }),
      )
      .min(1)
      .max(20)
      .describe("Subnet resource ids to admit"),
    namespace: namespaceField.optional(),
    serviceAccount: k8sName("service account").optional(),
  },
  annotations: { destructiveHint: false, idempotentHint: true },
  plan: (args, ctx) => planNetworkRule(args as Parameters<typeof planNetworkRule>[0], ctx),
});
