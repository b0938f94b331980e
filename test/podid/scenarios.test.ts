// Every bundled aad-pod-identity scenario diagnoses to its expected findings, root cause first.
import { describe, expect, it } from "vitest";
import { diagnosePodIdentity } from "../../src/gather/podid.js";
import { startSimSession } from "../../src/sim/environment.js";
import { listBundledScenarios, loadScenario } from "../../src/sim/scenario.js";

const bundled = listBundledScenarios().filter((s) => s.name.startsWith("podid-"));

const PODID_IDS = [
  "podid.identity-resource-id-invalid",
  "podid.binding-identity-not-found",
  "podid.binding-selector-mismatch",
  "podid.label-missing",
  "podid.assigned-identity-missing",
  "podid.finalizer-stuck",
  "podid.mic-unhealthy",
  "podid.nmi-unhealthy",
  "podid.linked-authorization-failed",
  "podid.identity-not-on-vmss",
  "podid.egress-blocked",
  "podid.client-id-mismatch",
  "podid.namespaced-binding-ignored",
  "podid.service-principal-secret",
  "podid.kubenet-not-allowed",
  "podid.mic-authorization-failed",
];

describe("bundled aad-pod-identity scenarios", () => {
  it("trigger every podid finding somewhere, and include healthy near misses", () => {
    const expected = new Set(bundled.flatMap((s) => loadScenario(s.file).expect.findings));
    for (const id of PODID_IDS) expect(expected, id).toContain(id);
    const healthy = bundled.filter((s) => loadScenario(s.file).expect.verdict === "healthy");
    expect(healthy.length).toBeGreaterThanOrEqual(3);
  });

  for (const { name, file } of bundled) {
    it(`${name} diagnoses to its expectation`, async () => {
      const scenario = loadScenario(file);
      const session = await startSimSession(scenario);
      try {
        const report = await diagnosePodIdentity(session.env, scenario.target, {
          signal: AbortSignal.timeout(20_000),
          progress: async () => undefined,
          errorText: scenario.target.errorText,
        });
        const ids = report.findings.filter((f) => f.severity !== "info").map((f) => f.id);
        const why = JSON.stringify(
          {
            findings: report.findings.map((f) => `${f.id}: ${f.title}`),
            checks: report.checks.filter((c) => c.status !== "pass"),
          },
          null,
          1,
        );
        expect([...new Set(ids)], why).toEqual(scenario.expect.findings);
        if (scenario.expect.verdict) expect(report.verdict, why).toBe(scenario.expect.verdict);
        // Nothing errored: every provider call the diagnosis made got an answer.
        expect(
          report.checks.filter((c) => c.status === "error"),
          why,
        ).toEqual([]);
      } finally {
        await session.close();
      }
    });
  }
});
