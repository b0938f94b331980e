// set_secret_provider_class_client_id against the simulated API server: a dry run naming the merge patch, the apply,
// the same plan again writing nothing, a plan refused once the object changed, and the closed loop over the
// SecretProviderClass worlds.
import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/gather/index.js";
import type { ToolContext } from "../../src/tools/define.js";
import { writeTools } from "../../src/tools/write-tools.js";
import { closeLoop, worldPerTest } from "./closed-loop.js";

const start = worldPerTest();

const t = writeTools.find((x) => x.name === "set_secret_provider_class_client_id");
async function call(args: Record<string, unknown>, ctx: ToolContext) {
  if (!t) throw new Error("no set_secret_provider_class_client_id");
  return (await t.handler(t.inputSchema.parse(args), ctx)) as Record<string, unknown> & {
    planId: string;
    commands: string[];
  };
}

async function open(name: string) {
  return (await start(name)).ctx;
}

const CLIENT = "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f";
const applying = (args: Record<string, unknown>, planId: string) => ({
  ...args,
  dryRun: false,
  confirm: true,
  planId,
  verifyWithinSeconds: 0,
});

describe("set_secret_provider_class_client_id", () => {
  it("patches parameters.clientID once; the same plan again changes nothing; a changed object refuses", async () => {
    const ctx = await open("aks-spc-client-id-mismatch");
    const report = await diagnose(
      await ctx.env(),
      { namespace: "payments", serviceAccount: "payments-api" },
      {
        signal: ctx.signal,
        progress: async () => undefined,
      },
    );
    const finding = report.findings.find((f) => f.id === "spc.client-id-mismatch");
    expect(finding?.remediation?.tool).toBe("set_secret_provider_class_client_id");
    const args = finding?.remediation?.arguments as Record<string, unknown>;
    const plan = await call(args, ctx);
    expect(plan).toMatchObject({
      action: "update",
      change: { api: "kubernetes", body: { spec: { parameters: { clientID: CLIENT } } } },
      after: { clientID: CLIENT },
    });
    expect(plan.commands[0]).toMatch(
      /^kubectl patch secretproviderclass \S+ -n payments --type merge -p '\{"spec":\{"parameters":\{"clientID":"3f2c9a8e/,
    );
    expect(await call(applying(args, plan.planId), ctx)).toMatchObject({ applied: true });
    expect(await call(applying(args, plan.planId), ctx)).toMatchObject({ applied: false, action: "none" });
    // A plan made before another write changed the object is refused.
    const first = { ...args, clientID: "11111111-2222-4333-8444-555555555555" };
    const second = { ...args, clientID: "22222222-2222-4333-8444-555555555555" };
    const stale = await call(first, ctx);
    const other = await call(second, ctx);
    expect(await call(applying(second, other.planId), ctx)).toMatchObject({ applied: true });
    await expect(call(applying(first, stale.planId), ctx)).rejects.toThrow(/no longer matches .*no write was made/);
  });

  it.each(["aks-spc-client-id-mismatch", "aks-spc-client-id-empty"])(
    "heals %s in the closed loop",
    { timeout: 180_000 },
    async (name) => {
      const result = await closeLoop(name);
      expect(result.steps[0]).toBe("spc.client-id-mismatch → set_secret_provider_class_client_id");
      expect(result.healed, result.steps.join(", ")).toBe(true);
    },
  );
});
