// A bundled world's diagnosis against the scenario's `expect`: its root cause first, every expected finding, nothing
// else above info, the verdict, and an error text confirmed by the findings that explain it.
import { expect } from "vitest";
import type { DiagnosisReport } from "../../src/gather/index.js";
import type { Scenario } from "../../src/sim/scenario.js";

export type DiagnosisView = Pick<DiagnosisReport, "findings" | "verdict" | "errorText">;

export function expectAsScenarioSays(scenario: Scenario, report: DiagnosisView): void {
  const ids = report.findings.filter((f) => f.severity !== "info").map((f) => f.id);
  const context = `${scenario.name}: ${JSON.stringify(report.findings.map((f) => f.title))}`;
  if (scenario.expect.findings.length) expect(ids[0], context).toBe(scenario.expect.findings[0]);
  expect(ids, context).toEqual(expect.arrayContaining(scenario.expect.findings));
  // Nothing beyond what the scenario expects: near misses must stay quiet.
  expect(
    ids.filter((id) => !scenario.expect.findings.includes(id)),
    context,
  ).toEqual([]);
  if (scenario.expect.verdict) expect(report.verdict, scenario.name).toBe(scenario.expect.verdict);
  // An error text in a broken world is confirmed by the findings that explain it.
  if (scenario.target.errorText && scenario.expect.findings.length) {
    expect(report.errorText?.confirmedBy.length, JSON.stringify(report.errorText)).toBeGreaterThan(0);
  }
}

/** Whether the target names only a namespace (the demo then runs a namespace tool, not the one-call diagnosis). */
export const namespaceOnly = (s: Scenario) => !s.target.serviceAccount && !s.target.pod && !s.target.workload;
