// The server lists tools from their cards and imports a tool's module on its first call (src/tools/lazy.ts).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { describe, expect, it } from "vitest";
import { createMcpServer } from "../src/mcp-server.js";
import { isWriteTool } from "../src/tools/define.js";
import { allTools } from "../src/tools/index.js";
import { importTool, lazyToolSource, registryCards, TOOL_NAME, type ToolCard } from "../src/tools/lazy.js";

async function serve(cards: readonly ToolCard[], allowWrites = false) {
  const server = createMcpServer({
    source: lazyToolSource({ allowWrites }, cards),
    environment: async () => {
      throw new Error("no world in this test");
    },
  });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "lazy-tools", version: "0.0.0" });
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  return { client, close: () => client.close() };
}

describe("tools imported on first call", () => {
  it("a tool's file is named after it, and every src/tools file with an underscore in its name is a tool", () => {
    const names = allTools.map((t) => t.name);
    for (const name of names) expect(name).toMatch(TOOL_NAME);
    const files = readdirSync("src/tools").filter((f) => f.includes("_"));
    expect(files.sort()).toEqual(names.map((n) => `${n}.ts`).sort());
  });

  it("finds every registered tool in its own module, with the same handler and schemas", async () => {
    const names = allTools.map((t) => t.name);
    for (const tool of allTools) {
      const loaded = await importTool(tool.name, names);
      expect(loaded?.handler, tool.name).toBe(tool.handler);
      expect(loaded?.inputSchema, tool.name).toBe(tool.inputSchema);
      expect(loaded?.outputSchema, tool.name).toBe(tool.outputSchema);
    }
    expect(await importTool("toString", names)).toBeUndefined();
    expect(await importTool("explain_error", ["inspect_token"])).toBeUndefined();
  });

  it("lists from the cards and calls a tool it has not imported yet; unlisted names are refused", async () => {
    const cards = await registryCards();
    const h = await serve(cards);
    try {
      const { tools } = await h.client.listTools();
      expect(tools.map((t) => t.name)).toEqual(cards.filter((c) => !isWriteTool(c)).map((c) => c.name));
      const r = await h.client.callTool({
        name: "explain_error",
        arguments: { text: "AADSTS700213: No matching federated identity record found", crossCheck: false },
      });
      expect(r.isError).toBeFalsy();
      expect((r.structuredContent as { codes: string[] }).codes).toContain("AADSTS700213");
      const write = await h.client.callTool({ name: "restart_workload", arguments: {} });
      expect(write.isError).toBe(true);
      expect((write.content as { text: string }[])[0].text).toMatch(
        /^Tool restart_workload not found; the tools are: /,
      );
      const bad = await h.client.callTool({ name: "explain_error", arguments: { text: 42 } });
      expect(bad.isError).toBe(true);
      expect((bad.content as { text: string }[])[0].text).toContain("Invalid input for explain_error: text");
    } finally {
      await h.close();
    }
  });

  it("the bundle keeps each tool in a chunk of its own, which dist/cli.js does not load at start", () => {
    const chunks = readdirSync("dist/chunks");
    for (const t of allTools)
      expect(
        chunks.filter((c) => c.startsWith(`${t.name}-`)),
        t.name,
      ).toHaveLength(1);
    // What dist/cli.js loads before running anything: its static imports, followed through the chunks.
    const loaded = new Set<string>();
    const follow = (file: string) => {
      for (const m of readFileSync(file, "utf8").matchAll(
        /^import (?:[^;]*? from )?"\.\.?\/(?:chunks\/)?([^"]+)";/gm,
      )) {
        if (loaded.has(m[1])) continue;
        loaded.add(m[1]);
        follow(`dist/chunks/${m[1]}`);
      }
    };
    follow("dist/cli.js");
    expect(loaded.size).toBeGreaterThan(0);
    for (const t of allTools)
      expect(
        [...loaded].filter((c) => c.startsWith(`${t.name}-`)),
        t.name,
      ).toEqual([]);
  });

  it("the built cards (dist/tools/manifest.json) are the registry's", async () => {
    const file = "dist/tools/manifest.json";
    expect(existsSync(file)).toBe(true);
    const built = JSON.parse(readFileSync(file, "utf8"));
    expect(built).toEqual(JSON.parse(JSON.stringify(await registryCards())));
  });
});
