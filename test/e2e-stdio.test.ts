// The built binary over stdio, driven by the SDK client exactly as an MCP host would.
import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { describe, expect, it } from "vitest";
import { SPAWNS_TIMEOUT_MS } from "./helpers/spawn.js";

/** The VS Code variable mcp.json uses for the repository's folder. */
const WORKSPACE_FOLDER = ["$", "{workspaceFolder}"].join("");

describe("wi-doctor over stdio (dist/cli.js)", { timeout: SPAWNS_TIMEOUT_MS }, () => {
  it("answers initialize, tools/list, resources/list, prompts/list and reads a skill, as configured in mcp.json", async () => {
    const config = JSON.parse(readFileSync("mcp.json", "utf8"));
    const server = config.servers.wiDoctor;
    expect(server.type).toBe("stdio");
    // mcp.json runs the local build: node ${workspaceFolder}/dist/cli.js mcp, with the repository as the folder.
    expect(server.command).toBe("node");
    const args = server.args.map((a: string) => a.replace(WORKSPACE_FOLDER, process.cwd()));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args,
      stderr: "pipe",
    });
    const client = new Client({ name: "e2e", version: "0.0.0" });
    await client.connect(transport);
    try {
      expect(client.getServerVersion()?.name).toBe("wi-doctor");
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain("diagnose_workload_identity");
      const { resources } = await client.listResources();
      expect(resources.filter((r) => r.uri.startsWith("skill://"))).toHaveLength(4);
      const { prompts } = await client.listPrompts();
      expect(prompts.map((p) => p.name)).toContain("troubleshoot_workload_identity");
      const skill = await client.readResource({ uri: "skill://eks-irsa/SKILL.md" });
      expect((skill.contents[0] as { text: string }).text).toContain("name: eks-irsa");
    } finally {
      await client.close();
    }
  });

  it("diagnoses a bundled simulated world through the stdio server", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ["dist/cli.js", "mcp", "--scenario", "aks-fic-subject-namespace-typo"],
      stderr: "pipe",
    });
    const client = new Client({ name: "e2e", version: "0.0.0" });
    await client.connect(transport);
    try {
      const r = await client.callTool({
        name: "diagnose_workload_identity",
        arguments: { namespace: "payments", serviceAccount: "payments-api", workload: "deployment/payments-api" },
      });
      expect(r.isError).toBeFalsy();
      const report = r.structuredContent as { verdict: string; findings: { id: string }[] };
      expect(report.verdict).toBe("broken");
      expect(report.findings[0].id).toBe("fic.subject-mismatch");
    } finally {
      await client.close();
    }
  });
});
