// The healthy IRSA facts raise nothing and the verdict is healthy: the base the EKS tables edit.
import { describe, expect, it } from "vitest";
import { diagnoseEksFacts } from "../../../src/diagnosis/eks/index.js";
import { healthyIrsa, healthyPodIdentity } from "../eks-builders.js";

describe("healthy IRSA facts", () => {
  it("every check that applies passes", () => {
    const report = diagnoseEksFacts(healthyIrsa());
    expect(report.findings.map((f) => `${f.id}: ${f.title}`)).toEqual([]);
    expect(report.checks.filter((c) => c.status !== "pass" && c.status !== "skipped")).toEqual([]);
    expect(report.mechanism).toBe("IRSA");
    expect(report.verdict).toBe("healthy");
  });
});

describe("healthy Pod Identity facts", () => {
  it("every check that applies passes", () => {
    const report = diagnoseEksFacts(healthyPodIdentity());
    expect(report.findings.map((f) => `${f.id}: ${f.title}`)).toEqual([]);
    expect(report.checks.filter((c) => c.status !== "pass" && c.status !== "skipped")).toEqual([]);
    expect(report.mechanism).toBe("EKS Pod Identity");
    expect(report.verdict).toBe("healthy");
  });
});
