// ESLint RuleTester-style tables for checks: `valid` facts raise nothing; `invalid` facts raise exactly the
// listed finding ids, each with the evidence given (a subset match), and never above the check's severity.
import { describe, expect, it } from "vitest";
import type { Finding, RegisteredCheck, Severity } from "../../src/diagnosis/types.js";

export interface Invalid<F> {
  name: string;
  facts: F;
  /** The findings, in order: their id (always the check's) and the evidence that must be there. */
  findings: { severity?: Severity; evidence?: Record<string, unknown>; title?: RegExp }[];
}

export interface Table<F> {
  valid: { name: string; facts: F }[];
  invalid: Invalid<F>[];
  /** Facts the check cannot judge: it reports itself skipped with a reason matching this. */
  skipped?: { name: string; facts: F; reason: RegExp }[];
}

const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

function runOrThrow<F>(check: RegisteredCheck<F>, facts: F): Finding[] {
  const why = check.skippedBecause?.(facts);
  if (why) throw new Error(`${check.id} was skipped: ${why}`);
  return check.run(facts);
}

export function testCheck<F>(check: RegisteredCheck<F>, table: Table<F>): void {
  describe(check.id, () => {
    expect(table.valid.length + table.invalid.length + (table.skipped?.length ?? 0)).toBeGreaterThan(0);
    for (const v of table.valid) {
      it(`valid: ${v.name}`, () => {
        expect(runOrThrow(check, v.facts)).toEqual([]);
      });
    }
    for (const c of table.invalid) {
      it(`invalid: ${c.name}`, () => {
        const found = runOrThrow(check, c.facts);
        expect(found.map((f) => f.id)).toEqual(c.findings.map(() => check.id));
        c.findings.forEach((want, i) => {
          const got = found[i];
          expect(rank[got.severity]).toBeGreaterThanOrEqual(rank[check.severity]);
          if (want.severity) expect(got.severity).toBe(want.severity);
          if (want.evidence) expect(got.evidence).toMatchObject(want.evidence);
          if (want.title) expect(got.title).toMatch(want.title);
          // Every fix says what to do; every command is a non-empty string.
          expect(got.fix.summary.length).toBeGreaterThan(0);
          for (const cmd of got.fix.commands) expect(cmd.trim().length).toBeGreaterThan(0);
        });
      });
    }
    for (const s of table.skipped ?? []) {
      it(`skipped: ${s.name}`, () => {
        expect(check.skippedBecause?.(s.facts)).toMatch(s.reason);
      });
    }
  });
}
