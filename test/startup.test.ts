// Start-up stays light: answering initialize and tools/list loads none of the cloud or cluster SDKs, no JWT or
// YAML library; the first tool call that needs them loads them. Checked on the built binary by tracing every module it resolves.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, describe, expect, it } from "vitest";
import { SPAWNS_TIMEOUT_MS } from "./helpers/spawn.js";

const HEAVY = ["@kubernetes/client-node", "@azure/", "@aws-sdk/", "@smithy/", "jose", "js-yaml", "yaml"];

/** The packages (by name) among the traced module URLs. */
function packagesIn(file: string): Set<string> {
  const names = new Set<string>();
  for (const url of readFileSync(file, "utf8").split("\n")) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m) names.add(m[1]);
  }
  return names;
}

const heavyIn = (names: Set<string>) => [...names].filter((n) => HEAVY.some((h) => n.startsWith(h)));

describe("start-up of dist/cli.js", { timeout: SPAWNS_TIMEOUT_MS }, () => {
  const dir = mkdtempSync(join(tmpdir(), "wi-doctor-trace-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("answers initialize and tools/list without loading the Kubernetes, Azure or AWS SDKs; a diagnosis loads them", async () => {
    const trace = join(dir, "modules.txt");
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        "--import",
        join(import.meta.dirname, "helpers", "trace-modules.mjs"),
        "dist/cli.js",
        "mcp",
        "--scenario",
        "aks-fic-subject-namespace-typo",
      ],
      env: { ...(process.env as Record<string, string>), WI_DOCTOR_TRACE_MODULES: trace },
      stderr: "pipe",
    });
    const client = new Client({ name: "startup", version: "0.0.0" });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.length).toBeGreaterThan(10);
      const atList = packagesIn(trace);
      // The trace saw the process start (the SDK itself may be inside the bundle, not in node_modules).
      expect(readFileSync(trace, "utf8")).toMatch(/\/dist\/cli\.js\n/);
      expect(heavyIn(atList)).toEqual([]);

      const r = await client.callTool({
        name: "diagnose_workload_identity",
        arguments: { namespace: "payments", serviceAccount: "payments-api" },
      });
      expect(r.isError).toBeFalsy();
      const afterCall = packagesIn(trace);
      expect(afterCall.has("@kubernetes/client-node")).toBe(true);
      expect(heavyIn(afterCall).some((n) => n.startsWith("@azure/"))).toBe(true);
    } finally {
      await client.close();
    }
  });
});
