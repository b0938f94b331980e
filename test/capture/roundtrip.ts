// Round trip: a bundled world is served, `capture` reads it back through the served endpoints (the same providers a
// live capture uses), and the captured scenario diagnoses to the same verdict and root cause as the original (whose
// diagnosis the SDK client matrices pin to the scenario's `expect`).
import { expect } from "vitest";
import { captureScenario } from "../../src/capture/index.js";
import { diagnose } from "../../src/gather/index.js";
import { startSimSession } from "../../src/sim/environment.js";
import { listBundledScenarios, loadScenario, type Scenario } from "../../src/sim/scenario.js";

/**
 * Worlds whose problem lies where no read can see it, so no capture can carry it.
 *
 * A Pod Identity target role in another account is not one of them: the operator's IAM cannot read it, but EKS Auth's
 * answer for the service account's token says whether it accepts the chain, and the capture writes the least trust
 * that answers the same (eks-podid-cross-account-*). A capture that may not ask EKS Auth (a live capture without
 * --exchange) says so in its notes and leaves EKS Auth unavailable for the cluster in the captured world, so the
 * replay comes back inconclusive (the target trust check skipped), never with another verdict: see
 * roundtrip-1.test.ts.
 */
export const NOT_CAPTURABLE: Record<string, string> = {
  "aks-issuer-key-rotated":
    "tokens are signed by a key the JWKS no longer lists: only minting a token (a write) would show it",
  "aks-no-azure-credential": "without an Azure credential the capture cannot read the identity the exchange needs",
  "eks-no-aws-credential": "without AWS credentials the capture cannot read the role the exchange needs",
};

/** Every other bundled world, split into `of` shards so they run side by side. */
export function worlds(shard: number, of: number) {
  return listBundledScenarios()
    .filter((s) => !(s.name in NOT_CAPTURABLE))
    .filter((_, i) => i % of === shard)
    .map((w) => [w.name, w.file] as const);
}

export async function roundTrip(file: string): Promise<void> {
  const original = loadScenario(file);
  const served = await startSimSession(original);
  let captured: Scenario;
  try {
    const r = await captureScenario(served.env, { namespace: original.target.namespace });
    captured = r.scenario;
    // Nothing secret leaves: no tokens, no secret values, no server bookkeeping.
    expect(r.yaml).not.toMatch(/eyJ[\w-]{10,}\.|simulated-operator-secret|managedFields/);
    // Secrets keep the names of their keys, never the values.
    for (const o of captured.kubernetes.objects.filter((x) => x.kind === "Secret"))
      expect(Object.values((o.data as Record<string, string> | undefined) ?? {}).every((v) => v === "")).toBe(true);
  } finally {
    await served.close();
  }
  const replay = await startSimSession(captured);
  try {
    const target = original.target;
    const report = await diagnose(replay.env, target, {
      signal: AbortSignal.timeout(30_000),
      progress: async () => undefined,
      errorText: target.errorText,
    });
    const root = report.findings.find((f) => f.severity !== "info")?.id ?? "none";
    expect({ verdict: report.verdict, root }).toEqual({
      verdict: original.expect.verdict,
      root: original.expect.findings[0] ?? "none",
    });
  } finally {
    await replay.close();
  }
}

/** What a capture of a bundled world says it could not read. */
export async function captureNotes(file: string): Promise<string[]> {
  return (await captureWorld(file)).notes;
}

/** A bundled world captured (with or without a token exchange), and its captured scenario. */
export async function captureWorld(file: string, opts: { allowExchange?: boolean } = {}) {
  const original = loadScenario(file);
  const served = await startSimSession(original, opts);
  try {
    return await captureScenario(served.env, { namespace: original.target.namespace });
  } finally {
    await served.close();
  }
}

/** The captured world's diagnosis of the original's target. */
export async function replay(original: Scenario, captured: Scenario) {
  const session = await startSimSession(captured);
  try {
    return await diagnose(session.env, original.target, {
      signal: AbortSignal.timeout(30_000),
      progress: async () => undefined,
    });
  } finally {
    await session.close();
  }
}
