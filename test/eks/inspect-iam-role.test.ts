// inspect_iam_role through an MCP client: the decoded trust policy, the evaluation, findings, input errors.
import { afterEach, describe, expect, it } from "vitest";
import { inspectIamRole } from "../../src/tools/inspect_iam_role.js";
import { connect, type Harness } from "../helpers/mcp.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function call(scenario: string, args: Record<string, unknown>) {
  h = await connect({ scenario, tools: [inspectIamRole] });
  return h.client.callTool({ name: "inspect_iam_role", arguments: args });
}

describe("inspect_iam_role", () => {
  it("is read-only, idempotent and open-world", () => {
    expect(inspectIamRole.annotations).toEqual({
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: true,
    });
  });

  it("says the service account's token would be accepted by a matching policy", async () => {
    const r = await call("eks-irsa-healthy", {
      roleArn: "arn:aws:iam::111122223333:role/orders-api-s3",
      namespace: "orders",
      serviceAccount: "orders-api",
    });
    expect(r.isError).toBeFalsy();
    const out = r.structuredContent as {
      irsa: { evaluation: { accepted: boolean; allowedBy: number } };
      trustPolicy: { Version: string };
      findings: unknown[];
      role: { attachedPolicies: string[] };
    };
    expect(out.trustPolicy.Version).toBe("2012-10-17");
    expect(out.irsa.evaluation).toMatchObject({ accepted: true, allowedBy: 0 });
    expect(out.findings).toEqual([]);
    expect(out.role.attachedPolicies).toEqual(["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]);
  });

  it("names the failing clause and the mistake for a wildcard inside StringEquals", async () => {
    const r = await call("eks-trust-wildcard-stringequals", {
      roleName: "orders-api-s3",
      namespace: "orders",
      serviceAccount: "orders-api",
    });
    const out = r.structuredContent as {
      irsa: {
        evaluation: {
          accepted: boolean;
          failingClause: { key: string; operator: string };
          mistakes: { kind: string }[];
        };
      };
      findings: { id: string; fix: { commands: string[] } }[];
    };
    expect(out.irsa.evaluation.accepted).toBe(false);
    expect(out.irsa.evaluation.failingClause).toMatchObject({
      key: "oidc.eks.us-west-2.amazonaws.com/id/7B3F9C2A41E8D05F6A1C2B3D4E5F6071:sub",
      operator: "StringEquals",
    });
    expect(out.irsa.evaluation.mistakes.map((m) => m.kind)).toContain("wildcard-in-stringequals");
    expect(out.findings[0].id).toBe("iam.trust-wildcard-in-stringequals");
    expect(out.findings[0].fix.commands.join(" ")).toContain("--role-name orders-api-s3");
    const text = (r.content as { text: string }[])[0].text;
    expect(text).toContain("REJECTED");
  });

  it("evaluates a Pod Identity role for pods.eks.amazonaws.com", async () => {
    const r = await call("eks-podid-trust-invalid", { roleName: "orders-api-podid" });
    const out = r.structuredContent as {
      podIdentity: { accepted: boolean; failingClause: { actual: string } };
      irsa: unknown;
    };
    expect(out.irsa).toBeNull();
    expect(out.podIdentity.accepted).toBe(false);
    expect(out.podIdentity.failingClause.actual).toBe("sts:TagSession");
  });

  it("reports a missing role as a finding, and refuses unusable input with the field named", async () => {
    const r = await call("eks-irsa-healthy", { roleName: "nope", namespace: "orders", serviceAccount: "orders-api" });
    const out = r.structuredContent as { role: { exists: boolean }; findings: { id: string }[] };
    expect(out.role.exists).toBe(false);
    expect(out.findings.map((f) => f.id)).toEqual(["iam.role-not-found"]);
    const bad = await h!.client.callTool({
      name: "inspect_iam_role",
      arguments: { roleArn: "arn:aws:iam:us-west-2:111122223333:role/x" },
    });
    expect(bad.isError).toBe(true);
    expect((bad.content as { text: string }[])[0].text).toMatch(/roleArn/);
    const half = await h!.client.callTool({
      name: "inspect_iam_role",
      arguments: { roleName: "x", namespace: "orders" },
    });
    expect(half.isError).toBe(true);
    expect((half.content as { text: string }[])[0].text).toMatch(/namespace \+ serviceAccount/);
  });
});
