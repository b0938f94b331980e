// Oversized input over the stdio transport: answered with an error, the session goes on.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterEach, describe, expect, it } from "vitest";
import { idOf } from "../../src/transport.js";
import { SPAWNS_TIMEOUT_MS } from "../helpers/spawn.js";

const MB = 1024 * 1024;

describe("a 1 MB workload argument", () => {
  it("is refused in a short answer by every tool that takes one, and the session goes on", {
    timeout: SPAWNS_TIMEOUT_MS,
  }, async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ["dist/cli.js", "mcp", "--scenario", "aks-healthy"],
      stderr: "pipe",
    });
    const client = new Client({ name: "limits", version: "0.0.0" });
    await client.connect(transport);
    try {
      const huge = `deployment/${"a".repeat(MB)}`;
      for (const name of ["diagnose_workload_identity", "inspect_workload", "inspect_pod_identity"]) {
        let answer: string;
        try {
          const r = await client.callTool({ name, arguments: { namespace: "payments", workload: huge } });
          expect(r.isError).toBe(true);
          answer = JSON.stringify(r);
        } catch (err) {
          answer = (err as Error).message;
        }
        expect(answer).toMatch(/workload/);
        expect(answer.length).toBeLessThan(4096);
      }
      const { tools } = await client.listTools();
      expect(tools.length).toBeGreaterThan(5);
    } finally {
      await client.close();
    }
  });
});

describe("client messages over the transport limit", () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  afterEach(() => child?.kill());

  function serve() {
    const c = spawn(process.execPath, ["dist/cli.js", "mcp"], { stdio: "pipe" });
    child = c;
    const messages: { id?: unknown; error?: { code: number; message: string }; result?: unknown }[] = [];
    let buffer = "";
    c.stdout.setEncoding("utf8");
    c.stdout.on("data", (d: string) => {
      buffer += d;
      for (let nl = buffer.indexOf("\n"); nl !== -1; nl = buffer.indexOf("\n")) {
        messages.push(JSON.parse(buffer.slice(0, nl)));
        buffer = buffer.slice(nl + 1);
      }
    });
    const exited = new Promise<number | null>((r) => c.on("exit", (code) => r(code)));
    const answer = async (id: unknown) => {
      for (let i = 0; i < 600; i++) {
        const m = messages.find((x) => x.id === id);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no answer to request ${String(id)}`);
    };
    const send = (m: object) => c.stdin.write(`${JSON.stringify(m)}\n`);
    return { c, answer, send, exited, messages };
  }

  it("answers an over-large request with a JSON-RPC error and keeps serving", {
    timeout: SPAWNS_TIMEOUT_MS,
  }, async () => {
    const { c, answer, send } = serve();
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "0" } },
    });
    await answer(1);
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    // 12 MiB of error text, with the id last, as the SDK client serialises requests.
    const big = JSON.stringify({
      method: "tools/call",
      params: { name: "explain_error", arguments: { text: "x".repeat(12 * MB) } },
      jsonrpc: "2.0",
      id: 2,
    });
    c.stdin.write(`${big}\n`);
    const refused = await answer(2);
    expect(refused.error?.code).toBe(-32600);
    expect(refused.error?.message).toMatch(/larger than \d+ bytes/);
    c.stdin.write("this is not json\n");
    send({ jsonrpc: "2.0", id: 3, method: "tools/list" });
    const listed = await answer(3);
    expect((listed.result as { tools: unknown[] }).tools.length).toBeGreaterThan(5);
    expect(c.exitCode).toBeNull();
  });

  it("reads the request id at either end of a message", () => {
    expect(idOf('{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{', "")).toBe(42);
    expect(idOf("", 'xxx"}},"jsonrpc":"2.0","id":"abc"}')).toBe("abc");
    expect(idOf("{", "}")).toBeNull();
  });
});
