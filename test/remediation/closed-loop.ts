// The closed loop over the bundled broken worlds: diagnose, take the root finding's remediation, dry-run it, apply
// it with its planId, and again, until the world is healthy or the root finding carries no remediation.
import { readFileSync } from "node:fs";
import { afterAll, afterEach, expect, it } from "vitest";
import type { Finding } from "../../src/diagnosis/types.js";
import { diagnose } from "../../src/gather/index.js";
import { type SimSession, startSimSession } from "../../src/sim/environment.js";
import { listBundledScenarios, loadScenario } from "../../src/sim/scenario.js";
import type { ToolContext } from "../../src/tools/define.js";
import { writeTools } from "../../src/tools/write-tools.js";

const ROUNDS = 6;

/** One simulated world per test, closed after it: the returned `start(name)` opens it with a tool context on it. */
export function worldPerTest() {
  let session: SimSession | undefined;
  afterEach(async () => {
    await session?.close();
    session = undefined;
  });
  return async (name: string) => {
    const s = await startSimSession(loadScenario(name), { timeoutMs: 20_000 });
    session = s;
    const ctx: ToolContext = {
      env: async () => s.env,
      signal: new AbortController().signal,
      progress: async () => undefined,
    };
    return { session: s, ctx };
  };
}

/** The "Not remediable" list of docs/findings.md: finding id → reason. */
export function notRemediableDocs(): Map<string, string> {
  const text = readFileSync(new URL("../../docs/findings.md", import.meta.url), "utf8");
  const section = text.split(/^### Not remediable$/m)[1]?.split(/^#{1,3} /m)[0] ?? "";
  const out = new Map<string, string>();
  for (const line of section.split("\n").filter((l) => l.startsWith("- "))) {
    const i = line.indexOf(": ");
    if (i < 0) continue;
    const reason = line.slice(i + 2).trim();
    for (const m of line.slice(0, i).matchAll(/`([a-z0-9.-]+)`/g)) if (reason) out.set(m[1], reason);
  }
  return out;
}

async function run(tool: (typeof writeTools)[number], args: Record<string, unknown>, ctx: ToolContext) {
  return (await tool.handler(tool.inputSchema.parse(args), ctx)) as {
    planId: string;
    action: string;
    applied: boolean;
  };
}

export interface LoopResult {
  healed: boolean;
  steps: string[];
  stoppedAt?: Finding;
  /** The progress messages the applies sent while re-verifying. */
  progress: string[];
  /** When the loop stopped: each AzureIdentityBinding's spec, by namespace/name. */
  bindings?: Record<string, unknown>;
}

function bindingsOf(session: SimSession): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of session.world.scenario.kubernetes.objects as {
    kind: string;
    metadata: { namespace?: string; name: string };
    spec?: unknown;
  }[]) {
    if (o.kind === "AzureIdentityBinding") out[`${o.metadata.namespace}/${o.metadata.name}`] = o.spec;
  }
  return out;
}

export async function closeLoop(name: string): Promise<LoopResult> {
  const scenario = loadScenario(name);
  const session = await startSimSession(scenario, { timeoutMs: 20_000 });
  const progress: string[] = [];
  const ctx: ToolContext = {
    env: async () => session.env,
    signal: new AbortController().signal,
    progress: async (m) => {
      progress.push(m);
    },
  };
  const steps: string[] = [];
  // A world whose token service sees writes late: each apply re-verifies until the change holds.
  const verifyWithinSeconds = scenario.faults.propagationDelayMs ? 60 : 0;
  try {
    const { errorText: _, ...target } = scenario.target;
    for (let round = 0; round < ROUNDS; round++) {
      let report = await diagnose(session.env, target, { signal: ctx.signal, progress: ctx.progress });
      // A loaded machine can leave a read unanswered: an inconclusive report without findings is asked again once.
      if (report.verdict === "inconclusive" && !report.findings.length) {
        report = await diagnose(session.env, target, { signal: ctx.signal, progress: ctx.progress });
      }
      if (report.verdict === "healthy") return { healed: true, steps, progress };
      const root = report.findings[0];
      if (!root?.remediation) return { healed: false, steps, stoppedAt: root, progress, bindings: bindingsOf(session) };
      const tool = writeTools.find((t) => t.name === root.remediation?.tool);
      if (!tool) throw new Error(`${root.id}: no write tool ${root.remediation.tool}`);
      const plan = await run(tool, root.remediation.arguments, ctx);
      expect(plan.action, `${name}: ${root.id} planned nothing`).not.toBe("none");
      const args = {
        ...root.remediation.arguments,
        dryRun: false,
        confirm: true,
        planId: plan.planId,
        verifyWithinSeconds,
      };
      const applied = await run(tool, args, ctx);
      expect(applied.applied).toBe(true);
      if (verifyWithinSeconds) {
        // The change propagates: verification was retried, with progress, until the target was healthy.
        expect(applied).toMatchObject({ verification: { status: "healthy" } });
        expect(progress.filter((m) => m.startsWith("verifying")).length).toBeGreaterThan(1);
      }
      // The same plan again changes nothing: either nothing is left to do, or the target moved on and it is refused.
      const again = await run(tool, args, ctx).catch((e: Error) => e);
      if (again instanceof Error) expect(again.message).toMatch(/no longer matches .* no write was made/);
      else expect(again).toMatchObject({ applied: false, action: "none" });
      steps.push(`${root.id} → ${tool.name}`);
    }
    throw new Error(`${name}: not healthy after ${ROUNDS} rounds (${steps.join(", ")})`);
  } finally {
    await session.close();
  }
}

export function brokenWorlds(prefix: string): string[] {
  return listBundledScenarios()
    .map((s) => loadScenario(s.file))
    .filter((s) => s.name.startsWith(prefix) && s.expect.verdict === "broken")
    .map((s) => s.name);
}

/** One case per broken world: healed, or stopped at a finding without remediation that the docs list with a reason. */
export function closedLoopCases(prefix: string, healedAtLeast: number) {
  const documented = notRemediableDocs();
  const healed: string[] = [];
  const worlds = brokenWorlds(prefix);
  for (const name of worlds) {
    it(name, { timeout: 180_000 }, async () => {
      const result = await closeLoop(name);
      if (result.healed) {
        healed.push(name);
        return;
      }
      const id = result.stoppedAt?.id ?? "(no finding)";
      expect(documented.has(id), `${name} stops at ${id}, which docs/findings.md does not list as not remediable`).toBe(
        true,
      );
    });
  }
  afterAll(() => {
    expect(healed.length, `healed: ${healed.join(", ")}`).toBeGreaterThanOrEqual(healedAtLeast);
  });
}
