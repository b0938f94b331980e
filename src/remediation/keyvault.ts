// Plans for Key Vault writes: an access policy added for the identity's principal (ARM PUT
// vaults/{name}/accessPolicies/add, as `az keyvault set-policy`) and the cluster's subnets admitted by the vault's
// firewall (ARM PATCH of the vault's properties.networkAcls, as `az keyvault network-rule add`).
import { cmd } from "../diagnosis/command.js";
import type { KeyVaultInfo } from "../providers/azure.js";
import { ProviderError } from "../providers/errors.js";
import { azureProvider, writeKeyVault } from "../providers/writes/azure.js";
import { contentVersion, type PlanContext, type WritePlan } from "./contract.js";
import { armMayWrite } from "./permissions.js";

interface VerifyArgs {
  namespace?: string;
  serviceAccount?: string;
}

const lower = (s: string) => s.toLowerCase();

async function vaultNamed(name: string, ctx: PlanContext): Promise<KeyVaultInfo> {
  const vault = await azureProvider(ctx.env).findKeyVault(name, ctx.signal);
  if (!vault) throw new ProviderError("not-found", `no Key Vault named ${name} in the subscriptions searched`, 404);
  return vault;
}

function verifyOf(args: VerifyArgs, fixes: string[]): Pick<WritePlan, "verify"> {
  return args.namespace && args.serviceAccount
    ? { verify: { target: { namespace: args.namespace, serviceAccount: args.serviceAccount }, fixes } }
    : {};
}

export interface AccessPolicyArgs extends VerifyArgs {
  vaultName: string;
  objectId: string;
  secretPermissions?: string[];
}

export async function planAccessPolicy(args: AccessPolicyArgs, ctx: PlanContext): Promise<WritePlan> {
  const vault = await vaultNamed(args.vaultName, ctx);
  const wanted = (args.secretPermissions ?? ["get", "list"]).map(lower);
  const existing = vault.accessPolicies.find((p) => lower(p.objectId) === lower(args.objectId));
  const have = (existing?.permissions.secrets ?? []).map(lower);
  const missing = wanted.filter((p) => !have.includes(p) && !have.includes("all"));
  const tenantId = vault.tenantId ?? "";
  const url = `${vault.id}/accessPolicies/add`;
  const policy = { tenantId, objectId: args.objectId, permissions: { secrets: missing } };
  const where = cmd`--name ${vault.name} --resource-group ${vault.resourceGroup ?? ""}`;
  const before = existing ? { objectId: existing.objectId, secrets: existing.permissions.secrets ?? [] } : null;
  const after = { objectId: args.objectId, secrets: [...(existing?.permissions.secrets ?? []), ...missing] };
  return {
    target: url,
    action: missing.length ? (existing ? "update" : "create") : "none",
    summary: missing.length
      ? `grant secret permissions ${missing.join(", ")} on Key Vault ${vault.name} to object ${args.objectId}`
      : `keep: object ${args.objectId} already has secret permissions ${wanted.join(", ")} on Key Vault ${vault.name}`,
    // Access policies carry no ETag: the version is a hash of the vault's policies.
    version: contentVersion(vault.accessPolicies),
    change: { api: "arm", method: "PUT", url, body: { properties: { accessPolicies: [policy] } } },
    before,
    after,
    commands: missing.length
      ? [
          `az keyvault set-policy ${where} ${cmd`--object-id ${args.objectId}`} --secret-permissions ${after.secrets.map((p) => cmd`${p}`).join(" ")}`,
        ]
      : [],
    undo: existing
      ? {
          commands: [
            `az keyvault set-policy ${where} ${cmd`--object-id ${args.objectId}`} --secret-permissions ${(existing.permissions.secrets ?? []).map((p) => cmd`${p}`).join(" ")}`,
          ],
        }
      : { commands: [`az keyvault delete-policy ${where} ${cmd`--object-id ${args.objectId}`}`] },
    permission: `Microsoft.KeyVault/vaults/accessPolicies/write on ${vault.id} (e.g. Key Vault Contributor)`,
    mayWrite: (signal) =>
      armMayWrite(azureProvider(ctx.env), vault.id, "Microsoft.KeyVault/vaults/accessPolicies/write", signal),
    apply: (signal) =>
      writeKeyVault(azureProvider(ctx.env), url, "PUT", { properties: { accessPolicies: [policy] } }, signal),
    ...verifyOf(args, ["keyvault.access-policy-missing"]),
  };
}

export interface NetworkRuleArgs extends VerifyArgs {
  vaultName: string;
  subnetIds: string[];
}

export async function planNetworkRule(args: NetworkRuleArgs, ctx: PlanContext): Promise<WritePlan> {
  const vault = await vaultNamed(args.vaultName, ctx);
  if (vault.publicNetworkAccess === "Disabled") {
    throw new ProviderError(
      "not-found",
      `Key Vault ${vault.name} has public network access disabled: network rules do not apply; reach it through a private endpoint`,
    );
  }
  const acls = vault.networkAcls ?? {
    defaultAction: "Allow",
    bypass: "AzureServices",
    virtualNetworkRules: [],
    ipRules: [],
  };
  const allowed = acls.virtualNetworkRules.map((r) => lower(r.id));
  const adding = args.subnetIds.filter((s, i) => !allowed.includes(lower(s)) && args.subnetIds.indexOf(s) === i);
  const next = { ...acls, virtualNetworkRules: [...acls.virtualNetworkRules, ...adding.map((id) => ({ id }))] };
  const where = cmd`--name ${vault.name} --resource-group ${vault.resourceGroup ?? ""}`;
  return {
    target: vault.id,
    action: adding.length ? "update" : "none",
    summary: adding.length
      ? `admit subnet${adding.length > 1 ? "s" : ""} ${adding.join(", ")} through the firewall of Key Vault ${vault.name}`
      : `keep: Key Vault ${vault.name} already admits ${args.subnetIds.join(", ")}`,
    version: contentVersion(acls),
    change: { api: "arm", method: "PATCH", url: vault.id, body: { properties: { networkAcls: next } } },
    before: acls,
    after: next,
    commands: adding.map((s) => `az keyvault network-rule add ${where} ${cmd`--subnet ${s}`}`),
    undo: {
      commands: adding.map((s) => `az keyvault network-rule remove ${where} ${cmd`--subnet ${s}`}`),
      note: "the subnet needs the Microsoft.KeyVault service endpoint for the rule to take effect",
    },
    permission: `Microsoft.KeyVault/vaults/write on ${vault.id} (e.g. Key Vault Contributor)`,
    mayWrite: (signal) => armMayWrite(azureProvider(ctx.env), vault.id, "Microsoft.KeyVault/vaults/write", signal),
    apply: (signal) =>
      writeKeyVault(azureProvider(ctx.env), vault.id, "PATCH", { properties: { networkAcls: next } }, signal),
    ...verifyOf(args, ["keyvault.firewall-blocks-cluster"]),
  };
}
