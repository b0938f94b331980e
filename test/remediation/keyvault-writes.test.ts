// add_keyvault_access_policy and add_keyvault_network_rule against the simulated ARM: a dry run naming the exact
// request, the apply healing the world, the same plan again writing nothing, a plan refused once the vault changed,
// and the closed loop over the access-policy and firewall worlds.
import { describe, expect, it } from "vitest";
import type { ToolContext } from "../../src/tools/define.js";
import { writeTools } from "../../src/tools/write-tools.js";
import { closeLoop, worldPerTest } from "./closed-loop.js";

const start = worldPerTest();

async function open(name: string) {
  const { session, ctx } = await start(name);
  const vault = session.world.scenario.azure?.keyVaults.find((v) => v.name === "payments-kv");
  if (!vault) throw new Error("no payments-kv");
  return { vault, ctx };
}

async function call(name: string, args: Record<string, unknown>, ctx: ToolContext) {
  const t = writeTools.find((x) => x.name === name);
  if (!t) throw new Error(`no ${name}`);
  return (await t.handler(t.inputSchema.parse(args), ctx)) as Record<string, unknown> & {
    planId: string;
    commands: string[];
  };
}

const PRINCIPAL = "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const who = { namespace: "payments", serviceAccount: "payments-api" };
const applying = (args: Record<string, unknown>, planId: string) => ({
  ...args,
  dryRun: false,
  confirm: true,
  planId,
  verifyWithinSeconds: 5,
});

describe("add_keyvault_access_policy", () => {
  const args = { vaultName: "payments-kv", objectId: PRINCIPAL, ...who };

  it("plans accessPolicies/add, applies it, heals the world, and the same plan again changes nothing", async () => {
    const { vault, ctx } = await open("aks-keyvault-access-policy-client-id");
    const plan = await call("add_keyvault_access_policy", args, ctx);
    expect(plan).toMatchObject({
      action: "create",
      before: null,
      change: {
        api: "arm",
        method: "PUT",
        url: expect.stringMatching(/\/providers\/Microsoft\.KeyVault\/vaults\/payments-kv\/accessPolicies\/add$/),
        body: { properties: { accessPolicies: [{ objectId: PRINCIPAL, permissions: { secrets: ["get", "list"] } }] } },
      },
    });
    expect(plan.commands).toEqual([
      `az keyvault set-policy --name payments-kv --resource-group payments-rg --object-id ${PRINCIPAL} --secret-permissions get list`,
    ]);
    expect(vault.accessPolicies.some((p) => p.objectId === PRINCIPAL)).toBe(false);
    const applied = await call("add_keyvault_access_policy", applying(args, plan.planId), ctx);
    expect(applied).toMatchObject({ applied: true, verification: { status: "healthy" } });
    const again = await call("add_keyvault_access_policy", applying(args, plan.planId), ctx);
    expect(again).toMatchObject({ applied: false, action: "none" });
    expect(vault.accessPolicies.filter((p) => p.objectId === PRINCIPAL)).toHaveLength(1);
  });

  it("refuses a plan once the vault's policies changed", async () => {
    const { vault, ctx } = await open("aks-keyvault-access-policy-client-id");
    const plan = await call("add_keyvault_access_policy", args, ctx);
    vault.accessPolicies.push({ objectId: "11111111-2222-4333-8444-555555555555", permissions: { secrets: ["get"] } });
    await expect(call("add_keyvault_access_policy", applying(args, plan.planId), ctx)).rejects.toThrow(
      /no longer matches .*no write was made/,
    );
    expect(vault.accessPolicies.some((p) => p.objectId === PRINCIPAL)).toBe(false);
  });

  it("heals aks-keyvault-access-policy-client-id in the closed loop", { timeout: 180_000 }, async () => {
    const result = await closeLoop("aks-keyvault-access-policy-client-id");
    expect(result).toMatchObject({
      healed: true,
      steps: ["keyvault.access-policy-missing → add_keyvault_access_policy"],
    });
  });
});

describe("add_keyvault_network_rule", () => {
  it("plans a PATCH of networkAcls, applies it, and the same plan again changes nothing", async () => {
    const { vault, ctx } = await open("aks-keyvault-firewall");
    const before = vault.networkAcls?.virtualNetworkRules.length ?? 0;
    const subnet =
      "/subscriptions/0b1f6471-1bf0-4dda-aec3-5c1e2f3a4b6d/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/new-pool";
    const args = { vaultName: "payments-kv", subnetIds: [subnet] };
    const plan = await call("add_keyvault_network_rule", args, ctx);
    expect(plan).toMatchObject({ action: "update", change: { api: "arm", method: "PATCH" } });
    expect(plan.commands).toEqual([
      `az keyvault network-rule add --name payments-kv --resource-group payments-rg --subnet ${subnet}`,
    ]);
    const applied = await call("add_keyvault_network_rule", applying(args, plan.planId), ctx);
    expect(applied).toMatchObject({ applied: true });
    expect(vault.networkAcls?.virtualNetworkRules.map((r) => r.id)).toContain(subnet);
    const again = await call("add_keyvault_network_rule", applying(args, plan.planId), ctx);
    expect(again).toMatchObject({ applied: false, action: "none" });
    expect(vault.networkAcls?.virtualNetworkRules.length).toBe(before + 1);
  });

  it("refuses a plan once the vault's network rules changed", async () => {
    const { vault, ctx } = await open("aks-keyvault-firewall");
    const args = {
      vaultName: "payments-kv",
      subnetIds: [
        "/subscriptions/0b1f6471-1bf0-4dda-aec3-5c1e2f3a4b6d/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/a",
      ],
    };
    const plan = await call("add_keyvault_network_rule", args, ctx);
    vault.networkAcls?.ipRules.push({ value: "203.0.113.7" });
    await expect(call("add_keyvault_network_rule", applying(args, plan.planId), ctx)).rejects.toThrow(
      /no longer matches/,
    );
  });

  it("heals aks-keyvault-firewall in the closed loop", { timeout: 180_000 }, async () => {
    const result = await closeLoop("aks-keyvault-firewall");
    expect(result).toMatchObject({
      healed: true,
      steps: ["keyvault.firewall-blocks-cluster → add_keyvault_network_rule"],
    });
  });
});
