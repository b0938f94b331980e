// npm run bench: speed and size figures. Prints; asserts nothing.
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

async function main() {
  console.log(`# wi-doctor bench (simulated latency ${LATENCY_MS} ms per request)\n`);
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
    const { benchExplain } = await import("./explain.js");
    const e = await benchExplain();
    console.log(
      `\nexplain_error corpus: ${e.corpusSize} texts, top-1 accuracy ${(e.top1 * 100).toFixed(1)}%, top-3 ${(e.top3 * 100).toFixed(1)}%`,
    );
    console.log(`explain_error on a 1 MB log: ${e.msFor1MB.toFixed(0)} ms`);
  } catch (err) {
    console.log(`\nexplain_error bench unavailable: ${(err as Error).message}`);
  }
  const { printFleetBench } = await import("./fleet.js");
  await printFleetBench();
}

await main();
