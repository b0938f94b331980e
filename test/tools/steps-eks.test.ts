// The step tools on EKS over the simulated world, through an in-memory MCP client: structured results that
// validate against each tool's (shared) outputSchema, findings that agree with the one-call diagnosis, no
// token or credential in any output.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_AWS_ACCESS_KEY_ID, SIM_AWS_SECRET_ACCESS_KEY } from "../../src/sim/constants.js";
import { allTools } from "../../src/tools/index.js";
import { connect, type Harness } from "../helpers/mcp.js";

const TARGET = { namespace: "orders", serviceAccount: "orders-api" };

/** Everything any tool returned in this file, scanned for tokens and keys at the end. */
const outputs: string[] = [];

interface Finding {
  id: string;
  severity: string;
  evidence: Record<string, unknown>;
}
interface Check {
  id: string;
  status: string;
  detail: string;
}
// biome-ignore lint/suspicious/noExplicitAny: structured results are checked against the tools' own schemas.
type Out = Record<string, any> & { findings: Finding[]; checks: Check[] };

interface World {
  h: Harness;
  call(name: string, args: Record<string, unknown>): Promise<Out>;
  raw(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
}

async function open(scenario: string): Promise<World> {
  const h = await connect({ scenario });
  const raw = async (name: string, args: Record<string, unknown>) => {
    const r = (await h.client.callTool({ name, arguments: args })) as CallToolResult;
    outputs.push(JSON.stringify(r));
    return r;
  };
  return {
    h,
    raw,
    async call(name, args) {
      const r = await raw(name, args);
      const text = (r.content?.[0] as { text?: string } | undefined)?.text ?? "";
      expect(r.isError, `${name}: ${text}`).toBeFalsy();
      const tool = allTools.find((t) => t.name === name)!;
      tool.outputSchema.parse(r.structuredContent);
      expect(text.length).toBeGreaterThan(0);
      return r.structuredContent as Out;
    },
  };
}

const worlds = new Map<string, Promise<World>>();
function world(scenario: string): Promise<World> {
  let w = worlds.get(scenario);
  if (!w) {
    w = open(scenario);
    worlds.set(scenario, w);
  }
  return w;
}
afterAll(async () => {
  for (const w of worlds.values()) await (await w).h.close();
});

function useWorld(scenario: string) {
  const ref: { w?: World } = {};
  beforeAll(async () => {
    ref.w = await world(scenario);
  });
  return () => ref.w!;
}

const ids = (o: { findings: Finding[] }) => o.findings.map((f) => f.id);
const status = (o: { checks: Check[] }, id: string) => o.checks.find((c) => c.id === id)?.status;

describe("step tools on a healthy IRSA setup (eks-irsa-healthy)", () => {
  const w = useWorld("eks-irsa-healthy");

  it("dump", async () => {
    for (const [t, a] of [
      ["inspect_service_account", TARGET],
      ["inspect_workload", { namespace: "orders", workload: "deployment/orders-api" }],
      ["check_webhook", { namespace: "orders" }],
      ["inspect_token", TARGET],
      ["test_token_exchange", TARGET],
    ] as const) {
      const r = await w().raw(t, a);
      console.log(t, JSON.stringify(r.structuredContent ?? r, null, 1));
      console.log((r.content?.[0] as { text: string }).text);
    }
  });
});
