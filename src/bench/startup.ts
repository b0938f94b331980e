// Start-up figures, each a median over alternating runs so that machine load hits both sides alike:
// spawn → tools/list of wi-doctor vs a bare one-tool SDK server, and the CLI explaining one line vs `node -e 0`.
import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const cli = resolve(here, "..", "cli.js");
const bare = join(here, "bare-server.js");

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Spawn a stdio MCP server, send initialize then tools/list; ms until the list arrives, and its size. */
export function timeToToolsList(args: string[]): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "ignore"] });
    let buffer = "";
    const send = (m: unknown) => child.stdin.write(`${JSON.stringify(m)}\n`);
    child.on("error", reject);
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 1);
        const message = JSON.parse(line) as { id?: number };
        if (message.id === 1) {
          send({ jsonrpc: "2.0", method: "notifications/initialized" });
          send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
        } else if (message.id === 2) {
          const ms = performance.now() - t0;
          child.kill();
          resolvePromise({ ms, bytes: Buffer.byteLength(line) });
        }
      }
    });
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "0" } },
    });
  });
}

/** ms from spawn to exit. */
export function timeToExit(args: string[]): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", () => resolvePromise(performance.now() - t0));
  });
}

export async function benchStartup(runs = 7) {
  const ours: number[] = [];
  const theirs: number[] = [];
  const explain: number[] = [];
  const nodeOnly: number[] = [];
  let bytes = 0;
  const line = "AADSTS700213: No matching federated identity record found for presented assertion subject";
  // One untimed round first: the file system cache is not what is measured.
  await timeToToolsList([cli]);
  await timeToToolsList([bare]);
  for (let i = 0; i < runs; i++) {
    const a = await timeToToolsList([cli]);
    ours.push(a.ms);
    bytes = a.bytes;
    theirs.push((await timeToToolsList([bare])).ms);
    explain.push(await timeToExit([cli, "explain", line]));
    nodeOnly.push(await timeToExit(["-e", "0"]));
  }
  return {
    toolsListMs: median(ours),
    bareToolsListMs: median(theirs),
    toolsListBytes: bytes,
    explainMs: median(explain),
    nodeMs: median(nodeOnly),
  };
}
