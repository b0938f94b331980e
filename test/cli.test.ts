// The command-line face: same data as the MCP tools, exit codes, stdin, --json.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SPAWNS_TIMEOUT_MS } from "./helpers/spawn.js";

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ["dist/cli.js", ...args], {
    input,
    encoding: "utf8",
    timeout: SPAWNS_TIMEOUT_MS,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("wi-doctor CLI", { timeout: SPAWNS_TIMEOUT_MS }, () => {
  it("prints help and version", () => {
    const help = cli(["--help"]);
    expect(help.code).toBe(0);
    for (const cmd of ["mcp", "diagnose", "explain", "demo"]) expect(help.out).toContain(cmd);
    const version = cli(["--version"]);
    expect(version.out.trim()).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
  });

  it("diagnose exits 1 on a broken world and 0 on a healthy one, with --json the report object", () => {
    const broken = cli(["diagnose", "--scenario", "aks-fic-subject-namespace-typo", "--json"]);
    expect(broken.code).toBe(1);
    const report = JSON.parse(broken.out);
    expect(report.verdict).toBe("broken");
    expect(report.findings[0].id).toBe("fic.subject-mismatch");
    const healthy = cli([
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

  it("diagnose exits 2 on bad input, naming what is wrong", () => {
    const r = cli(["diagnose", "--scenario", "aks-healthy", "-n", "Bad_Namespace", "--service-account", "x"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/namespace/);
    const missing = cli(["diagnose", "--scenario", "/no/such/file.yaml"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/no such file/);
  });

  it("demo lists the bundled worlds and runs the default one", () => {
    const list = cli(["demo", "--list"]);
    expect(list.code).toBe(0);
    expect(list.out).toContain("aks-healthy");
    expect(list.out).toContain("eks-irsa-healthy");
    const demo = cli(["demo"]);
    expect(demo.code).toBe(0);
    expect(demo.out).toContain("BROKEN");
    expect(demo.out).toContain("fic.subject-mismatch");
    expect(demo.out).toContain("az identity federated-credential create");
    expect(demo.err).not.toMatch(/Warning/);
  });

  it("explain reads stdin and prints JSON with codes and ranked causes", () => {
    const text =
      "AADSTS700016: Application with identifier '0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f' was not found in the directory 'Contoso'.";
    const r = cli(["explain", "-", "--json"], text);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out.codes).toContain("AADSTS700016");
    expect(out.causes[0].class).toBe("app_not_found_in_tenant");
    const human = cli(["explain", text]);
    expect(human.out).toContain("AADSTS700016");
  });
});
