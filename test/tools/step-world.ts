// The world the AKS step-tool tests share: one simulated world per scenario per test file, an in-memory MCP
// client whose every answer is parsed against the tool's outputSchema and kept for the token scan.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, expect } from "vitest";
import { createServer } from "../../src/server.js";
import { startSimSession, type SimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";
import { allTools } from "../../src/tools/index.js";
import { atEachFileEnd } from "../helpers/per-file.js";

export const TARGET = { namespace: "payments", serviceAccount: "payments-api" };
export const SUB = "0b1f6471-1bf0-4dda-aec3-5c1e2f3a4b6d";
export const VAULT_ID = `/subscriptions/${SUB}/resourceGroups/payments-rg/providers/Microsoft.KeyVault/vaults/payments-kv`;
export const GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action";

/** Everything any tool returned in the importing test file, scanned for tokens at its end. */
export const outputs: string[] = [];

export interface Finding {
  id: string;
  severity: string;
  evidence: Record<string, unknown>;
  remediation?: { tool: string; arguments: Record<string, unknown> };
}
export interface Check {
  id: string;
  status: string;
  detail: string;
}
export type Out = Record<string, any> & { findings: Finding[]; checks: Check[] };

export interface World {
  session: SimSession;
  call(name: string, args: Record<string, unknown>): Promise<Out>;
  raw(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export async function open(scenario: string, opts: { allowExchange?: boolean } = {}): Promise<World> {
  const session = await startSimSession(loadScenario(scenario), opts);
  const server = createServer({ environment: async () => session.env });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "steps-test", version: "0.0.0" });
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  const raw = async (name: string, args: Record<string, unknown>) => {
    const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
    outputs.push(JSON.stringify(r));
    return r;
  };
  return {
    session,
    raw,
    async call(name, args) {
      const r = await raw(name, args);
      const text = (r.content?.[0] as { text?: string } | undefined)?.text ?? "";
      expect(r.isError, `${name}: ${text}`).toBeFalsy();
      const tool = allTools.find((t) => t.name === name)!;
      // The server checks this too; parsing here proves the shape independently of the SDK.
      tool.outputSchema.parse(r.structuredContent);
      expect(text.length).toBeGreaterThan(0);
      return r.structuredContent as Out;
    },
    async close() {
      await client.close();
      await server.close();
      await session.close();
    },
  };
}

export const ids = (o: { findings: Finding[] }) => o.findings.map((f) => f.id);
export const status = (o: { checks: Check[] }, id: string) => o.checks.find((c) => c.id === id)?.status;

// One world per scenario for the whole test file: every tool here is read-only.
const worlds = new Map<string, Promise<World>>();
export function world(scenario: string, opts: { allowExchange?: boolean } = {}): Promise<World> {
  const key = `${scenario}${opts.allowExchange === false ? " --no-exchange" : ""}`;
  let w = worlds.get(key);
  if (!w) {
    w = open(scenario, opts);
    worlds.set(key, w);
  }
  return w;
}
// The worlds and outputs belong to one test file: the worker keeps this module for the next file.
atEachFileEnd(async () => {
  const open = [...worlds.values()];
  worlds.clear();
  outputs.length = 0;
  for (const w of open) await (await w).close();
});

export function useWorld(scenario: string, opts: { allowExchange?: boolean } = {}) {
  const ref: { w?: World } = {};
  beforeAll(async () => {
    ref.w = await world(scenario, opts);
  });
  return () => ref.w!;
}
