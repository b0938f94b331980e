// The registries against their metadata and against docs/findings.md: each mechanism's table of checks is generated
// from the checks' metadata (`vitest -u` rewrites it; the prose around the tables is kept), every documented id
// exists, the documented severities agree, and the error-class map explain_error's confirmation uses is the one the
// checks' `confirms` generate.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FINDINGS_FOR_CLASS, registries } from "../../src/diagnosis/confirms.js";
import { FINDINGS_FOR_CLASS as errorTextMap } from "../../src/diagnosis/error-text.js";
import { errorClasses } from "../../src/diagnosis/errors/taxonomy.js";
import type { FindingsSection, Severity } from "../../src/diagnosis/types.js";

const doc = readFileSync(new URL("../../docs/findings.md", import.meta.url), "utf8");

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, "")
    .replace(/ /g, "-");

/** The `## ` sections of findings.md: anchor → the table rows (id → severity column). */
function sections(): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let rows: Map<string, string> | undefined;
  for (const line of doc.split("\n")) {
    const h = /^## (.+)$/.exec(line);
    if (h) {
      rows = new Map();
      out.set(slug(h[1]), rows);
      continue;
    }
    const row = /^\| `([a-z0-9.-]+)` \| ([^|]+) \|/.exec(line);
    if (row && rows) rows.set(row[1], row[2].trim());
  }
  return out;
}

const SECTION_OF: Record<keyof typeof registries, FindingsSection> = {
  aks: "aks-workload-identity",
  eks: "eks",
  podid: "aad-pod-identity",
};
const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

const TABLE_HEAD = "| id | severity | what it means | typical symptom |\n|---|---|---|---|\n";

/** A mechanism's table of checks in docs/findings.md, in registry (root-cause) order, from each check's `doc`. */
function checkTable(registry: (typeof registries)[keyof typeof registries]): string {
  const rows = registry.map(
    (c) => `| \`${c.id}\` | ${c.doc.severity ?? c.severity} | ${c.doc.meaning} | ${c.doc.symptom} |\n`,
  );
  return TABLE_HEAD + rows.join("");
}

/** findings.md with each mechanism's table generated now: the first checks table after its section's heading. */
function generatedDoc(): string {
  let out = doc;
  for (const [mechanism, registry] of Object.entries(registries) as [
    keyof typeof registries,
    (typeof registries)[keyof typeof registries],
  ][]) {
    const heading = [...out.matchAll(/^## (.+)$/gm)].find((m) => slug(m[1]) === SECTION_OF[mechanism]);
    if (!heading) throw new Error(`docs/findings.md has no section #${SECTION_OF[mechanism]}`);
    const start = out.indexOf(TABLE_HEAD, heading.index);
    if (start < 0) throw new Error(`#${SECTION_OF[mechanism]} has no table of checks`);
    let end = start + TABLE_HEAD.length;
    while (out.startsWith("|", end)) end = out.indexOf("\n", end) + 1;
    out = out.slice(0, start) + checkTable(registry) + out.slice(end);
  }
  return out;
}

describe("check metadata", () => {
  const docs = sections();

  it("docs/findings.md's tables of checks are generated from the checks' `doc` (`vitest -u` writes them)", async () => {
    await expect(generatedDoc()).toMatchFileSnapshot("../../docs/findings.md");
  });

  for (const [mechanism, registry] of Object.entries(registries) as [
    keyof typeof registries,
    (typeof registries)[keyof typeof registries],
  ][]) {
    it(`${mechanism}: every check has a row in docs/findings.md#${SECTION_OF[mechanism]}, with its worst severity`, () => {
      const rows = docs.get(SECTION_OF[mechanism]);
      expect(rows, `no section #${SECTION_OF[mechanism]}`).toBeDefined();
      for (const check of registry) {
        expect(check.docs, check.id).toBe(SECTION_OF[mechanism]);
        for (const text of [check.doc.meaning, check.doc.symptom, check.doc.severity ?? ""])
          expect(text, `${check.id}: a table cell is one line without a bare |`).not.toMatch(/\n|(?<!\\)\|/);
        const severity = rows!.get(check.id);
        expect(severity, `${check.id} is not documented in #${check.docs}`).toBeDefined();
        // The column's worst word ("error (warning when …)" → error) is the check's declared severity.
        const words = (severity!.match(/\b(error|warning|info)\b/g) ?? []) as Severity[];
        const worst = words.sort((a, b) => rank[a] - rank[b])[0];
        expect(worst, `${check.id}: docs say "${severity}"`).toBe(check.severity);
      }
    });

    it(`${mechanism}: every id documented in #${SECTION_OF[mechanism]} is a check of the registry`, () => {
      const ids = new Set<string>(registry.map((c) => c.id));
      const documented = [...docs.get(SECTION_OF[mechanism])!.keys()];
      expect(documented.length).toBeGreaterThan(10);
      expect(documented.filter((id) => !ids.has(id))).toEqual([]);
    });

    it(`${mechanism}: ids are unique, supersede only their own registry's ids, confirm known error classes`, () => {
      const ids = registry.map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const check of registry) {
        for (const s of check.supersedes ?? []) expect(ids, `${check.id} supersedes ${s}`).toContain(s);
        for (const c of check.confirms) expect(errorClasses, check.id).toContain(c);
      }
    });
  }

  it("the error-class map is generated from `confirms`, and holds the pairs the hand-written one held", () => {
    expect(errorTextMap).toBe(FINDINGS_FOR_CLASS);
    const pairs = (m: Record<string, readonly string[] | undefined>) =>
      Object.entries(m)
        .flatMap(([cls, ids]) => (ids ?? []).map((id) => `${cls} → ${id}`))
        .sort();
    // The map as it was written by hand before it was generated: the same confirmations, no more, no fewer.
    const before: Record<string, string[]> = JSON.parse(
      readFileSync(new URL("./findings-for-class.json", import.meta.url), "utf8"),
    );
    expect(pairs(FINDINGS_FOR_CLASS)).toEqual(pairs(before));
  });
});
