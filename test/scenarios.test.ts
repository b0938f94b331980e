// Every bundled scenario is valid and diagnoses to its expected findings, root cause first.
import { describe, expect, it } from "vitest";
import { diagnose } from "../src/gather/index.js";
import { startSimSession } from "../src/sim/environment.js";
import { listBundledScenarios, loadScenario, parseScenario, ScenarioError } from "../src/sim/scenario.js";

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
describe("bundled scenarios diagnose to their expectations", () => {
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
      } finally {
        await session.close();
      }
    });
  }
});
