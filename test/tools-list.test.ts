// Snapshots of tools/list, one file per tool: any change to a name, schema or annotation must be deliberate (update with `vitest -u`).
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { connect } from "./helpers/mcp.js";

/**
 * tools/list for every read-only tool: 91 KB with every nested output definition spelled out, then 42 KB, now under
 * 29 KB (output schemas name their top-level fields; descriptions say when to call a tool and what it returns).
 * The budget is the 30 KB the listing must stay under, leaving room for about two more read-only tools.
 */
const LIST_BUDGET_BYTES = 30_000;

describe("tools/list", () => {
  it("matches the recorded snapshot", async () => {
    const h = await connect({ allowWrites: true });
    try {
      const { tools: all } = await h.client.listTools();
      // One snapshot file per tool, write tools included: a change to one tool's definition shows in that tool's
      // file only; a new tool's file is written on its first run, and a removed tool's file must go with it.
      for (const t of all) {
        const shape = {
          name: t.name,
          title: t.title,
          annotations: t.annotations,
          inputSchema: t.inputSchema,
          outputSchema: t.outputSchema,
        };
        await expect(`${JSON.stringify(shape, null, 2)}\n`).toMatchFileSnapshot(`__snapshots__/tools/${t.name}.json`);
      }
      const names = all.map((t) => `${t.name}.json`);
      for (const file of readdirSync(`${import.meta.dirname}/__snapshots__/tools`)) expect(names).toContain(file);
      // What a server without --allow-writes lists.
      const tools = all.filter((t) => t.annotations?.readOnlyHint && !t.annotations.destructiveHint);
      // The whole answer stays small enough for agents that cap the size of their tool definitions.
      expect(Buffer.byteLength(JSON.stringify({ tools }))).toBeLessThan(LIST_BUDGET_BYTES);
      for (const t of tools) {
        // Output schemas name their fields; shared shapes are referenced, not repeated.
        expect(JSON.stringify(t.outputSchema).length, t.name).toBeLessThan(4_000);
      }
    } finally {
      await h.close();
    }
  });
});
