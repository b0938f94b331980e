// test_token_exchange on EKS Pod Identity worlds: EKS Auth is asked with a pods.eks.amazonaws.com token, as the node
// agent would, and the tool raises what diagnose_workload_identity raises for the same exchange (ids and evidence).
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, describe, expect, it } from "vitest";
import { allTools } from "../../src/tools/index.js";
import { ReportSchema } from "../../src/tools/schemas.js";
import { connect, type Harness } from "../helpers/mcp.js";

const TARGET = { namespace: "orders", serviceAccount: "orders-api" };
type Out = Record<string, any> & {
  findings: { id: string; evidence: unknown }[];
  checks: { id: string; status: string }[];
};

const open: Harness[] = [];
afterAll(async () => {
  for (const h of open) await h.close();
});

async function world(scenario: string) {
  const h = await connect({ scenario });
  open.push(h);
  const raw = (name: string, args: Record<string, unknown>) =>
    h.client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
  const call = async (name: string, args: Record<string, unknown>): Promise<Out> => {
    const r = await raw(name, args);
    const text = (r.content?.[0] as { text?: string } | undefined)?.text ?? "";
    expect(r.isError, `${name}: ${text}`).toBeFalsy();
    allTools.find((t) => t.name === name)!.outputSchema.parse(r.structuredContent);
    // Never a token or a credential: claims, role ARNs and expiry only.
    expect(JSON.stringify(r)).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.|ASIA[A-Z0-9]{16}|SecretAccessKey|"SIMULATED/);
    return r.structuredContent as Out;
  };
  return { raw, call };
}

describe("test_token_exchange with EKS Pod Identity", () => {
  it("healthy: EKS Auth assumes the association's role; expiry shown, credentials not", async () => {
    const w = await world("eks-podid-healthy");
    const out = await w.call("test_token_exchange", TARGET);
    expect(out).toMatchObject({
      platform: "eks",
      mechanism: "pod-identity",
      audience: "pods.eks.amazonaws.com",
      roleArn: { value: "arn:aws:iam::111122223333:role/orders-api-podid", from: "association" },
      exchange: { status: "ok", success: true, error: null },
      token: { status: "ok", sub: "system:serviceaccount:orders:orders-api" },
    });
    expect(out.exchange.assumedRoleArn).toMatch(/^arn:aws:sts::111122223333:assumed-role\/orders-api-podid\//);
    expect(Date.parse(out.exchange.expiration)).toBeGreaterThan(Date.now());
    expect(out.findings).toEqual([]);
    expect(out.checks.find((c) => c.id === "eks.pod-identity-exchange")?.status).toBe("pass");
    // Choosing IRSA still asks STS (the world has no role annotation: nothing to ask for).
    const irsa = await w.call("test_token_exchange", { ...TARGET, mechanism: "irsa" });
    expect(irsa).toMatchObject({ mechanism: "irsa", exchange: { status: "skipped", success: null } });
  });

  it("a roleArn with mechanism pod-identity is bad input, named", async () => {
    const w = await world("eks-podid-healthy");
    const r = await w.raw("test_token_exchange", {
      ...TARGET,
      mechanism: "pod-identity",
      roleArn: "arn:aws:iam::111122223333:role/orders-api-podid",
    });
    expect(r.isError).toBe(true);
    expect((r.content?.[0] as { text?: string } | undefined)?.text).toMatch(/roleArn/);
  });

  it("no association: with pod-identity chosen, EKS Auth is not asked and the reason says why", async () => {
    const w = await world("eks-podid-association-missing");
    const out = await w.call("test_token_exchange", { ...TARGET, mechanism: "pod-identity" });
    expect(out.exchange).toMatchObject({ status: "skipped", success: null });
    expect(out.exchange.reason).toMatch(/no Pod Identity association for orders\/orders-api in cluster orders-prod/);
  });

  const agreeing = [
    "eks-podid-trust-invalid",
    "eks-podid-cross-account-external-id",
    "eks-podid-cross-account-permission",
    "eks-podid-session-tags-conditions",
    "eks-podid-session-tags-disabled",
    "eks-podid-cross-account-healthy",
  ];
  for (const scenario of agreeing) {
    it(`${scenario}: the exchange's findings equal diagnose_workload_identity's`, async () => {
      const w = await world(scenario);
      const out = await w.call("test_token_exchange", TARGET);
      expect(out.mechanism).toBe("pod-identity");
      expect(out.exchange.status).toBe("ok");
      const report = await w.call("diagnose_workload_identity", { ...TARGET, workload: "deployment/orders-api" });
      // The report's Pod Identity exchange (in the MCP output schema) holds EKS Auth's same answer.
      const parsed = ReportSchema.parse(report);
      expect(parsed.podIdentityExchange?.actual?.ok).toBe(out.exchange.success);
      const ran = out.checks.filter((c) => c.status === "pass" || c.status === "fail").map((c) => c.id);
      expect(ran).toContain("eks.pod-identity-exchange");
      for (const id of ran) {
        const pick = (o: Out) => o.findings.filter((f) => f.id === id).map((f) => ({ id: f.id, evidence: f.evidence }));
        expect(pick(out), id).toEqual(pick(report));
      }
      const expected = report.findings.map((f) => f.id).filter((id) => ran.includes(id));
      expect(out.findings.map((f) => f.id).sort()).toEqual([...new Set(expected)].sort());
    });
  }
});
