// The command-line face: same data as the MCP tools, exit codes, stdin, --json. Most commands run in this process
// (test/helpers/cli.ts); the built binary is spawned where the process itself is what is tested.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { once } from "node:events";
import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { cliIo } from "../src/cli/io.js";
import { runCli } from "../src/cli/main.js";
import { runCliInProcess as cli } from "./helpers/cli.js";
import { SPAWNS_TIMEOUT_MS } from "./helpers/spawn.js";

function spawnCli(args: string[]) {
  const r = spawnSync(process.execPath, ["dist/cli.js", ...args], { encoding: "utf8", timeout: SPAWNS_TIMEOUT_MS });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("wi-doctor CLI", { timeout: SPAWNS_TIMEOUT_MS }, () => {
  it("prints help and version (built binary)", () => {
    const help = spawnCli(["--help"]);
    expect(help.code).toBe(0);
    for (const cmd of ["mcp", "diagnose", "explain", "demo"]) expect(help.out).toContain(cmd);
    const version = spawnCli(["--version"]);
    expect(version.out.trim()).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
  });

  it("diagnose exits 1 on a broken world (built binary), with --json the report object", () => {
    const broken = spawnCli(["diagnose", "--scenario", "aks-fic-subject-namespace-typo", "--json"]);
    expect(broken.code).toBe(1);
    const report = JSON.parse(broken.out);
    expect(report.verdict).toBe("broken");
    expect(report.findings[0].id).toBe("fic.subject-mismatch");
    expect(broken.err).not.toMatch(/Warning/);
  });

  it("diagnose exits 0 on a healthy world", async () => {
    const healthy = await cli([
      "diagnose",
      "--scenario",
      "aks-healthy",
      "-n",
      "payments",
      "--service-account",
      "payments-api",
    ]);
    expect(healthy.code).toBe(0);
    expect(healthy.out).toMatch(/^HEALTHY/);
  });

  it("diagnose exits 2 on bad input, naming what is wrong", async () => {
    const r = await cli(["diagnose", "--scenario", "aks-healthy", "-n", "Bad_Namespace", "--service-account", "x"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/namespace/);
    const missing = await cli(["diagnose", "--scenario", "/no/such/file.yaml"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no such file/);
  });

  it("demo lists the bundled worlds and runs the default one", async () => {
    const list = await cli(["demo", "--list"]);
    expect(list.code).toBe(0);
    expect(list.out).toContain("aks-healthy");
    expect(list.out).toContain("eks-irsa-healthy");
    const demo = await cli(["demo"]);
    expect(demo.code).toBe(0);
    expect(demo.out).toContain("BROKEN");
    expect(demo.out).toContain("fic.subject-mismatch");
    expect(demo.out).toContain("az identity federated-credential create");
    expect(demo.err).not.toMatch(/Warning/);
  });

  it("explain reads stdin and prints JSON with codes and ranked causes", async () => {
    const text =
      "AADSTS700016: Application with identifier '0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f' was not found in the directory 'Contoso'.";
    const r = await cli(["explain", "-", "--json"], { input: text });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out.codes).toContain("AADSTS700016");
    expect(out.causes[0].class).toBe("app_not_found_in_tenant");
    const human = await cli(["explain", text]);
    expect(human.out).toContain("AADSTS700016");
  });
});

describe("runCli (the command line inside another program)", { timeout: SPAWNS_TIMEOUT_MS }, () => {
  it("writes --help to the stdout it is given and returns 0", async () => {
    let out = "";
    const stdout = new Writable({
      write(chunk, _encoding, done) {
        out += String(chunk);
        done();
      },
    });
    const code = await runCli(["--help"], { stdout, stderr: stdout, stdin: process.stdin });
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: wi-doctor /);
    for (const cmd of ["mcp", "diagnose", "explain", "demo"]) expect(out).toContain(cmd);
    expect(process.exitCode ?? 0).toBe(0);
  });

  it("keeps the output and exit code of runs at the same time apart", async () => {
    const [healthy, broken, missing] = await Promise.all([
      cli(["diagnose", "--scenario", "aks-healthy", "-n", "payments", "--service-account", "payments-api"]),
      cli(["diagnose", "--scenario", "aks-fic-subject-namespace-typo", "--json"]),
      cli(["diagnose", "--scenario", "/no/such/file.yaml"]),
    ]);
    expect(healthy.code).toBe(0);
    expect(healthy.out).toMatch(/^HEALTHY/);
    expect(healthy.out).not.toContain("fic.subject-mismatch");
    expect(healthy.err).toBe("");
    expect(broken.code).toBe(1);
    const report = JSON.parse(broken.out);
    expect(report.verdict).toBe("broken");
    expect(report.findings[0].id).toBe("fic.subject-mismatch");
    expect(broken.err).toBe("");
    expect(missing.code).toBe(2);
    expect(missing.out).toBe("");
    expect(missing.err).toMatch(/^wi-doctor: invalid scenario \/no\/such\/file\.yaml:\n.*no such file/);
    // Outside a run, the command line's I/O is the process's again.
    expect(cliIo().stdout).toBe(process.stdout);
  });

  it("serves MCP on the streams it is given, and only closes when that stdin ends", async () => {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const sigterm = process.listenerCount("SIGTERM");
    const code = await runCli(["mcp", "--scenario", "aks-healthy"], { stdin, stdout, stderr });
    expect(code).toBe(0);
    expect(String(stderr.read())).toMatch(/MCP server on stdio \(simulated world: aks-healthy\)/);
    const lines: Record<string, unknown>[] = [];
    let buffer = "";
    stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
        lines.push(JSON.parse(buffer.slice(0, i)));
        buffer = buffer.slice(i + 1);
      }
    });
    const answer = async (id: number) => {
      while (!lines.some((l) => l.id === id)) await new Promise((r) => setTimeout(r, 5));
      return lines.find((l) => l.id === id) as { result: { tools?: unknown[] } };
    };
    const send = (m: unknown) => stdin.write(`${JSON.stringify(m)}\n`);
    const clientInfo = { name: "in-process", version: "0" };
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo },
    });
    await answer(1);
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    expect((await answer(2)).result.tools?.length).toBeGreaterThan(10);
    const ended = once(stdin, "end");
    stdin.end();
    await ended;
    // This process goes on (a stdin that is not the process's ends the server, not the process), its SIGTERM unhooked.
    expect(process.listenerCount("SIGTERM")).toBe(sigterm);
  });
});
