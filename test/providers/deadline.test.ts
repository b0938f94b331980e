// Deadlines must fire even when the garbage collector runs while a call hangs (it did not with AbortSignal.any).
import v8 from "node:v8";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { ProviderError, withTimeout } from "../../src/providers/errors.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

describe("withTimeout", () => {
  it("rejects a hung call with a timeout while the collector runs", async () => {
    const parent = new AbortController().signal;
    const collector = setInterval(gc, 10);
    try {
      const hung = withTimeout("hung call", 300, parent, () => new Promise<never>(() => undefined));
      await expect(hung).rejects.toMatchObject({ kind: "timeout" });
    } finally {
      clearInterval(collector);
    }
  });

  it("says cancelled when the caller aborts, and lets many calls share one caller's signal quietly", async () => {
    const caller = new AbortController();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const calls = Array.from({ length: 25 }, (_, i) =>
        withTimeout(`call ${i}`, 10_000, caller.signal, () => new Promise<never>(() => undefined)),
      );
      caller.abort();
      const results = await Promise.allSettled(calls);
      for (const r of results) {
        expect(r.status).toBe("rejected");
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ProviderError);
        expect(((r as PromiseRejectedResult).reason as ProviderError).kind).toBe("cancelled");
      }
      await new Promise((r) => setTimeout(r, 10));
      expect(warnings).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });
});
