import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { listSkills } from "../src/skills.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const skillsRoot = join(root, "skills");
const coverageFile = join(root, "docs", "seed-coverage.md");

const expectedSkills = ["aad-pod-identity", "aks-workload-identity", "azure-identity-errors", "eks-irsa"];
// Front matter keys the Agent Skills format defines; anything else is a typo a client would ignore.
const allowedKeys = new Set(["name", "description", "license", "compatibility", "metadata", "allowed-tools"]);

interface Skill {
  folder: string;
  text: string;
  data: Record<string, unknown>;
  body: string;
}

function loadSkill(folder: string): Skill {
  const text = readFileSync(join(skillsRoot, folder, "SKILL.md"), "utf8");
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(text);
  if (!m) throw new Error(`${folder}/SKILL.md has no YAML front matter`);
  const data = parseYaml(m[1]) as Record<string, unknown>;
  return { folder, text, data, body: text.slice(m[0].length) };
}

const folders = readdirSync(skillsRoot).filter((d) => statSync(join(skillsRoot, d)).isDirectory());
const skills = new Map(folders.map((f) => [f, loadSkill(f)]));

/** Markdown headings outside fenced code blocks (shell comments in code blocks also start with '#'). */
function headings(body: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of body.split(/\r?\n/)) {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      continue;
    }
    const m = /^#{1,6}\s+(.+?)\s*$/.exec(line);
    if (!fenced && m) out.add(m[1]);
  }
  return out;
}

interface CoverageRow {
  line: number;
  seed: string;
  keys: string[];
  coveredIn: { skill: string; heading: string }[];
}

function splitRow(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split("|")
    .map((c) => c.trim());
}

/** Rows of every table in docs/seed-coverage.md that has "Key string" and "Covered in" columns. */
function coverageRows(text: string): CoverageRow[] {
  const lines = text.split(/\r?\n/);
  const rows: CoverageRow[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim().startsWith("|")) continue;
    const header = splitRow(lines[i]);
    const keyCol = header.indexOf("Key string");
    const coveredCol = header.indexOf("Covered in");
    const seedCol = header.indexOf("Seed");
    if (keyCol < 0 || coveredCol < 0 || seedCol < 0) continue;
    i += 2; // skip the header and the |---| separator
    for (; i < lines.length && lines[i].trim().startsWith("|"); i++) {
      const cells = splitRow(lines[i]);
      rows.push({
        line: i + 1,
        seed: cells[seedCol],
        keys: [...cells[keyCol].matchAll(/`([^`]+)`/g)].map((m) => m[1]),
        coveredIn: cells[coveredCol]
          .split(";")
          .map((s) => s.trim())
          .filter(Boolean)
          .map((s) => {
            const at = s.indexOf(" / ");
            return at < 0 ? { skill: s, heading: "" } : { skill: s.slice(0, at), heading: s.slice(at + 3) };
          }),
      });
    }
  }
  return rows;
}

describe("skills/*/SKILL.md", () => {
  it("has exactly the four platform skills", () => {
    expect([...folders].sort()).toEqual(expectedSkills);
  });

  for (const folder of expectedSkills) {
    describe(folder, () => {
      it("has front matter whose name equals the folder name", () => {
        const skill = skills.get(folder);
        expect(skill?.data.name).toBe(folder);
        expect(folder).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
        expect(folder.length).toBeLessThanOrEqual(64);
      });

      it("has a non-empty description of at most 1024 characters", () => {
        const description = skills.get(folder)?.data.description;
        expect(typeof description).toBe("string");
        const text = String(description).trim();
        expect(text.length).toBeGreaterThan(0);
        expect(text.length).toBeLessThanOrEqual(1024);
      });

      it("uses only front matter keys the format defines", () => {
        const keys = Object.keys(skills.get(folder)?.data ?? {});
        expect(keys.filter((k) => !allowedKeys.has(k))).toEqual([]);
      });

      it("has a guide body after the front matter", () => {
        const body = skills.get(folder)?.body ?? "";
        expect(body).toMatch(/^# /m);
        expect(body.length).toBeGreaterThan(2000);
      });
    });
  }

  it("is served with the same names and descriptions the front matter declares", () => {
    const served = listSkills().map((s) => ({ name: s.name, description: s.description }));
    const declared = expectedSkills.map((f) => ({
      name: String(skills.get(f)?.data.name),
      description: String(skills.get(f)?.data.description),
    }));
    expect(served).toEqual(declared);
  });
});

describe("docs/seed-coverage.md", () => {
  const rows = coverageRows(readFileSync(coverageFile, "utf8"));

  it("maps items of every seed guide", () => {
    for (const seed of ["000", "001", "002", "003", "004"]) {
      expect(rows.filter((r) => r.seed === seed).length, `rows for seed ${seed}`).toBeGreaterThanOrEqual(5);
    }
  });

  it("gives every row at least one key string and one covering section", () => {
    const incomplete = rows.filter((r) => r.keys.length === 0 || r.coveredIn.length === 0).map((r) => r.line);
    expect(incomplete).toEqual([]);
  });

  it("names only existing skills and headings", () => {
    const missing: string[] = [];
    for (const row of rows) {
      for (const { skill, heading } of row.coveredIn) {
        const s = skills.get(skill);
        if (!s) missing.push(`line ${row.line}: no skill ${skill}`);
        else if (!headings(s.body).has(heading)) missing.push(`line ${row.line}: no heading "${heading}" in ${skill}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("has every key string verbatim in a skill that the row says covers it", () => {
    const missing: string[] = [];
    for (const row of rows) {
      const texts = row.coveredIn.map((c) => skills.get(c.skill)?.text ?? "");
      for (const key of row.keys) {
        if (!texts.some((t) => t.includes(key))) missing.push(`line ${row.line}: ${key}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
