// A snapshot of tools/list: any change to a name, schema or annotation must be deliberate (update with `vitest -u`).
import { describe, expect, it } from "vitest";
import { connect } from "./helpers/mcp.js";

describe("tools/list", () => {
  it("matches the recorded snapshot", async () => {
    const h = await connect();
    try {
      const { tools } = await h.client.listTools();
      const shape = [...tools]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((t) => ({
          name: t.name,
          title: t.title,
          annotations: t.annotations,
          inputSchema: t.inputSchema,
          outputSchema: t.outputSchema,
        }));
      await expect(`${JSON.stringify(shape, null, 2)}\n`).toMatchFileSnapshot("__snapshots__/tools-list.json");
    } finally {
      await h.close();
    }
  });
});
