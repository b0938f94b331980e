// --anonymise: ids and names renamed consistently, and the world still diagnoses the same.
import { describe, expect, it } from "vitest";
import { captureScenario } from "../../src/capture/index.js";
import { diagnose } from "../../src/gather/index.js";
import { startSimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";
import { SPAWNS_TIMEOUT_MS } from "../helpers/spawn.js";

describe("capture --anonymise", { timeout: SPAWNS_TIMEOUT_MS }, () => {
  it.each([
    ["aks-fic-subject-namespace-typo"],
    ["eks-oidc-audience-wrong"],
    ["aks-binding-rbac-unbound"],
    ["aks-keyvault-other-tenant"],
    ["podid-near-miss-service-principal"],
  ])("%s", async (name) => {
    const original = loadScenario(name);
    const served = await startSimSession(original);
    let yaml: string;
    let captured: Awaited<ReturnType<typeof captureScenario>>["scenario"];
    try {
      const r = await captureScenario(served.env, { namespace: original.target.namespace, anonymise: true, salt: "t" });
      yaml = r.yaml;
      captured = r.scenario;
    } finally {
      await served.close();
    }
    // The originals are gone: namespace, tenant / account ids.
    expect(yaml).not.toContain(original.target.namespace);
    if (original.azure) expect(yaml).not.toContain(original.azure.tenantId);
    if (original.aws) expect(yaml).not.toContain(original.aws.accountId);
    // The same diagnosis on the renamed world (the target renamed the same way).
    const ns = captured.target.namespace;
    expect(ns).not.toBe(original.target.namespace);
    const sa = original.target.serviceAccount;
    const renamedSa = sa
      ? (captured.kubernetes.objects.find(
          (o) => o.kind === "ServiceAccount" && o.metadata.namespace === ns && o.metadata.name !== "default",
        )?.metadata.name as string)
      : undefined;
    const replay = await startSimSession(captured);
    try {
      const report = await diagnose(
        replay.env,
        { namespace: ns, serviceAccount: renamedSa },
        {
          signal: AbortSignal.timeout(30_000),
          progress: async () => undefined,
        },
      );
      expect(report.verdict).toBe(original.expect.verdict);
      expect(report.findings.find((f) => f.severity !== "info")?.id).toBe(original.expect.findings[0]);
    } finally {
      await replay.close();
    }
  });
});
