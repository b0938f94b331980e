import { describe, expect, it } from "vitest";
import { z } from "zod";
import { SERVER_INSTRUCTIONS, toolsFor } from "../src/server.js";
import { defineTool, isWriteTool } from "../src/tools/define.js";
import { allTools } from "../src/tools/index.js";
import { connect } from "./helpers/mcp.js";

describe("MCP server (in memory)", () => {
  it("registers every read-only tool with all four annotations and both schemas", async () => {
    const h = await connect();
    try {
      const { tools } = await h.client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(
        toolsFor({})
          .map((t) => t.name)
          .sort(),
      );
      for (const t of tools) {
        expect(t.name).toMatch(/^[a-z]+(_[a-z]+)+$/);
        expect(t.title, t.name).toBeTruthy();
        expect(t.description?.length, t.name).toBeGreaterThan(80);
        expect(t.inputSchema.type).toBe("object");
        expect(t.outputSchema?.type, t.name).toBe("object");
        for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
          expect(typeof t.annotations?.[hint], `${t.name}.${hint}`).toBe("boolean");
        }
      }
    } finally {
      await h.close();
    }
  });

  it("serves the four skills as resources and points to them in its instructions", async () => {
    const h = await connect();
    try {
      const { resources } = await h.client.listResources();
      const skills = resources.filter((r) => r.uri.startsWith("skill://"));
      expect(skills.map((r) => r.uri).sort()).toEqual([
        "skill://aad-pod-identity/SKILL.md",
        "skill://aks-workload-identity/SKILL.md",
        "skill://azure-identity-errors/SKILL.md",
        "skill://eks-irsa/SKILL.md",
      ]);
      for (const s of skills) expect(s.mimeType).toBe("text/markdown");
      const { resourceTemplates } = await h.client.listResourceTemplates();
      expect(resourceTemplates.map((t) => t.uriTemplate)).toContain("skill://{name}/SKILL.md");
      const read = await h.client.readResource({ uri: "skill://aks-workload-identity/SKILL.md" });
      const text = (read.contents[0] as { text: string }).text;
      expect(text).toMatch(/^---\nname: aks-workload-identity\n/);
      for (const s of skills) expect(SERVER_INSTRUCTIONS).toContain(s.uri);
      expect(h.client.getInstructions()).toBe(SERVER_INSTRUCTIONS);
    } finally {
      await h.close();
    }
  });

  it("offers the troubleshooting prompt with the user's values", async () => {
    const h = await connect();
    try {
      const { prompts } = await h.client.listPrompts();
      expect(prompts.map((p) => p.name)).toContain("troubleshoot_workload_identity");
      const p = await h.client.getPrompt({
        name: "troubleshoot_workload_identity",
        arguments: { namespace: "payments", target: "deployment/payments-api", errorText: "AADSTS70021: No matching" },
      });
      const text = (p.messages[0].content as { text: string }).text;
      expect(text).toContain("namespace payments");
      expect(text).toContain("diagnose_workload_identity");
      expect(text).toContain("AADSTS70021");
    } finally {
      await h.close();
    }
  });

  it("answers bad input with an isError result that names the field", async () => {
    const h = await connect();
    try {
      const r = await h.client.callTool({ name: "diagnose_workload_identity", arguments: { namespace: "Payments!" } });
      expect(r.isError).toBe(true);
      const text = (r.content as { text: string }[])[0].text;
      expect(text).toContain("namespace");
      expect(text).toMatch(/Kubernetes namespace/);
      const r2 = await h.client.callTool({ name: "diagnose_workload_identity", arguments: { namespace: "payments" } });
      expect(r2.isError).toBe(true);
      expect((r2.content as { text: string }[])[0].text).toContain("serviceAccount | pod | workload");
    } finally {
      await h.close();
    }
  });

  it("registers write tools only with allowWrites, judged by their annotations", async () => {
    const writer = defineTool({
      name: "apply_example_fix",
      title: "Example writer",
      description:
        "A tool that writes, used to prove that writes need explicit opt-in. It is never registered by default.",
      inputSchema: z.object({}),
      outputSchema: z.object({ applied: z.boolean() }),
      example: {},
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
      handler: async () => ({ applied: true }),
      render: () => "applied",
    });
    expect(isWriteTool(writer)).toBe(true);
    const tools = [...allTools, writer];
    const readOnly = await connect({ tools });
    const writable = await connect({ tools, allowWrites: true });
    try {
      expect((await readOnly.client.listTools()).tools.map((t) => t.name)).not.toContain("apply_example_fix");
      expect((await writable.client.listTools()).tools.map((t) => t.name)).toContain("apply_example_fix");
      expect(allTools.filter(isWriteTool)).toEqual(
        allTools.filter((t) => !t.annotations.readOnlyHint || t.annotations.destructiveHint),
      );
    } finally {
      await readOnly.close();
      await writable.close();
    }
  });
});
