// docs/errors.md is the catalogue and taxonomy as the code has them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { catalogue } from "../../src/diagnosis/errors/catalogue.js";
import { renderErrorsDoc } from "../../src/diagnosis/errors/docs.js";
import { classInfo, errorClasses } from "../../src/diagnosis/errors/taxonomy.js";

const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "errors.md"), "utf8");

describe("docs/errors.md", () => {
  it("is exactly what the catalogue renders (re-render it after changing the catalogue)", () => {
    expect(doc).toBe(renderErrorsDoc());
  });

  it("documents every class and every catalogue row with its source", () => {
    for (const c of errorClasses) expect(doc).toContain(`### \`${c}\``);
    for (const e of catalogue) {
      expect(doc).toContain(`| \`${e.code}\` |`);
      expect(e.docs).toMatch(/^https:\/\//);
      expect(doc).toContain(e.docs);
    }
  });

  it("gives a written reason for every class beyond the fixed list", () => {
    const fixed = 32;
    for (const c of errorClasses.slice(fixed - 1, -1)) expect(classInfo[c].addedBecause, c).toBeTruthy();
    expect(new Set(catalogue.map((e) => e.code)).size).toBe(catalogue.length);
  });
});
