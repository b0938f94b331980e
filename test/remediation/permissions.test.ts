// Before writing, the operator's permissions are asked: ARM's effective permissions at the scope (actions minus
// notActions, wildcards), IAM's policy simulation for the action on the resource. The dry run says which
// permission is missing, the apply is refused without a write, and the simulated clouds refuse the write itself.
import { afterEach, describe, expect, it } from "vitest";
import { armActionPermitted, simulationSource } from "../../src/remediation/permissions.js";
import { updateAssumeRolePolicy } from "../../src/providers/writes/aws.js";
import { type SimSession, startSimSession } from "../../src/sim/environment.js";
import { loadScenario, type Scenario } from "../../src/sim/scenario.js";
import type { ToolContext } from "../../src/tools/define.js";
import { writeTools } from "../../src/tools/write-tools.js";

let session: SimSession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

async function open(name: string, change: (s: Scenario) => void) {
  const scenario = loadScenario(name);
  change(scenario);
  const s = await startSimSession(scenario, { timeoutMs: 20_000 });
  session = s;
  const ctx: ToolContext = { env: async () => s.env, signal: new AbortController().signal, progress: async () => {} };
  return { s, ctx };
}

async function call(name: string, args: Record<string, unknown>, ctx: ToolContext) {
  const t = writeTools.find((x) => x.name === name);
  if (!t) throw new Error(`no tool ${name}`);
  return (await t.handler(t.inputSchema.parse(args), ctx)) as Record<string, unknown> & {
    planId: string;
    permissionCheck?: { allowed: boolean; detail?: string };
  };
}

// Contributor's permissions: everything except Microsoft.Authorization writes and deletes.
const CONTRIBUTOR = [
  {
    actions: ["*"],
    notActions: [
      "Microsoft.Authorization/*/Delete",
      "Microsoft.Authorization/*/Write",
      "Microsoft.Authorization/elevateAccess/Action",
    ],
  },
];

describe("ARM permissions", () => {
  it("evaluates actions minus notActions with wildcards, case-insensitively", () => {
    expect(armActionPermitted(CONTRIBUTOR, "Microsoft.Authorization/roleAssignments/write")).toBe(false);
    expect(armActionPermitted(CONTRIBUTOR, "Microsoft.KeyVault/vaults/write")).toBe(true);
    const reader = [{ actions: ["*/read"] }];
    expect(armActionPermitted(reader, "Microsoft.KeyVault/vaults/read")).toBe(true);
    expect(armActionPermitted(reader, "Microsoft.KeyVault/vaults/write")).toBe(false);
    // A second role grants what the first one's notActions exclude.
    const uaa = [...CONTRIBUTOR, { actions: ["Microsoft.Authorization/*"] }];
    expect(armActionPermitted(uaa, "Microsoft.Authorization/roleAssignments/write")).toBe(true);
  });

  it("a Contributor may not assign roles: the dry run names the missing action, the apply writes nothing", async () => {
    const { s, ctx } = await open("aks-rbac-role-missing", (sc) => {
      if (sc.azure) sc.azure.operatorPermissions = CONTRIBUTOR;
    });
    const args = {
      principalId: "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
      role: "Key Vault Secrets User",
      scope:
        "/subscriptions/0b1f6471-1bf0-4dda-aec3-5c1e2f3a4b6d/resourceGroups/payments-rg/providers/Microsoft.KeyVault/vaults/payments-kv",
    };
    const plan = await call("create_role_assignment", args, ctx);
    expect(plan.permissionCheck).toMatchObject({ allowed: false });
    expect(plan.permissionCheck?.detail).toMatch(
      /missing Microsoft\.Authorization\/roleAssignments\/write at \/subscriptions\//,
    );
    expect(plan.next).toMatch(/may not make this write/);
    const before = s.world.scenario.azure?.roleAssignments.length;
    await expect(
      call("create_role_assignment", { ...args, dryRun: false, confirm: true, planId: plan.planId }, ctx),
    ).rejects.toThrow(/may not write .* needs Microsoft\.Authorization\/roleAssignments\/write/);
    expect(s.world.scenario.azure?.roleAssignments.length).toBe(before);
    // The same Contributor may write a federated credential.
    const fic = await call(
      "set_federated_credential",
      {
        namespace: "payments",
        serviceAccount: "payments-api",
        name: "other",
        subject: "system:serviceaccount:payments:other",
      },
      ctx,
    );
    expect(fic.permissionCheck).toEqual({ allowed: true });
  });
});

describe("IAM policy simulation", () => {
  it("maps an assumed-role session to its role, and cannot simulate the account root", () => {
    expect(simulationSource("arn:aws:sts::111122223333:assumed-role/Admin/jane")).toBe(
      "arn:aws:iam::111122223333:role/Admin",
    );
    expect(simulationSource("arn:aws:iam::111122223333:root")).toBeUndefined();
    expect(simulationSource("arn:aws:iam::111122223333:user/ops")).toBe("arn:aws:iam::111122223333:user/ops");
  });

  it("a denied iam:UpdateAssumeRolePolicy is named in the plan, refused at apply, and refused by IAM itself", async () => {
    const { s, ctx } = await open("eks-trust-subject-mismatch", (sc) => {
      if (sc.aws) sc.aws.operatorDeniedActions = ["iam:UpdateAssume*"];
    });
    const args = { namespace: "orders", serviceAccount: "orders-api" };
    const plan = await call("update_role_trust_policy", args, ctx);
    expect(plan.permissionCheck).toMatchObject({ allowed: false });
    expect(plan.permissionCheck?.detail).toMatch(
      /missing iam:UpdateAssumeRolePolicy on arn:aws:iam::\d{12}:role\/\S+ \(implicitDeny\)/,
    );
    const role = s.world.scenario.aws?.roles[0];
    const before = JSON.stringify(role?.assumeRolePolicyDocument);
    await expect(
      call("update_role_trust_policy", { ...args, dryRun: false, confirm: true, planId: plan.planId }, ctx),
    ).rejects.toThrow(/may not write .* needs iam:UpdateAssumeRolePolicy/);
    await expect(
      updateAssumeRolePolicy(s.env, role?.roleName ?? "", { Version: "2012-10-17", Statement: [] }, ctx.signal),
    ).rejects.toMatchObject({
      kind: "forbidden",
      message: expect.stringMatching(/AccessDenied: User: .* is not authorized to perform: iam:UpdateAssumeRolePolicy/),
    });
    expect(JSON.stringify(role?.assumeRolePolicyDocument)).toBe(before);
  });
});
