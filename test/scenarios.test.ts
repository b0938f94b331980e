// Every bundled scenario is valid and diagnoses to its expected findings, root cause first, as `wi-doctor demo` runs it.
import { describe, expect, it } from "vitest";
import { diagnose } from "../src/gather/index.js";
import { startSimSession } from "../src/sim/environment.js";
import { runDemo } from "../src/demo.js";
import type { DiagnosisReport } from "../src/gather/index.js";
import {
  listBundledScenarios,
  loadScenario,
  parseScenario,
  type Scenario,
  ScenarioError,
} from "../src/sim/scenario.js";
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

// Through the public entry point, as `wi-doctor demo` runs each world (the tool that fits its target, platform and
// mechanism detection included): the structured result satisfies the tool's outputSchema, and the diagnosis
// matches the scenario's expectation. One run per world serves both (test/demo.test.ts covers the CLI's demo).
describe("bundled scenarios diagnose to their expectations", () => {
  for (const { name, file } of bundled) {
    it(name, async () => {
      const scenario = loadScenario(file);
      const run = await runDemo(name, { signal: AbortSignal.timeout(25_000) });
      const tool = allTools.find((t) => t.name === run.tool)!;
      // The structured result is what an MCP client would receive: it must satisfy the tool's outputSchema.
      expect(() => tool.outputSchema.parse(run.output)).not.toThrow();
      expect(run.text.length).toBeGreaterThan(0);
      // A target naming only a namespace runs a namespace tool in the demo; its diagnosis is read directly.
      const report = (
        run.tool === "diagnose_workload_identity" ? run.output : await diagnoseDirectly(scenario)
      ) as Pick<DiagnosisReport, "findings" | "verdict" | "errorText">;
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
    });
  }
});

async function diagnoseDirectly(scenario: Scenario): Promise<DiagnosisReport> {
  const session = await startSimSession(scenario);
  try {
    return await diagnose(session.env, scenario.target, {
      signal: AbortSignal.timeout(20_000),
      progress: async () => undefined,
      errorText: scenario.target.errorText,
    });
  } finally {
    await session.close();
  }
}
