// create_role_assignment against the simulated ARM: a dry run naming the exact PUT, the apply healing the RBAC-mode
// Key Vault world, the same plan again writing nothing, a plan refused once the assignments changed, a 403 naming
// the permission, and the closed loop over aks-rbac-role-missing.
import { describe, expect, it } from "vitest";
import type { ToolContext } from "../../src/tools/define.js";
import { writeTools } from "../../src/tools/write-tools.js";
import { closeLoop, worldPerTest } from "./closed-loop.js";

const start = worldPerTest();

async function open(name: string) {
  const { session, ctx } = await start(name);
  return { world: session.world, ctx };
}

const t = writeTools.find((x) => x.name === "create_role_assignment");
async function call(args: Record<string, unknown>, ctx: ToolContext) {
  if (!t) throw new Error("no create_role_assignment");
  return (await t.handler(t.inputSchema.parse(args), ctx)) as Record<string, unknown> & {
    planId: string;
    change: { url: string; body: unknown };
  };
}

const VAULT =
  "/subscriptions/0b1f6471-1bf0-4dda-aec3-5c1e2f3a4b6d/resourceGroups/payments-rg/providers/Microsoft.KeyVault/vaults/payments-kv";
const PRINCIPAL = "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const args = {
  principalId: PRINCIPAL,
  role: "Key Vault Secrets User",
  scope: VAULT,
  namespace: "payments",
  serviceAccount: "payments-api",
};
const apply = (planId: string) => ({ ...args, dryRun: false, confirm: true, planId, verifyWithinSeconds: 5 });

describe("create_role_assignment", () => {
  it("plans the ARM PUT, applies it, heals the vault access, and the same plan again changes nothing", async () => {
    const { world, ctx } = await open("aks-rbac-role-missing");
    const plan = await call(args, ctx);
    expect(plan).toMatchObject({ dryRun: true, applied: false, action: "create", before: null });
    expect(plan.change).toMatchObject({
      api: "arm",
      method: "PUT",
      body: {
        properties: {
          principalId: PRINCIPAL,
          principalType: "ServicePrincipal",
          roleDefinitionId: expect.stringMatching(/roleDefinitions\/4633458b-17de-408a-b874-0445c86b69e6$/),
        },
      },
    });
    expect(plan.change.url).toMatch(
      new RegExp(`^${VAULT}/providers/Microsoft.Authorization/roleAssignments/[0-9a-f-]{36}$`),
    );
    expect(plan.commands).toEqual([
      `az role assignment create --assignee-object-id ${PRINCIPAL} --assignee-principal-type ServicePrincipal --role 'Key Vault Secrets User' --scope ${VAULT}`,
    ]);
    expect(plan.undo).toMatchObject({ commands: [expect.stringMatching(/^az role assignment delete /)] });
    // The dry run wrote nothing.
    expect(world.scenario.azure?.roleAssignments.some((r) => r.roleDefinitionName === "Key Vault Secrets User")).toBe(
      false,
    );
    const applied = await call(apply(plan.planId), ctx);
    expect(applied).toMatchObject({ applied: true, verification: { status: "healthy" } });
    const again = await call(apply(plan.planId), ctx);
    expect(again).toMatchObject({ applied: false, action: "none" });
    expect(
      world.scenario.azure?.roleAssignments.filter(
        (r) => r.principalId === PRINCIPAL && r.roleDefinitionName === "Key Vault Secrets User",
      ),
    ).toHaveLength(1);
  });

  it("refuses a plan once the principal's assignments changed, and writes nothing", async () => {
    const { world, ctx } = await open("aks-rbac-role-missing");
    const plan = await call(args, ctx);
    world.scenario.azure?.roleAssignments.push({
      principalId: PRINCIPAL,
      roleDefinitionName: "Reader",
      scope: "/subscriptions/0b1f6471-1bf0-4dda-aec3-5c1e2f3a4b6d/resourceGroups/payments-rg",
      principalType: "ServicePrincipal",
    });
    const count = world.scenario.azure?.roleAssignments.length;
    await expect(call(apply(plan.planId), ctx)).rejects.toThrow(/no longer matches .*no write was made/);
    expect(world.scenario.azure?.roleAssignments.length).toBe(count);
  });

  it("names a role that does not exist", async () => {
    const { ctx } = await open("aks-rbac-role-missing");
    await expect(call({ ...args, role: "Key Vault Secret Reader" }, ctx)).rejects.toThrow(
      /no role definition named "Key Vault Secret Reader"/,
    );
  });

  it("rejects a scope that is not an ARM id, naming the field", async () => {
    expect(() => t?.inputSchema.parse({ ...args, scope: "payments-kv" })).toThrow(/ARM scope/);
  });

  it("heals aks-rbac-role-missing in the closed loop", { timeout: 180_000 }, async () => {
    const result = await closeLoop("aks-rbac-role-missing");
    expect(result).toMatchObject({ healed: true, steps: ["rbac.role-missing → create_role_assignment"] });
  });
});

describe("create_role_assignment remove: true", () => {
  it("deletes the assignment at exactly the scope (the undo of a create); the same plan again changes nothing", async () => {
    const { world, ctx } = await open("aks-rbac-role-missing");
    const created = await call(args, ctx);
    const done = await call({ ...apply(created.planId), verifyWithinSeconds: 0 }, ctx);
    expect(done.undo).toMatchObject({ tool: "create_role_assignment", arguments: { remove: true } });
    const count = world.scenario.azure?.roleAssignments.length ?? 0;
    const removeArgs = { principalId: PRINCIPAL, role: args.role, scope: VAULT, remove: true };
    const plan = await call(removeArgs, ctx);
    expect(plan).toMatchObject({ action: "delete", change: { method: "DELETE" }, after: null });
    expect(plan.commands).toEqual([
      `az role assignment delete --assignee ${PRINCIPAL} --role 'Key Vault Secrets User' --scope ${VAULT}`,
    ]);
    const removed = await call({ ...removeArgs, dryRun: false, confirm: true, planId: plan.planId }, ctx);
    expect(removed.applied).toBe(true);
    expect(world.scenario.azure?.roleAssignments.length).toBe(count - 1);
    const again = await call({ ...removeArgs, dryRun: false, confirm: true, planId: plan.planId }, ctx);
    expect(again).toMatchObject({ applied: false, action: "none" });
  });
});
