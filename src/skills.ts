// Skills: skills/<name>/SKILL.md in the Agent Skills format, served as MCP resources.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { packageRoot } from "./package-root.js";

// The YAML parser is loaded when a skill is first read, not when the server starts.
const parseYaml = (text: string): unknown =>
  (createRequire(import.meta.url)("yaml") as typeof import("yaml")).parse(text);

export interface SkillInfo {
  name: string;
  description: string;
  file: string;
}

export function skillsDir(): string {
  return join(packageRoot(import.meta.url), "skills");
}

/** Split YAML front matter from the Markdown body. */
export function frontMatter(text: string): { data: Record<string, unknown>; body: string } {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text);
  if (!m) return { data: {}, body: text };
  const data = parseYaml(m[1]);
  return {
    data: data && typeof data === "object" ? (data as Record<string, unknown>) : {},
    body: text.slice(m[0].length),
  };
}

let cache: SkillInfo[] | undefined;

export function listSkills(): SkillInfo[] {
  if (cache) return cache;
  const dir = skillsDir();
  if (!existsSync(dir)) return [];
  cache = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "SKILL.md")))
    .map((d) => {
      const file = join(dir, d.name, "SKILL.md");
      const { data } = frontMatter(readFileSync(file, "utf8"));
      return { name: d.name, description: String(data.description ?? ""), file };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return cache;
}

export function readSkill(name: string): string | undefined {
  const skill = listSkills().find((s) => s.name === name);
  return skill ? readFileSync(skill.file, "utf8") : undefined;
}
