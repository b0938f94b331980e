// Every bundled scenario is valid and diagnoses to its expected findings, root cause first.
import { describe, expect, it } from "vitest";
import { runDemoIn } from "../src/demo.js";
import { diagnose } from "../src/gather/index.js";
import { startSimSession } from "../src/sim/environment.js";
import { listBundledScenarios, loadScenario, parseScenario, ScenarioError } from "../src/sim/scenario.js";
import { allTools } from "../src/tools/index.js";

const bundled = listBundledScenarios();

describe("scenario format", () => {
  it("bundles a healthy AKS and a healthy EKS world, and at least 40 scenarios", () => {
    const names = bundled.map((s) => s.name);
    expect(names).toContain("aks-healthy");
    expect(names.some((n) => n.startsWith("eks-") && n.includes("healthy"))).toBe(true);
    expect(names.length).toBeGreaterThanOrEqual(40);
  });

  it.each(bundled.map((s) => [s.name, s.file]))("%s is valid and named after its file", (name, file) => {
    const s = loadScenario(file);
    expect(s.name).toBe(name);
  });

  it("rejects unknown fields and names the path", () => {
    const base = loadScenario("aks-healthy");
    expect(() => parseScenario({ ...base, kubernetes: { ...base.kubernetes, isuer: "x" } })).toThrow(ScenarioError);
    try {
      parseScenario({ ...base, kubernetes: { ...base.kubernetes, isuer: "x" } });
    } catch (err) {
      expect((err as Error).message).toContain("kubernetes");
      expect((err as Error).message).toContain("isuer");
    }
    expect(() => parseScenario({ ...base, name: "Not Kebab" })).toThrow(/kebab-case/);
    expect(() => loadScenario("no-such-scenario")).toThrow(/no bundled scenario/);
  });
});

// Through the public entry point (what `wi-doctor demo` and the MCP tool run): platform and mechanism detection included.
// Each world is started once and also run through the demo's tool choice (runDemoIn), as `wi-doctor demo NAME` does.
describe("bundled scenarios diagnose to their expectations", { timeout: 120_000 }, () => {
  for (const { name, file } of bundled) {
    it(name, async () => {
      const scenario = loadScenario(file);
      const session = await startSimSession(scenario);
      try {
        const report = await diagnose(session.env, scenario.target, {
          signal: AbortSignal.timeout(20_000),
          progress: async () => undefined,
          errorText: scenario.target.errorText,
        });
        const ids = report.findings.filter((f) => f.severity !== "info").map((f) => f.id);
        if (scenario.expect.findings.length)
          expect(ids[0], JSON.stringify(report.findings.map((f) => f.title))).toBe(scenario.expect.findings[0]);
        expect(ids).toEqual(expect.arrayContaining(scenario.expect.findings));
        // Nothing beyond what the scenario expects: near misses must stay quiet.
        expect(ids.filter((id) => !scenario.expect.findings.includes(id))).toEqual([]);
        if (scenario.expect.verdict) expect(report.verdict).toBe(scenario.expect.verdict);
        // An error text in a broken world is confirmed by the findings that explain it.
        if (scenario.target.errorText && scenario.expect.findings.length) {
          expect(report.errorText?.confirmedBy.length, JSON.stringify(report.errorText)).toBeGreaterThan(0);
        }

        // The same world through `wi-doctor demo`'s code path (the tool it chooses, namespace-only targets included).
        // The structured result is what an MCP client would receive: it must satisfy the tool's outputSchema.
        const run = await runDemoIn(scenario, session.env, { signal: AbortSignal.timeout(60_000) });
        const tool = allTools.find((t) => t.name === run.tool)!;
        expect(() => tool.outputSchema.parse(run.output)).not.toThrow();
        expect(run.text.length).toBeGreaterThan(0);
        if (run.scenario.expect.verdict && run.tool === "diagnose_workload_identity") {
          expect(run.output.verdict).toBe(run.scenario.expect.verdict);
        }
      } finally {
        await session.close();
      }
    });
  }
});
