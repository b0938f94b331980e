// npm run bench: speed and size figures. Prints; asserts nothing.
import { existsSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { diagnose } from "../gather/index.js";
import { startSimSession } from "../sim/environment.js";
import { loadScenario } from "../sim/scenario.js";

const LATENCY_MS = 100;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** A rough token count for JSON (about four characters per token for this kind of text). */
export function approxTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

async function benchDiagnosis(name: string) {
  const scenario = loadScenario(name);
  const session = await startSimSession(scenario, { latencyMs: LATENCY_MS });
  try {
    // One warm-up run without timing: key generation and TLS session setup are not the diagnosis.
    await diagnose(session.env, scenario.target, {
      signal: AbortSignal.timeout(60_000),
      progress: async () => undefined,
    });
    const before = session.world.stats.requests;
    const t0 = performance.now();
    const report = await diagnose(session.env, scenario.target, {
      signal: AbortSignal.timeout(60_000),
      progress: async () => undefined,
      errorText: scenario.target.errorText,
    });
    const ms = performance.now() - t0;
    const json = JSON.stringify(report);
    return {
      scenario: name,
      wallMs: Math.round(ms),
      latencyMultiple: +(ms / LATENCY_MS).toFixed(2),
      requests: session.world.stats.requests - before,
      reportBytes: Buffer.byteLength(json),
      reportTokens: approxTokens(json),
      findings: report.findings.length,
    };
  } finally {
    await session.close();
  }
}

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

async function startupSection() {
  const { benchStartup } = await import("./startup.js");
  const { loadavg } = await import("node:os");
  const s = await benchStartup();
  const other = s.shipped === "bundle" ? "tsc" : "bundle";
  console.log(
    `## Start-up (medians of alternating runs; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")})\n`,
  );
  console.log(`dist/cli.js (what bin runs) is the ${s.shipped === "bundle" ? "esbuild bundle" : "tsc output"}.\n`);
  console.log("| measure | wi-doctor | yardstick | ratio | goal |");
  console.log("|---|---|---|---|---|");
  const row = (what: string, ours: number, theirs: number, yardstick: string, goal: string) =>
    console.log(
      `| ${what} | ${ours.toFixed(0)} ms | ${theirs.toFixed(0)} ms (${yardstick}) | ${ratio(ours, theirs)} | ${goal} |`,
    );
  const bareServer = "bare one-tool SDK server";
  row(`spawn → tools/list, ${s.shipped}`, s.toolsList.shipped, s.toolsList.bare, bareServer, "≤ 1.3×");
  if (s.toolsList.compiled !== undefined) {
    row(`spawn → tools/list, ${other}`, s.toolsList.compiled, s.toolsList.bare, bareServer, "");
  }
  row(`CLI explain "<one line>", ${s.shipped}`, s.explain.shipped, s.explain.node, "node -e 0", "≤ 2×");
  if (s.explain.compiled !== undefined) {
    row(`CLI explain "<one line>", ${other}`, s.explain.compiled, s.explain.node, "node -e 0", "");
  }
  const kb = (b: number) => `${b} bytes (≈ ${approxTokens("x".repeat(b))} tokens)`;
  console.log(`\ntools/list: ${kb(s.toolsListBytes)}; with --allow-writes ${kb(s.toolsListBytesWithWrites)}`);
  const sets = Object.entries(s.toolsListBytesBySet).map(([set, b]) => `${set} ${b.read} (${b.writes} with writes)`);
  console.log(`tools/list bytes by --toolsets: ${sets.join("; ")}\n`);
}

async function scaleSection() {
  const { benchScale } = await import("./scale.js");
  console.log("## Reads of one diagnosis (service-account target) as the target namespace grows\n");
  console.log("| scenario | other pods in namespace | world load ms | requests | bytes read |");
  console.log("|---|---|---|---|---|");
  for (const name of ["aks-healthy", "podid-healthy", "eks-irsa-healthy"]) {
    for (const r of await benchScale(name, [20, 2_000, 10_000])) {
      console.log(`| ${name} | ${r.pods} | ${r.loadMs.toFixed(0)} | ${r.requests} | ${r.bytes} |`);
    }
  }
  console.log("");
}

async function roundTripSection() {
  const { benchRoundTrips } = await import("./round-trips.js");
  console.log("## Sequential round trips per mechanism (warm; longest chain of dependent requests, goal ≤ 4)\n");
  console.log("| mechanism | scenario | round trips | requests |");
  console.log("|---|---|---|---|");
  const rows = await benchRoundTrips();
  for (const r of rows) console.log(`| ${r.label} | ${r.scenario} | ${r.roundTrips} | ${r.requests} |`);
  if (process.env.BENCH_SHOW_CHAINS) {
    for (const r of rows) console.log(`\n${r.label}:\n${r.chain.map((c, i) => `  ${i + 1}. ${c}`).join("\n")}`);
  }
  console.log("");
}

function testWallSection() {
  const file = "node_modules/.cache/wi-doctor/last-test-run.json";
  if (!existsSync(file)) {
    console.log("npm test wall time: no run recorded yet (run `npm test`; the suite records its wall time)\n");
    return;
  }
  const r = JSON.parse(readFileSync(file, "utf8")) as { wallMs: number; at: string; whole: boolean };
  console.log(
    `npm test wall time: ${(r.wallMs / 1000).toFixed(0)} s (${r.whole ? "whole suite" : "some files only"}, ${r.at}; goal ≤ 120 s on 2 cores)\n`,
  );
}

async function main() {
  const only = process.argv.slice(2);
  const want = (s: string) => !only.length || only.includes(s);
  if (want("startup")) await startupSection();
  if (want("scale")) await scaleSection();
  if (want("roundtrips")) await roundTripSection();
  if (want("tests")) testWallSection();
  if (!want("diagnosis")) return;
  console.log(
    `## Warm diagnosis in-server (simulated latency ${LATENCY_MS} ms per request; × latency ≈ sequential round trips, goal ≤ 4)\n`,
  );
  console.log("| scenario | wall ms | × latency | requests | report bytes | report tokens (≈) | findings |");
  console.log("|---|---|---|---|---|---|---|");
  const names = ["aks-fic-subject-namespace-typo", "aks-healthy", "aks-keyvault-firewall"];
  for (const extra of ["eks-irsa-healthy", "podid-healthy"]) {
    try {
      loadScenario(extra);
      names.push(extra);
    } catch {
      /* not bundled */
    }
  }
  for (const name of names) {
    const r = await benchDiagnosis(name);
    console.log(
      `| ${r.scenario} | ${r.wallMs} | ${r.latencyMultiple} | ${r.requests} | ${r.reportBytes} | ${r.reportTokens} | ${r.findings} |`,
    );
  }
  try {
    const { runFaultMatrix, percentile, faultProviders, FAULT_TIMEOUT_MS } = await import("./fault-matrix.js");
    const cells = await runFaultMatrix(2);
    console.log(
      `\nfault matrix (${cells.length} cells, per-request timeout ${FAULT_TIMEOUT_MS} ms): wall ms per diagnosis`,
    );
    console.log("| provider | cells | p50 | max |");
    console.log("|---|---|---|---|");
    const row = (label: string, ms: number[]) =>
      console.log(`| ${label} | ${ms.length} | ${Math.round(percentile(ms, 50))} | ${Math.round(Math.max(...ms))} |`);
    for (const p of faultProviders)
      row(
        p.label,
        cells.filter((c) => c.provider === p.provider).map((c) => c.wallMs),
      );
    row(
      "all",
      cells.map((c) => c.wallMs),
    );
  } catch (err) {
    console.log(`\nfault matrix unavailable: ${(err as Error).message}`);
  }
  try {
    const { benchExplain } = await import("./explain.js");
    const e = await benchExplain();
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    console.log(
      `\nexplain_error tuning split: ${e.tuning.size} texts, top-1 ${pct(e.tuning.top1)}, top-3 ${pct(e.tuning.top3)}`,
    );
    console.log(
      `explain_error frozen split (never tuned on): ${e.frozen.size} texts, top-1 ${pct(e.frozen.top1)}, top-3 ${pct(e.frozen.top3)}`,
    );
    console.log(
      `explain_error of which added after the freeze (never seen): ${e.unseen.size} texts, top-1 ${pct(e.unseen.top1)}, top-3 ${pct(e.unseen.top3)}`,
    );
    console.log(`explain_error codes recognised: ${e.codes}`);
    if (process.env.BENCH_SHOW_MISSES) for (const m of e.tuning.misses) console.log(`  miss ${m}`);
    console.log(`explain_error on a 1 MB log: ${e.msFor1MB.toFixed(0)} ms`);
  } catch (err) {
    console.log(`\nexplain_error bench unavailable: ${(err as Error).message}`);
  }
  const { printFleetBench } = await import("./fleet.js");
  await printFleetBench();
}

await main();
