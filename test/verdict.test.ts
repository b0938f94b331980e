// The verdict model (docs/findings.md, "Verdict"): healthy only when every essential check ran and passed.
import { describe, expect, it } from "vitest";
import { diagnose } from "../src/gather/index.js";
import { startSimSession } from "../src/sim/environment.js";
import { loadScenario, type Scenario } from "../src/sim/scenario.js";
import { connect } from "./helpers/mcp.js";

const quiet = { progress: async () => undefined };

async function diagnoseWith(
  name: string,
  change: (s: Scenario) => void,
  target?: Partial<Scenario["target"]>,
  opts: { allowExchange?: boolean } = {},
) {
  const scenario = structuredClone(loadScenario(name));
  change(scenario);
  const session = await startSimSession(scenario, opts);
  try {
    return await diagnose(
      session.env,
      { ...scenario.target, ...target },
      { signal: AbortSignal.timeout(30_000), ...quiet },
    );
  } finally {
    await session.close();
  }
}

describe("a target that does not exist", () => {
  it.each([
    ["aks-healthy", { workload: "deployment/no-such-app" }],
    ["aks-healthy", { pod: "no-such-pod" }],
    ["eks-irsa-healthy", { workload: "deployment/no-such-app" }],
    ["podid-healthy", { workload: "deployment/no-such-app" }],
  ])("%s with %j next to a valid service account is inconclusive and says so", async (name, missing) => {
    const report = await diagnoseWith(name, () => undefined, { workload: undefined, pod: undefined, ...missing });
    expect(report.verdict).toBe("inconclusive");
    expect(report.unsettled?.map((u) => u.reason).join(" ")).toMatch(/does not exist/);
  });
});

describe("the issuer unreachable from here is not Entra's AADSTS90061", () => {
  const operatorOnly = (s: Scenario) => {
    s.faults.rules = [{ service: "oidc", path: "", status: 503, from: "operator" }];
  };

  it("when the exchange succeeds: healthy, and no error about the issuer", async () => {
    const report = await diagnoseWith("aks-healthy", operatorOnly);
    expect(report.verdict).toBe("healthy");
    const issuer = report.findings.filter((f) => f.id === "issuer.unreachable");
    expect(issuer.map((f) => f.severity)).toEqual(["info"]);
    expect(JSON.stringify(report.findings)).not.toMatch(/AADSTS90061/);
  });

  it("without an exchange: inconclusive, naming the fetch that failed and what would settle it", async () => {
    const report = await diagnoseWith("aks-healthy", operatorOnly, {}, { allowExchange: false });
    expect(report.verdict).toBe("inconclusive");
    expect(report.findings.filter((f) => f.severity === "error")).toEqual([]);
    const u = report.unsettled?.find((x) => x.check === "issuer.unreachable");
    expect(u?.reason).toMatch(/503/);
    expect(u?.reason).toMatch(/token exchange/);
  });

  it("when Entra cannot fetch it either, the exchange's AADSTS90061 makes it an error", async () => {
    const report = await diagnoseWith("aks-healthy", (s) => {
      s.faults.rules = [{ service: "oidc", path: "", status: 503 }];
    });
    expect(report.verdict).toBe("broken");
    const f = report.findings.find((x) => x.id === "issuer.unreachable");
    expect(f?.severity).toBe("error");
    expect(f?.title).toMatch(/AADSTS90061/);
  });
});

describe("a successful exchange does not outvote checks about other resources", () => {
  it("Key Vault unreadable, exchange fine: inconclusive, naming the vault read", async () => {
    const report = await diagnoseWith("aks-healthy", (s) => {
      s.faults.rules = [{ service: "arm", path: "vaults", status: 403 }];
    });
    expect(report.checks.find((c) => c.id === "exchange.failed")?.status).toBe("pass");
    expect(report.verdict).toBe("inconclusive");
    expect(report.unsettled?.map((u) => u.check)).toContain("keyvault.access-policy-missing");
  });

  it("federated credentials unreadable, exchange fine: the identity chain is settled by the exchange", async () => {
    const report = await diagnoseWith("aks-healthy", (s) => {
      s.faults.rules = [{ service: "arm", path: "federatedIdentityCredentials", status: 500 }];
    });
    expect(report.checks.find((c) => c.id === "fic.subject-mismatch")?.status).toBe("skipped");
    expect(report.verdict).toBe("healthy");
  });
});

describe("step tools", () => {
  it("inspect_pod_identity never says healthy when no check applied", async () => {
    const h = await connect({ scenario: "aks-healthy" });
    try {
      const r = await h.client.callTool({ name: "inspect_pod_identity", arguments: { namespace: "payments" } });
      const out = r.structuredContent as { verdict: string; checks: { status: string }[] };
      if (!out.checks.some((c) => c.status === "pass")) expect(out.verdict).not.toBe("healthy");
      expect((r.content as { text: string }[])[0].text).not.toMatch(/^HEALTHY/);
    } finally {
      await h.close();
    }
  });

  it.each([
    ["eks-irsa-healthy", "inspect_pod_identity", { namespace: "orders" }, /for AKS only.*EKS.*inspect_iam_role/],
    ["eks-irsa-healthy", "plan_migration", {}, /for AKS only.*EKS.*diagnose_workload_identity/],
    ["eks-irsa-healthy", "list_federated_credentials", { clientId: "00000000-0000-0000-0000-000000000001" }, /for AKS/],
    ["aks-healthy", "inspect_iam_role", { roleName: "orders-api-s3" }, /for EKS only.*AKS.*list_federated_credentials/],
  ])("%s: %s answers isError naming the tool to use instead", async (world, tool, args, message) => {
    const h = await connect({ scenario: world });
    try {
      const r = await h.client.callTool({ name: tool, arguments: args });
      expect(r.isError).toBe(true);
      const text = (r.content as { text: string }[])[0].text;
      expect(text).toMatch(message);
      expect(text).not.toMatch(/Region is missing|HEALTHY|az aks update/);
    } finally {
      await h.close();
    }
  });
});
