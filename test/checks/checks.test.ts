// Every registered check, tested from facts written in code (test/checks/<mechanism>/tables*.ts), and the rule
// that keeps it so: a check in a registry without a table of valid and invalid facts fails here.
import { describe, expect, it } from "vitest";
import { registries } from "../../src/diagnosis/confirms.js";
import type { RegisteredCheck } from "../../src/diagnosis/types.js";
import { testCheck } from "./rule-tester.js";
import { NEVER_RUNS, tableParts } from "./tables.js";

for (const [mechanism, registry] of Object.entries(registries) as [
  keyof typeof registries,
  readonly RegisteredCheck<never>[],
][]) {
  const parts = tableParts[mechanism];
  const tables = Object.assign({}, ...parts) as (typeof parts)[number];

  describe(`${mechanism}: every check has a fact-level table`, () => {
    it("each registered id has valid and invalid facts (or, never runnable, skipped ones)", () => {
      const missing = registry
        .filter((c) => {
          const t = tables[c.id];
          if (!t) return true;
          return NEVER_RUNS.includes(c.id) ? !t.skipped?.length : !t.valid.length || !t.invalid.length;
        })
        .map((c) => c.id);
      expect(missing, "checks without a table of valid and invalid facts").toEqual([]);
    });

    it("each table belongs to a registered check, in one part only", () => {
      const ids = new Set<string>(registry.map((c) => c.id));
      const keys = parts.flatMap((p) => Object.keys(p));
      expect(
        keys.filter((k) => !ids.has(k)),
        "tables for unknown ids",
      ).toEqual([]);
      expect(
        keys.filter((k, i) => keys.indexOf(k) !== i),
        "ids with two tables",
      ).toEqual([]);
    });
  });

  for (const check of registry) {
    const table = tables[check.id];
    if (table) testCheck(check as RegisteredCheck<unknown>, table);
  }
}
