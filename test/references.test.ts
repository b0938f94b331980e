// Every tool an agent is told about (skills, prompt, instructions, README) must exist.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SERVER_INSTRUCTIONS, troubleshootPrompt } from "../src/server.js";
import { listSkills } from "../src/skills.js";
import { allTools } from "../src/tools/index.js";

const TOOL_VERBS = /\b((?:diagnose|show|list|inspect|check|test|explain|plan|apply|verify)_[a-z]+(?:_[a-z]+)*)\b/g;

function mentioned(text: string): string[] {
  return [...new Set([...text.matchAll(TOOL_VERBS)].map((m) => m[1]))];
}

describe("tool references", () => {
  const names = new Set(allTools.map((t) => t.name));
  const sources: [string, string][] = [
    ["server instructions", SERVER_INSTRUCTIONS],
    ["troubleshoot prompt", troubleshootPrompt("payments", "deployment/api", "AADSTS70021")],
    ["README.md", readFileSync("README.md", "utf8")],
    ...listSkills().map((s): [string, string] => [s.file, readFileSync(s.file, "utf8")]),
  ];
  for (const [where, text] of sources) {
    it(`${where} names only registered tools`, () => {
      const unknown = mentioned(text).filter((n) => !names.has(n));
      expect(unknown, `unknown tools in ${where}`).toEqual([]);
    });
  }
  it("the skills together mention every tool", () => {
    const all = new Set(listSkills().flatMap((s) => mentioned(readFileSync(s.file, "utf8"))));
    expect([...names].filter((n) => !all.has(n))).toEqual([]);
  });

  it("every README client snippet runs the same command as mcp.json, which the stdio test exercises", () => {
    const mcp = JSON.parse(readFileSync("mcp.json", "utf8")).servers.wiDoctor;
    const readme = readFileSync("README.md", "utf8");
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]));
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) {
      const servers = block.servers ?? block.mcpServers;
      const entry = Object.values(servers)[0] as { command: string; args: string[] };
      expect(entry.command).toBe(mcp.command);
      expect(entry.args).toEqual(mcp.args);
    }
  });
});
