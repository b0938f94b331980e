// `wi-doctor fix` (the command line, run in this process): --dry-run shows the plan and writes nothing; without a
// terminal it refuses to apply unless --yes; with --yes it applies round by round until healthy and logs each write.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCliInProcess } from "../helpers/cli.js";
import { SPAWNS_TIMEOUT_MS } from "../helpers/spawn.js";

/** `wi-doctor <args>` with an empty stdin that is not a terminal, as under automation. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runCliInProcess(args);
  return { code: r.code, stdout: r.out, stderr: r.err };
}

describe("wi-doctor fix", () => {
  it("--dry-run shows the plan with its planId and quoted commands", { timeout: SPAWNS_TIMEOUT_MS }, async () => {
    const r = await cli(["fix", "--scenario", "aks-label-missing", "--dry-run"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/root cause: pod\.label-missing/);
    expect(r.stdout).toMatch(/planId: {2}[0-9a-f]{24}/);
    expect(r.stdout).toContain(
      `kubectl patch deployment payments-api -n payments --type merge -p '{"spec":{"template":{"metadata":{"labels":{"azure.workload.identity/use":"true"}}}}}'`,
    );
    expect(r.stdout).not.toMatch(/^Applied/m);
  });

  it("refuses to apply without a terminal unless --yes", { timeout: SPAWNS_TIMEOUT_MS }, async () => {
    const r = await cli(["fix", "--scenario", "aks-label-missing"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pass --yes/);
    expect(r.stdout).not.toMatch(/^Applied/m);
  });

  it("--yes applies until healthy and logs every write", { timeout: SPAWNS_TIMEOUT_MS }, async () => {
    const log = join(mkdtempSync(join(tmpdir(), "wi-doctor-fix-")), "audit.jsonl");
    const r = await cli(["fix", "--scenario", "eks-sa-annotation-typo", "--yes", "--audit-log", log]);
    expect(r.stdout).toMatch(/verdict: healthy/);
    expect(r.code).toBe(0);
    const lines = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { tool: string; outcome: string });
    expect(lines.map((l) => `${l.tool}:${l.outcome}`)).toEqual([
      "annotate_service_account:applied",
      "restart_workload:applied",
    ]);
    // The same lines on the run's own stderr (not the stderr of the process it runs in).
    const onStderr = r.stderr
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => (JSON.parse(l) as { tool: string }).tool);
    expect(onStderr).toEqual(["annotate_service_account", "restart_workload"]);
  });
});
