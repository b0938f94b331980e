// Capture round trip, shard 2 of 2 (see roundtrip.ts).
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { bundledScenarioDir } from "../../src/sim/scenario.js";
import { captureNotes, roundTrip, worlds } from "./roundtrip.js";
import { SPAWNS_TIMEOUT_MS } from "../helpers/spawn.js";

describe("capture round trip", { timeout: SPAWNS_TIMEOUT_MS }, () => {
  it.each(worlds(1, 2))("%s", async (_name, file) => {
    await roundTrip(file);
  });

  it("says which role it cannot read in another account", async () => {
    const notes = await captureNotes(join(bundledScenarioDir(), "eks-podid-cross-account-healthy.yaml"));
    expect(notes.some((n) => /444455556666:role\/orders-data-reader.*cannot read/.test(n))).toBe(true);
  });
});
