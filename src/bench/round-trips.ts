// Sequential round trips of one diagnosis per mechanism, from the simulated world's request log: every request
// waits `latencyMs` in the world, so requests that depend on each other end at least that far apart, and the
// longest chain of answers spaced that far apart is the number of round trips a user waits for one after another.
import { diagnose } from "../gather/index.js";
import { startSimSession } from "../sim/environment.js";
import { loadScenario } from "../sim/scenario.js";
import type { SimRequestLogEntry } from "../sim/world.js";

export const MECHANISMS: [label: string, scenario: string][] = [
  ["AKS workload identity", "aks-healthy"],
  ["EKS IRSA", "eks-irsa-healthy"],
  ["EKS Pod Identity", "eks-podid-healthy"],
  ["aad-pod-identity", "podid-healthy"],
];

export interface RoundTrips {
  label: string;
  scenario: string;
  roundTrips: number;
  requests: number;
  /** One request of each step of the longest chain ("GET host/path"), in order. */
  chain: string[];
}

/** The longest chain of answers each ending at least `gapMs` after the previous one (greedy on end times). */
export function longestChain(entries: { end: number; what: string }[], gapMs: number): string[] {
  const sorted = [...entries].sort((a, b) => a.end - b.end);
  const chain: string[] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (const e of sorted) {
    if (e.end - last >= gapMs) {
      chain.push(e.what);
      last = e.end;
    }
  }
  return chain;
}

export async function benchRoundTrips(latencyMs = 200): Promise<RoundTrips[]> {
  const out: RoundTrips[] = [];
  for (const [label, name] of MECHANISMS) {
    const scenario = loadScenario(name);
    const log: SimRequestLogEntry[] = [];
    const session = await startSimSession(scenario, { latencyMs, onRequest: (e) => log.push(e) });
    try {
      const run = () =>
        diagnose(session.env, scenario.target, {
          signal: AbortSignal.timeout(120_000),
          progress: async () => undefined,
        });
      // Warm: TLS sessions, tokens and SDK modules of the first run are not the diagnosis.
      await run();
      log.length = 0;
      const t0 = Date.now();
      await run();
      const t1 = Date.now();
      // The world logs an answer once it is sent, which can be just after the client has read it: let the last ones
      // land. Answers that end sooner than one latency after the start are the warm-up run's stragglers; answers that
      // end well after the diagnosis did are reads it no longer waited for (a run stopped once the mechanism was known).
      await new Promise((r) => setTimeout(r, latencyMs / 2));
      const entries = log
        .map((e) => ({ end: Date.parse(e.time), what: `${e.method} ${e.host}${e.path}` }))
        .filter((e) => e.end >= t0 + latencyMs * 0.9 && e.end <= t1 + latencyMs / 4);
      const chain = longestChain(entries, latencyMs * 0.9);
      out.push({ label, scenario: name, roundTrips: chain.length, requests: entries.length, chain });
    } finally {
      await session.close();
    }
  }
  return out;
}
