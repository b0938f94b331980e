// Alternatives are separate options, each complete: never two alternative commands printed as one sequence.
import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/gather/index.js";
import { renderReport } from "../../src/report/text.js";
import { FindingSchema } from "../../src/tools/schemas.js";
import { startSimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";

describe("a binding selector that does not match the pod label", () => {
  it("offers patching the binding or relabelling the pods as two options, and prints them as options", async () => {
    const scenario = loadScenario("podid-binding-selector-mismatch");
    const session = await startSimSession(scenario);
    try {
      const report = await diagnose(session.env, scenario.target, {
        signal: AbortSignal.timeout(20_000),
        progress: async () => undefined,
      });
      const f = report.findings.find((x) => x.id === "podid.binding-selector-mismatch");
      expect(f).toBeDefined();
      expect(() => FindingSchema.parse(f)).not.toThrow();
      // Option 1 changes the binding, the alternative changes the pods: each is one complete sequence.
      expect(f!.fix.commands).toHaveLength(1);
      expect(f!.fix.commands[0]).toMatch(/^kubectl patch azureidentitybinding /);
      expect(f!.fix.alternatives).toHaveLength(1);
      expect(f!.fix.alternatives![0].commands).toHaveLength(1);
      expect(f!.fix.alternatives![0].commands[0]).toMatch(
        /^kubectl patch (deployment|statefulset|daemonset|job|cronjob)/,
      );
      expect(f!.fix.alternatives![0].commands[0]).not.toContain("azureidentitybinding");
      const text = renderReport(report);
      expect(text).toContain("run one of them");
      const at1 = text.indexOf("Option 1:");
      const at2 = text.indexOf("Option 2:");
      expect(at1).toBeGreaterThan(-1);
      expect(at2).toBeGreaterThan(at1);
      expect(text.slice(at1, at2)).toContain("$ kubectl patch azureidentitybinding");
      expect(text.slice(at2)).toMatch(/\$ kubectl patch (deployment|statefulset|daemonset|job|cronjob)/);
    } finally {
      await session.close();
    }
  });
});
