// Every bundled scenario is valid and diagnoses to its expected findings, root cause first.
import { describe, expect, it } from "vitest";
import { diagnose } from "../src/gather/index.js";
import { startSimSession } from "../src/sim/environment.js";
import { runDemo } from "../src/demo.js";
import { listBundledScenarios, loadScenario, parseScenario, ScenarioError } from "../src/sim/scenario.js";
import { allTools } from "../src/tools/index.js";
import { expectAsScenarioSays, namespaceOnly } from "./helpers/expectations.js";

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

// Every world whose target names a service account, pod or workload is diagnosed through the MCP SDK Client, and
// its diagnosis checked against its expectation there (test/helpers/sdk-client-matrix.ts). A target that names
// only a namespace is diagnosed here, and run as `wi-doctor demo` runs it (a namespace tool): its structured result
// satisfies that tool's outputSchema.
describe("bundled scenarios that name only a namespace diagnose to their expectations", () => {
  it("there are some, and the SDK client matrix diagnoses every other world", () => {
    expect(bundled.map((s) => loadScenario(s.file)).filter(namespaceOnly).length).toBeGreaterThan(0);
  });

  for (const { name, file } of bundled) {
    const scenario = loadScenario(file);
    if (!namespaceOnly(scenario)) continue;
    it(name, async () => {
      const run = await runDemo(name, { signal: AbortSignal.timeout(25_000) });
      const tool = allTools.find((t) => t.name === run.tool)!;
      expect(run.tool).not.toBe("diagnose_workload_identity");
      expect(() => tool.outputSchema.parse(run.output)).not.toThrow();
      expect(run.text.length).toBeGreaterThan(0);
      const session = await startSimSession(scenario);
      try {
        const report = await diagnose(session.env, scenario.target, {
          signal: AbortSignal.timeout(20_000),
          progress: async () => undefined,
          errorText: scenario.target.errorText,
        });
        expectAsScenarioSays(scenario, report);
      } finally {
        await session.close();
      }
    });
  }
});
