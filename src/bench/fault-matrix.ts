// The fault matrix: every simulated provider × every fault the simulator can inject, one diagnosis each.
// Shared by the fault-matrix test (which checks each cell's report) and `npm run bench` (which times them).
import { performance } from "node:perf_hooks";
import type { DiagnosisReport } from "../gather/index.js";
import { diagnose } from "../gather/index.js";
import { startSimSession } from "../sim/environment.js";
import { loadScenario, type Scenario } from "../sim/scenario.js";

type Rule = Scenario["faults"]["rules"][number];
export type FaultProvider = Rule["service"];

/** The world each provider is exercised in: one where the diagnosis calls it. */
export const faultProviders: { provider: FaultProvider; label: string; scenario: string }[] = [
  { provider: "kubernetes", label: "Kubernetes", scenario: "aks-healthy" },
  { provider: "arm", label: "ARM", scenario: "aks-healthy" },
  { provider: "graph", label: "Graph", scenario: "aks-app-registration-healthy" },
  { provider: "entra", label: "Entra", scenario: "aks-healthy" },
  { provider: "iam", label: "IAM", scenario: "eks-irsa-healthy" },
  { provider: "eks", label: "EKS", scenario: "eks-irsa-healthy" },
  { provider: "sts", label: "STS", scenario: "eks-irsa-healthy" },
  { provider: "oidc", label: "issuer", scenario: "aks-healthy" },
];

export const faults: { fault: string; rule: Omit<Rule, "service" | "path"> }[] = [
  { fault: "latency", rule: { latencyMs: 300 } },
  { fault: "429", rule: { status: 429, retryAfter: 1 } },
  { fault: "500", rule: { status: 500 } },
  { fault: "timeout", rule: { timeout: true } },
  { fault: "malformed", rule: { malformed: true } },
  { fault: "reset", rule: { reset: true } },
  { fault: "tls", rule: { tls: true } },
];

export interface FaultCell {
  provider: FaultProvider;
  fault: string;
  report: DiagnosisReport;
  /** Requests (or handshakes) the faulted provider received. */
  hits: number;
  wallMs: number;
}

/** Per-request deadline in the matrix: short, so "never answers" costs little. */
export const FAULT_TIMEOUT_MS = 2500;

export async function runFaultCell(provider: FaultProvider, fault: string): Promise<FaultCell> {
  const where = faultProviders.find((p) => p.provider === provider);
  const what = faults.find((f) => f.fault === fault);
  if (!where || !what) throw new Error(`no fault-matrix cell ${provider} × ${fault}`);
  const scenario = loadScenario(where.scenario);
  scenario.faults = { ...scenario.faults, rules: [{ service: provider, path: "", ...what.rule }] };
  const session = await startSimSession(scenario, { timeoutMs: FAULT_TIMEOUT_MS });
  try {
    const t0 = performance.now();
    const report = await diagnose(session.env, scenario.target, {
      signal: new AbortController().signal,
      progress: async () => undefined,
    });
    const wallMs = performance.now() - t0;
    return { provider, fault, report, hits: session.world.stats.byService[provider] ?? 0, wallMs };
  } finally {
    await session.close();
  }
}

/** Every cell, a few at a time. */
export async function runFaultMatrix(concurrency = 4): Promise<FaultCell[]> {
  const cells = faultProviders.flatMap((p) => faults.map((f) => [p.provider, f.fault] as const));
  const out: FaultCell[] = [];
  let next = 0;
  const worker = async () => {
    while (next < cells.length) {
      const [provider, fault] = cells[next++];
      out.push(await runFaultCell(provider, fault));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
