// Readiness: the server diagnoses its own identity (its service account, when it knows it) and is ready only
// when that diagnosis is healthy; without one, when the API server answers. Answers are cached briefly.
import { diagnose } from "../gather/index.js";
import type { Environment } from "../providers/environment.js";
import { KubeProvider } from "../providers/kubernetes.js";

export interface SelfRef {
  namespace: string;
  serviceAccount: string;
}

export interface Readiness {
  ready: boolean;
  reason: string;
  verdict?: string;
  findings?: string[];
}

/** "ns/name" → a service account reference; the error names the option. */
export function parseSelf(value: string | undefined): SelfRef | undefined {
  if (!value) return undefined;
  const [namespace, serviceAccount, ...rest] = value.split("/");
  if (!namespace || !serviceAccount || rest.length) {
    throw new Error(`--self: expected NAMESPACE/SERVICE_ACCOUNT, got ${JSON.stringify(value)}`);
  }
  return { namespace, serviceAccount };
}

export function readinessProbe(
  env: () => Promise<Environment>,
  self: SelfRef | undefined,
  cacheMs = 15_000,
): () => Promise<Readiness> {
  let cached: { at: number; value: Promise<Readiness> } | undefined;
  const check = async (): Promise<Readiness> => {
    const e = await env();
    const signal = AbortSignal.timeout(Math.max(e.timeoutMs * 3, 10_000));
    if (!self) {
      await new KubeProvider(e).getVersion(signal);
      return { ready: true, reason: "the API server answers (no --self service account to diagnose)" };
    }
    const report = await diagnose(e, self, { signal, progress: async () => undefined });
    const findings = report.findings.map((f) => f.id);
    return report.verdict === "healthy"
      ? {
          ready: true,
          reason: `own identity ${self.namespace}/${self.serviceAccount} is healthy`,
          verdict: report.verdict,
        }
      : {
          ready: false,
          reason: `own identity ${self.namespace}/${self.serviceAccount} is ${report.verdict}`,
          verdict: report.verdict,
          findings,
        };
  };
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > cacheMs) {
      const value = check().catch((err): Readiness => ({ ready: false, reason: (err as Error).message }));
      cached = { at: now, value };
    }
    return cached.value;
  };
}
