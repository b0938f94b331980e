// `wi-doctor demo` picks a tool for every bundled world, namespace-only targets included; no kube context is one
// clear sentence.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { demoCall } from "../src/demo.js";
import { listBundledScenarios, loadScenario } from "../src/sim/scenario.js";
import { runCliInProcess } from "./helpers/cli.js";
import { SPAWNS_TIMEOUT_MS } from "./helpers/spawn.js";

const bundled = listBundledScenarios();

describe("demo picks a tool for every bundled world", () => {
  it("chooses a tool for every world, and a namespace tool where the target names only a namespace", () => {
    const namespaceOnly = bundled
      .map((s) => loadScenario(s.file))
      .filter((s) => !demoCall(s).input.serviceAccount && !demoCall(s).input.pod && !demoCall(s).input.workload);
    expect(namespaceOnly.map((s) => s.name)).toContain("podid-finalizer-stuck");
    for (const s of namespaceOnly) expect(demoCall(s).tool).not.toBe("diagnose_workload_identity");
  });

  // Each world's one-call diagnosis is checked through the SDK client (test/helpers/sdk-client-matrix.ts); the
  // namespace-only worlds run their demo tool in test/scenarios.test.ts.

  it("podid-finalizer-stuck, listed by demo --list, runs and names the stuck finalizer (command line, exit 0)", {
    timeout: SPAWNS_TIMEOUT_MS,
  }, async () => {
    const list = await runCliInProcess(["demo", "--list"]);
    expect(list.out).toContain("podid-finalizer-stuck");
    const r = await runCliInProcess(["demo", "podid-finalizer-stuck"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("podid.finalizer-stuck");
  });
});

describe("no kube context", () => {
  const home = mkdtempSync(join(tmpdir(), "wi-doctor-home-"));
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const run = (extra: string[], env: Record<string, string>) =>
    spawnSync(
      process.execPath,
      ["dist/cli.js", "diagnose", "-n", "payments", "--service-account", "payments-api", ...extra],
      {
        encoding: "utf8",
        timeout: SPAWNS_TIMEOUT_MS,
        env: { PATH: process.env.PATH ?? "", HOME: home, ...env },
      },
    );

  it("without a kubeconfig: one sentence naming KUBECONFIG and --context/--kubeconfig, exit 2", {
    timeout: SPAWNS_TIMEOUT_MS,
  }, () => {
    for (const r of [
      run([], {}),
      run([], { KUBECONFIG: join(home, "missing") }),
      run(["--kubeconfig", join(home, "none")], {}),
    ]) {
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(/^wi-doctor: no kube context found.*KUBECONFIG.*--kubeconfig.*--context/);
      expect(r.stderr).not.toMatch(/localhost:8080|does not exist/);
    }
  });
});
