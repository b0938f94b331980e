// Every provider × every fault the simulator injects: a partial report that names what it could not read,
// never a crash, a hang or an unhandled rejection. Wall time is only bounded to detect a hang.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { faultProviders, faults, runFaultCell } from "../../src/bench/fault-matrix.js";
import { ReportSchema } from "../../src/tools/schemas.js";

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on("unhandledRejection", onUnhandled);
});
afterAll(() => {
  process.off("unhandledRejection", onUnhandled);
});

// Cells mostly wait on injected faults and deadlines: they run side by side.
describe.concurrent.each(faultProviders)("$label", ({ provider }) => {
  it.each(faults.map((f) => f.fault))(
    "%s",
    async (fault) => {
      const hang = new Promise<"hang">((r) => setTimeout(() => r("hang"), 100_000).unref());
      const cell = await Promise.race([runFaultCell(provider, fault), hang]);
      expect(cell).not.toBe("hang");
      if (cell === "hang") return;
      const report = cell.report;
      expect(ReportSchema.safeParse(report).success).toBe(true);
      expect(cell.hits).toBeGreaterThan(0);
      if (fault !== "latency") {
        // What the provider would have told is reported as not read (skipped or error, with a reason), or, when
        // the fault is itself what the cloud would meet (an issuer that serves garbage), as a failing check.
        const notRead = report.checks.filter((c) => c.status === "skipped" || c.status === "error");
        expect(notRead.length > 0 || report.verdict !== "healthy").toBe(true);
        expect(notRead.every((c) => c.detail.length > 0)).toBe(true);
      }
      expect(unhandled).toEqual([]);
    },
    120_000,
  );
});
