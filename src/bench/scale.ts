// Reads of one diagnosis as the target namespace grows: requests and bytes the simulated world served.
import { performance } from "node:perf_hooks";
import { diagnose } from "../gather/index.js";
import { startSimSession } from "../sim/environment.js";
import { type KubeObject, loadScenario, parseScenario, type Scenario } from "../sim/scenario.js";

/** A bundled scenario with `extra` more pods in the target's namespace that run as another service account. */
export function withPods(name: string, extra: number): Scenario {
  const base = loadScenario(name);
  const ns = base.target.namespace;
  const pods: KubeObject[] = [];
  for (let i = 0; i < extra; i++) {
    pods.push({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `batch-${i}`, namespace: ns, labels: { app: "batch" } },
      spec: {
        serviceAccountName: "batch",
        nodeName: "aks-nodepool1-0",
        containers: [
          { name: "worker", image: "contoso.azurecr.io/batch:1.0.0", env: [{ name: "N", value: String(i) }] },
        ],
      },
      status: { phase: "Running" },
    } as KubeObject);
  }
  return parseScenario({ ...base, kubernetes: { ...base.kubernetes, objects: [...base.kubernetes.objects, ...pods] } });
}

export async function benchScale(name: string, sizes: number[]) {
  const rows: { pods: number; loadMs: number; requests: number; bytes: number }[] = [];
  for (const size of sizes) {
    const t0 = performance.now();
    const scenario = withPods(name, size);
    const session = await startSimSession(scenario);
    const loadMs = performance.now() - t0;
    try {
      const target = { namespace: scenario.target.namespace, serviceAccount: scenario.target.serviceAccount };
      const before = { ...session.world.stats };
      await diagnose(session.env, target, { signal: AbortSignal.timeout(120_000), progress: async () => undefined });
      rows.push({
        pods: size,
        loadMs,
        requests: session.world.stats.requests - before.requests,
        bytes: session.world.stats.bytes - before.bytes,
      });
    } finally {
      await session.close();
    }
  }
  return rows;
}
