// --anonymise: ids and names renamed consistently, and the world still diagnoses the same.
import { describe, expect, it } from "vitest";
import { makeAnonymiser } from "../../src/capture/anonymise.js";
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
    ["eks-podid-healthy"],
    ["eks-podid-session-tags-disabled"],
    ["eks-podid-cross-account-healthy"],
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
    // The EKS cluster id, in either case (the endpoint has it upper case, the kubeconfig's server lower case).
    const clusterId = /[0-9A-F]{32}/i.exec(original.kubernetes.server)?.[0];
    if (clusterId) expect(yaml.toLowerCase()).not.toContain(clusterId.toLowerCase());
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
      const ids = report.findings.filter((f) => f.severity !== "info").map((f) => f.id);
      expect(ids[0]).toBe(original.expect.findings[0]);
      expect(ids).toEqual(expect.arrayContaining(original.expect.findings));
    } finally {
      await replay.close();
    }
  });

  it("renames an EKS cluster id the same in either case", () => {
    const id = "7B3F9C2A41E8D05F6A1C2B3D4E5F6071";
    const out = makeAnonymiser([], "t").apply(
      `server: https://${id.toLowerCase()}.gr7.us-west-2.eks.amazonaws.com\nissuer: https://oidc.eks.us-west-2.amazonaws.com/id/${id}`,
    );
    const [lower, upper] = [/https:\/\/([0-9a-f]{32})\.gr7/.exec(out)?.[1], /\/id\/([0-9A-F]{32})$/.exec(out)?.[1]];
    expect(lower).toBeDefined();
    expect(lower).not.toBe(id.toLowerCase());
    expect(upper).toBe(lower?.toUpperCase());
  });
});
