// The migration plan's steps as writes, one at a time: every step an existing write tool can make carries its dry
// run; applied in order (each reviewed, then applied with its planId), the workload ends on workload identity.
import { afterEach, describe, expect, it } from "vitest";
import { diagnose } from "../../src/gather/index.js";
import { type SimSession, startSimSession } from "../../src/sim/environment.js";
import { type KubeObject, loadScenario } from "../../src/sim/scenario.js";
import type { ToolContext } from "../../src/tools/define.js";
import { planMigration } from "../../src/tools/plan_migration.js";
import { writeTools } from "../../src/tools/write-tools.js";

let session: SimSession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

/** podid-healthy with the orders workload on its own service account (not "default"), which the plan keeps. */
async function start() {
  const scenario = loadScenario("podid-healthy");
  const objects = scenario.kubernetes.objects as (KubeObject & { spec?: Record<string, unknown> })[];
  objects.push({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "orders-app", namespace: "orders" } });
  for (const o of objects) {
    if (o.metadata.namespace !== "orders") continue;
    const spec =
      (o.kind === "Pod" ? o.spec : (o.spec?.template as { spec?: Record<string, unknown> })?.spec) ?? undefined;
    if (spec && (o.kind === "Pod" || o.kind === "Deployment")) spec.serviceAccountName = "orders-app";
  }
  const s = await startSimSession(scenario, { timeoutMs: 20_000 });
  session = s;
  const ctx: ToolContext = { env: async () => s.env, signal: new AbortController().signal, progress: async () => {} };
  return { session: s, ctx };
}

type Step = { order: number; kind: string; remediation?: { tool: string; arguments: Record<string, unknown> } };

describe("plan_migration steps as writes", () => {
  it("applies each step that carries a remediation, in order, and the workload then uses workload identity", async () => {
    const { session, ctx } = await start();
    const plan = (await planMigration.handler(planMigration.inputSchema.parse({}), ctx)) as { steps: Step[] };
    const kinds = plan.steps.filter((s) => s.remediation).map((s) => `${s.kind} → ${s.remediation?.tool}`);
    expect(kinds, JSON.stringify(plan.steps.map((s) => s.kind))).toEqual(
      expect.arrayContaining([
        "annotate-service-account → annotate_service_account",
        "create-federated-credential → set_federated_credential",
        "switch-pod-template → label_pod_template",
        "remove-pod-identity-label → label_pod_template",
      ]),
    );
    const applied: string[] = [];
    for (const step of plan.steps) {
      const r = step.remediation;
      if (!r) continue;
      const tool = writeTools.find((t) => t.name === r.tool);
      if (!tool) throw new Error(`no write tool ${r.tool}`);
      const dry = (await tool.handler(tool.inputSchema.parse(r.arguments), ctx)) as { planId: string; action: string };
      if (dry.action === "none") continue;
      const args = { ...r.arguments, dryRun: false, confirm: true, planId: dry.planId, verifyWithinSeconds: 0 };
      const out = (await tool.handler(tool.inputSchema.parse(args), ctx)) as { applied: boolean };
      expect(out.applied, step.kind).toBe(true);
      applied.push(step.kind);
    }
    expect(applied).toContain("remove-pod-identity-label");
    const sw = plan.steps.find((s) => s.kind === "switch-pod-template")?.remediation?.arguments as {
      namespace: string;
      workload: string;
    };
    const report = await diagnose(
      session.env,
      { namespace: sw.namespace, workload: sw.workload },
      {
        signal: ctx.signal,
        progress: ctx.progress,
      },
    );
    expect(report.verdict, report.findings.map((f) => f.id).join(", ")).toBe("healthy");
  });
});
