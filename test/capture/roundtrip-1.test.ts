// Capture round trip, shard 2 of 2 (see roundtrip.ts).
import { describe, it } from "vitest";
import { roundTrip, worlds } from "./roundtrip.js";

describe("capture round trip", { timeout: 120_000 }, () => {
  it.each(worlds(1, 2))("%s", async (_name, file) => {
    await roundTrip(file);
  });
});
