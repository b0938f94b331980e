// Capture round trip, shard 2 of 2 (see roundtrip.ts).
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { bundledScenarioDir } from "../../src/sim/scenario.js";
import { loadScenario } from "../../src/sim/scenario.js";
import { captureNotes, captureWorld, replay, roundTrip, worlds } from "./roundtrip.js";
import { SPAWNS_TIMEOUT_MS } from "../helpers/spawn.js";

describe("capture round trip", { timeout: SPAWNS_TIMEOUT_MS }, () => {
  it.each(worlds(1, 2))("%s", async (_name, file) => {
    await roundTrip(file);
  });

  it("says which role it cannot read in another account", async () => {
    const notes = await captureNotes(join(bundledScenarioDir(), "eks-podid-cross-account-healthy.yaml"));
    expect(notes.some((n) => /444455556666:role\/orders-data-reader.*cannot read.*EKS Auth assumed it/.test(n))).toBe(
      true,
    );
  });

  it("without a token exchange, says so and replays inconclusive about the cross-account chain", async () => {
    const file = join(bundledScenarioDir(), "eks-podid-cross-account-healthy.yaml");
    const r = await captureWorld(file, { allowExchange: false });
    expect(r.notes.some((n) => /orders-data-reader.*cannot read.*EKS Auth was not asked/.test(n))).toBe(true);
    expect(r.scenario.aws?.roles.some((x) => x.roleName === "orders-data-reader")).toBe(false);
    const report = await replay(loadScenario(file), r.scenario);
    expect(report.verdict).toBe("inconclusive");
    expect(report.findings.filter((f) => f.severity === "error")).toEqual([]);
    expect(report.checks.find((c) => c.id === "eks.pod-identity-target-trust")?.status).toBe("skipped");
  });
});
