// Lean reads: looking for aad-pod-identity's MIC and NMI reads them by the labels their installs use, so a diagnosis
// reads no more when the cluster runs many more Deployments and DaemonSets elsewhere.
import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/gather/index.js";
import { startSimSession } from "../../src/sim/environment.js";
import { type KubeObject, loadScenario, parseScenario, type Scenario } from "../../src/sim/scenario.js";

/** The world with `n` more workloads (half Deployments, half DaemonSets) in a namespace of their own. */
function withWorkloads(name: string, n: number): Scenario {
  const base = loadScenario(name);
  const objects: KubeObject[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "batch" } } as KubeObject];
  for (let i = 0; i < n; i++) {
    const labels = { app: `svc-${i}` };
    objects.push({
      apiVersion: "apps/v1",
      kind: i % 2 ? "Deployment" : "DaemonSet",
      metadata: { name: `svc-${i}`, namespace: "batch", labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: "c", image: "contoso.azurecr.io/svc:1.0.0" }] },
        },
      },
    } as KubeObject);
  }
  return parseScenario({
    ...base,
    kubernetes: { ...base.kubernetes, objects: [...base.kubernetes.objects, ...objects] },
  });
}

async function bytesOfOneDiagnosis(scenario: Scenario): Promise<{ bytes: number; verdict: string }> {
  const session = await startSimSession(scenario);
  try {
    const before = session.world.stats.bytes;
    const report = await diagnose(session.env, scenario.target, {
      signal: AbortSignal.timeout(60_000),
      progress: async () => undefined,
    });
    return { bytes: session.world.stats.bytes - before, verdict: report.verdict };
  } finally {
    await session.close();
  }
}

describe("MIC and NMI are looked for by their labels", { timeout: 120_000 }, () => {
  it.each([
    // Workload identity: aad-pod-identity is looked for while the mechanism is decided, and is not there.
    ["aks-healthy"],
    // The AKS add-on (managed mode) runs no MIC: none is looked for.
    ["podid-identity-not-on-vmss-managed-mode"],
    // No MIC or NMI pods: their Deployment and DaemonSet, found by the chart's labels.
    ["podid-review-near-miss-controllers-without-pods"],
  ])("%s: 400 more workloads elsewhere add nothing to the reads", async (name) => {
    const small = await bytesOfOneDiagnosis(loadScenario(name));
    const large = await bytesOfOneDiagnosis(withWorkloads(name, 400));
    expect(large.verdict).toBe(loadScenario(name).expect.verdict);
    expect(small.verdict).toBe(large.verdict);
    // Listing them all would read 70 kB or more; the timing of the speculative workload identity reads moves
    // the total by a few hundred bytes.
    expect(large.bytes - small.bytes).toBeLessThan(5_000);
  });
});

describe("one lookup of the AKS cluster", () => {
  it("an aad-pod-identity diagnosis and the workload identity run it starts alongside list the clusters once", async () => {
    const scenario = loadScenario("podid-healthy");
    // Several diagnoses: the workload identity run gets further or less far before it is stopped.
    for (let i = 0; i < 4; i++) {
      const lists: string[] = [];
      const session = await startSimSession(scenario, {
        onRequest: (e) => {
          if (e.path.endsWith("/providers/Microsoft.ContainerService/managedClusters")) lists.push(e.path);
        },
      });
      try {
        const report = await diagnose(session.env, scenario.target, {
          signal: AbortSignal.timeout(60_000),
          progress: async () => undefined,
        });
        expect(report.mechanism).toBe("aad-pod-identity");
        expect(report.verdict).toBe("healthy");
      } finally {
        await session.close();
      }
      expect(lists).toHaveLength(1);
    }
  });
});
