// Every tool an agent is told about (skills, prompt, instructions, README) must exist.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SERVER_INSTRUCTIONS, troubleshootPrompt } from "../src/server.js";
import { listSkills } from "../src/skills.js";
import type { Toolset } from "../src/tools/define.js";
import { allTools } from "../src/tools/index.js";
import { SKILL_TOOLS_HEADING, skillToolSection } from "../src/tools/toolsets.js";

const TOOL_VERBS =
  /\b((?:diagnose|show|list|inspect|check|test|explain|plan|apply|verify|audit|set|annotate|label|restart|update|create|add)_[a-z]+(?:_[a-z]+)*)\b/g;

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
  // Each skill ends with the list of its toolset's tools, generated from the registry: a new tool needs no hand edit
  // to a skill to be named in one. Prose elsewhere in a skill may name tools too (checked above against the registry).
  const TOOLSET_OF_SKILL: Record<string, Toolset> = {
    "aks-workload-identity": "aks",
    "eks-irsa": "eks",
    "aad-pod-identity": "podid",
    "azure-identity-errors": "explain",
  };
  for (const skill of listSkills()) {
    it(`${skill.file} ends with its toolset's tools, generated from the registry (\`vitest -u\` writes it)`, async () => {
      const toolset = TOOLSET_OF_SKILL[skill.name];
      expect(toolset, `the toolset of skill ${skill.name}`).toBeDefined();
      const text = readFileSync(skill.file, "utf8");
      const at = text.indexOf(`\n${SKILL_TOOLS_HEADING}\n`);
      const prose = (at < 0 ? text : text.slice(0, at)).replace(/\n*$/, "\n");
      await expect(`${prose}\n${skillToolSection(allTools, toolset)}`).toMatchFileSnapshot(resolve(skill.file));
    });
  }

  it("the skills together mention every tool", () => {
    const all = new Set(listSkills().flatMap((s) => mentioned(readFileSync(s.file, "utf8"))));
    expect([...names].filter((n) => !all.has(n))).toEqual([]);
  });

  it("every README client snippet runs the same command as mcp.json, which the stdio test exercises", () => {
    const mcp = JSON.parse(readFileSync("mcp.json", "utf8")).servers.wiDoctor;
    const pkg = JSON.parse(readFileSync("package.json", "utf8"));
    // mcp.json runs the local build: node <repository>/dist/cli.js, then the arguments of the installed command.
    expect(mcp.command).toBe("node");
    expect(mcp.args[0]).toBe(`\${workspaceFolder}/${pkg.bin["wi-doctor"]}`);
    const readme = readFileSync("README.md", "utf8");
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]));
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    expect(blocks[0]).toEqual({ servers: { wiDoctor: mcp } });
    for (const block of blocks.slice(1)) {
      const servers = block.servers ?? block.mcpServers;
      const entry = Object.values(servers)[0] as { command: string; args: string[] };
      // The installed command (npm install -g of the packed tarball), never a package fetched by name.
      expect(entry.command).toBe("wi-doctor");
      expect(entry.args).toEqual(mcp.args.slice(1));
    }
    // npx appears only as what works once the package is published.
    const publishedAt = readme.indexOf("Once published");
    expect(publishedAt).toBeGreaterThan(-1);
    const npxAt = [...readme.matchAll(/npx/g)].map((m) => m.index);
    expect(npxAt).toHaveLength(1);
    expect(npxAt[0]).toBeGreaterThan(publishedAt);
    expect(readme.slice(publishedAt)).toMatch(
      /^Once published[^\n]*\n[^\n]*npx", "args": \["-y", "wi-doctor", "mcp"\]/,
    );
  });

  it("server.json describes the npm package named by package.json's mcpName, with the stdio server's arguments", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8"));
    const server = JSON.parse(readFileSync("server.json", "utf8"));
    const mcp = JSON.parse(readFileSync("mcp.json", "utf8")).servers.wiDoctor;
    expect(server.$schema).toBe("https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json");
    expect(server.name).toBe(pkg.mcpName);
    expect(server.name).toMatch(/^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/);
    expect(server.description.length).toBeLessThanOrEqual(100);
    expect(server.version).toBe(pkg.version);
    expect(server.packages).toEqual([
      expect.objectContaining({
        registryType: "npm",
        identifier: pkg.name,
        version: pkg.version,
        transport: { type: "stdio" },
        packageArguments: mcp.args.slice(1).map((value: string) => ({ type: "positional", value })),
      }),
    ]);
    expect(pkg.files).toContain("server.json");
  });
});
