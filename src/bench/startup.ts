// Start-up figures, each a median over alternating runs so that machine load hits every side alike:
// spawn → tools/list of wi-doctor (the shipped CLI, and the compiled one when the bundle is shipped) vs a bare
// one-tool SDK server, and the CLI explaining one line vs `node -e 0`.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const cli = resolve(here, "..", "cli.js");
/** The compiled (tsc) CLI, kept beside the bundle that dist/cli.js is when the bundle is shipped. */
const cliTsc = resolve(here, "..", "cli.tsc.js");
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

/** Medians (ms) of one start-up figure for each command, measured in alternation. */
async function alternating(runs: number, commands: Record<string, () => Promise<number>>) {
  const entries = Object.entries(commands);
  const times = new Map<string, number[]>(entries.map(([k]) => [k, []]));
  // One untimed round first: the file system cache is not what is measured.
  for (const [, run] of entries) await run();
  for (let i = 0; i < runs; i++) for (const [k, run] of entries) times.get(k)?.push(await run());
  return Object.fromEntries([...times].map(([k, xs]) => [k, median(xs)]));
}

export interface StartupFigures {
  /** spawn → tools/list, ms: the shipped CLI (dist/cli.js), the compiled one (dist/cli.tsc.js), the bare server. */
  toolsList: { shipped: number; compiled?: number; bare: number };
  /** spawn → exit of `explain "<one line>"`, ms, and of `node -e 0`. */
  explain: { shipped: number; compiled?: number; node: number };
  toolsListBytes: number;
  toolsListBytesWithWrites: number;
  /** tools/list bytes with `--toolsets <one>`, without and with --allow-writes. */
  toolsListBytesBySet: Record<string, { read: number; writes: number }>;
  /** What bin runs: "bundle" (esbuild) or "tsc". */
  shipped: "bundle" | "tsc";
}

async function bytesBySet(): Promise<StartupFigures["toolsListBytesBySet"]> {
  const out: StartupFigures["toolsListBytesBySet"] = {};
  for (const set of ["aks", "eks", "podid", "explain"]) {
    const read = (await timeToToolsList([cli, "--toolsets", set])).bytes;
    const writes = (await timeToToolsList([cli, "--toolsets", set, "--allow-writes"])).bytes;
    out[set] = { read, writes };
  }
  return out;
}

export async function benchStartup(runs = 9): Promise<StartupFigures> {
  const line = "AADSTS700213: No matching federated identity record found for presented assertion subject";
  const compiled = existsSync(cliTsc) ? cliTsc : undefined;
  const shipped = readFileSync(cli, "utf8").includes("__wiDoctorRequire") ? "bundle" : "tsc";
  const ms = (args: string[]) => async () => (await timeToToolsList(args)).ms;
  const list = await alternating(runs, {
    shipped: ms([cli]),
    ...(compiled ? { compiled: ms([compiled]) } : {}),
    bare: ms([bare]),
  });
  const explain = await alternating(runs, {
    shipped: () => timeToExit([cli, "explain", line]),
    ...(compiled ? { compiled: () => timeToExit([compiled, "explain", line]) } : {}),
    node: () => timeToExit(["-e", "0"]),
  });
  return {
    toolsList: list as StartupFigures["toolsList"],
    explain: explain as StartupFigures["explain"],
    toolsListBytes: (await timeToToolsList([cli])).bytes,
    toolsListBytesWithWrites: (await timeToToolsList([cli, "--allow-writes"])).bytes,
    toolsListBytesBySet: await bytesBySet(),
    shipped,
  };
}
