// Capture round trip, shard 1 of 2 (see roundtrip.ts).
import { describe, it } from "vitest";
import { roundTrip, worlds } from "./roundtrip.js";
import { SPAWNS_TIMEOUT_MS } from "../helpers/spawn.js";

describe("capture round trip", { timeout: SPAWNS_TIMEOUT_MS }, () => {
  it.each(worlds(0, 2))("%s", async (_name, file) => {
    await roundTrip(file);
  });
});
