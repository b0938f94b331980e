// The healthy aad-pod-identity facts raise nothing and the verdict is healthy: the base the podid tables edit.
import { describe, expect, it } from "vitest";
import { diagnosePodIdFacts } from "../../../src/diagnosis/podid/index.js";
import { healthyPodId } from "../podid-builders.js";

describe("healthy aad-pod-identity facts", () => {
  it("every check that applies runs and passes", () => {
    const report = diagnosePodIdFacts(healthyPodId());
    expect(report.findings.map((f) => `${f.id}: ${f.title}`)).toEqual([]);
    expect(report.checks.filter((c) => c.status !== "pass").map((c) => [c.id, c.status])).toEqual([
      ["podid.iptables-rule", "skipped"],
    ]);
    expect(report.verdict).toBe("healthy");
  });
});
