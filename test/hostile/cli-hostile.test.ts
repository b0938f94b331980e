// The command line under hostile input: usage errors exit 2, stdin is read whole, scenario files are bounded
// (these run the command line in this process), and the built binary's process ends once its output is written.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { runCliInProcess as cli } from "../helpers/cli.js";
import { SPAWNS_TIMEOUT_MS } from "../helpers/spawn.js";

const dir = mkdtempSync(join(tmpdir(), "wi-doctor-hostile-"));

describe("usage errors exit 2 (bad input), never 1 (broken)", () => {
  it.each([
    [["--bogus"], /unknown option '--bogus'/],
    [["diagnose", "-n", "payments", "--bogus"], /unknown option/],
    [["diagnose", "-n", "payments", "--timeout", "abc"], /--timeout must be a whole number/],
    [["diagnose", "-n", "payments", "--timeout", "-1"], /--timeout/],
    [["diagnose", "-n", "payments", "--timeout", "0"], /--timeout must be a whole number of milliseconds from 1/],
    [["diagnose", "-n", "payments", "--timeout", "2147483648"], /to 2147483647/],
    [["diagnose", "-n", "payments", "--timeout", "1e400"], /--timeout must be a whole number/],
    [["diagnose", "-n", "payments", "--cloud", "Bogus"], /Allowed choices are AzurePublicCloud/],
    [["diagnose", "--sim-latency", "x", "-n", "payments"], /--sim-latency/],
    [["explain", "--json", "--nope"], /unknown option/],
  ])("%j", async (args, message) => {
    const r = await cli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message as RegExp);
  });

  it("help and version still exit 0", async () => {
    expect((await cli(["--help"])).code).toBe(0);
    expect((await cli(["diagnose", "--help"])).code).toBe(0);
    expect((await cli(["--version"])).code).toBe(0);
  });
});

describe("scenario files are bounded", () => {
  it("stops reading /dev/zero with a clear error", async () => {
    const r = await cli(["diagnose", "--scenario", "/dev/zero"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/larger than 10 MB/);
  });

  it("refuses an 11 MB file", async () => {
    const file = join(dir, "big.yaml");
    writeFileSync(file, `description: |\n${"  x\n".repeat(3 * 1024 * 1024)}`);
    const r = await cli(["diagnose", "--scenario", file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/larger than 10 MB/);
  });
});

describe("stdin", () => {
  it("reads a 900 KB error text from stdin, arriving in pipe-sized chunks, to the end", async () => {
    const line = "2024-05-01T10:00:00Z INFO payments-api handled request GET /healthz in 3ms\n";
    const tail =
      "ERROR: AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://westeurope.oic.prod-aks.azure.com/72f988bf-86f1-41af-91ab-2d7cd011db47/5c8e2a1f-3b7d-4e9a-8c6f-1d2e3f4a5b6c/'. Assertion Subject: 'system:serviceaccount:payments:payments-api'.\n";
    const input = line.repeat(Math.ceil((900 * 1024) / line.length)) + tail;
    expect(input.length).toBeGreaterThan(900 * 1024);
    const r = await cli(["diagnose", "--scenario", "aks-fic-subject-namespace-typo", "--error-text", "-", "--json"], {
      input,
    });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out);
    expect(report.errorText.codes).toContain("AADSTS70021");
  });
});

describe("the process ends when its output is written", () => {
  it("does not wait out a Retry-After of 120 s from ARM", { timeout: SPAWNS_TIMEOUT_MS }, async () => {
    const scenario = parse(readFileSync("scenarios/aks-healthy.yaml", "utf8"));
    scenario.faults = { rules: [{ service: "arm", status: 429, retryAfter: 120 }] };
    const file = join(dir, "throttled.yaml");
    writeFileSync(file, stringify(scenario));
    const child = spawn(
      process.execPath,
      ["dist/cli.js", "diagnose", "--scenario", file, "--timeout", "3000", "--json"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    // A generous bound only to detect the hang (the Retry-After is 120 s).
    const code = await new Promise<number | null | "hang">((resolve) => {
      const t = setTimeout(() => {
        child.kill();
        resolve("hang");
      }, 100_000);
      child.on("exit", (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(code).not.toBe("hang");
    const report = JSON.parse(out);
    expect(code).toBe(({ healthy: 0, broken: 1, inconclusive: 2 } as Record<string, number>)[report.verdict]);
    // What ARM would have told is reported as not read, with the reason.
    const skipped = report.checks.filter((c: { status: string; detail: string }) => c.status === "skipped");
    expect(skipped.map((c: { detail: string }) => c.detail).join("\n")).toMatch(/AKS cluster could not be read/);
  });
});
