// The healthy aad-pod-identity facts raise nothing and the verdict is healthy: the base the podid tables edit.
import { describe, expect, it } from "vitest";
import { diagnosePodIdFacts } from "../../../src/diagnosis/podid/index.js";
import { healthyPodId } from "../podid-builders.js";

describe("healthy aad-pod-identity facts", () => {
  it("every check that applies runs and passes", () => {
    const report = diagnosePodIdFacts(healthyPodId());
    expect(report.findings.map((f) => `${f.id}: ${f.title}`)).toEqual([]);
    // The identity is user-assigned, so the service-principal check does not apply.
    expect(report.checks.filter((c) => c.status !== "pass").map((c) => [c.id, c.status])).toEqual([
      ["podid.service-principal-secret", "skipped"],
      ["podid.iptables-rule", "skipped"],
    ]);
    expect(report.verdict).toBe("healthy");
  });
});
