// The step tools on EKS over the simulated world, through an in-memory MCP client: structured results that
// validate against each tool's (shared) outputSchema, findings that agree with the one-call diagnosis, no
// token or credential in any output.
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIM_AWS_ACCESS_KEY_ID, SIM_AWS_SECRET_ACCESS_KEY } from "../../src/sim/constants.js";
import { startSimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";
import { allTools } from "../../src/tools/index.js";
import { connect, type Harness } from "../helpers/mcp.js";

const STEP_TOOLS = [
  "show_cluster_oidc",
  "inspect_service_account",
  "inspect_workload",
  "check_webhook",
  "inspect_token",
  "test_token_exchange",
];

const TARGET = { namespace: "orders", serviceAccount: "orders-api" };

/** Everything any tool returned in this file, scanned for tokens and keys at the end. */
const outputs: string[] = [];

interface Finding {
  id: string;
  severity: string;
  evidence: Record<string, unknown>;
}
interface Check {
  id: string;
  status: string;
  detail: string;
}
type Out = Record<string, any> & { findings: Finding[]; checks: Check[] };

interface World {
  h: Harness;
  /** diagnose_workload_identity for the scenario's own target. */
  diagnosis(): Promise<Out>;
  call(name: string, args: Record<string, unknown>): Promise<Out>;
  raw(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
}

async function open(scenario: string): Promise<World> {
  const h = await connect({ scenario });
  const raw = async (name: string, args: Record<string, unknown>) => {
    const r = (await h.client.callTool({ name, arguments: args })) as CallToolResult;
    outputs.push(JSON.stringify(r));
    return r;
  };
  let report: Promise<Out> | undefined;
  const world: World = {
    h,
    raw,
    diagnosis() {
      const t = h.session!.world.scenario.target;
      report ??= world.call("diagnose_workload_identity", {
        namespace: t.namespace,
        serviceAccount: t.serviceAccount,
        workload: t.workload,
        pod: t.pod,
      });
      return report;
    },
    async call(name, args) {
      const r = await raw(name, args);
      const text = (r.content?.[0] as { text?: string } | undefined)?.text ?? "";
      expect(r.isError, `${name}: ${text}`).toBeFalsy();
      const tool = allTools.find((t) => t.name === name)!;
      tool.outputSchema.parse(r.structuredContent);
      expect(text.length).toBeGreaterThan(0);
      return r.structuredContent as Out;
    },
  };
  return world;
}

const worlds = new Map<string, Promise<World>>();
function world(scenario: string): Promise<World> {
  let w = worlds.get(scenario);
  if (!w) {
    w = open(scenario);
    worlds.set(scenario, w);
  }
  return w;
}
afterAll(async () => {
  for (const w of worlds.values()) await (await w).h.close();
});

function useWorld(scenario: string) {
  const ref: { w?: World } = {};
  beforeAll(async () => {
    ref.w = await world(scenario);
  });
  return () => ref.w!;
}

const textOf = (r: CallToolResult) => (r.content?.[0] as { text?: string } | undefined)?.text ?? "";
const ids = (o: { findings: Finding[] }) => o.findings.map((f) => f.id);
const status = (o: { checks: Check[] }, id: string) => o.checks.find((c) => c.id === id)?.status;

describe("step tools: EKS in the descriptions and schemas", () => {
  it("every step tool says it serves both clouds and takes a platform", () => {
    for (const name of STEP_TOOLS) {
      const t = allTools.find((x) => x.name === name)!;
      expect(t.description, name).toMatch(/AKS/);
      expect(t.description, name).toMatch(/EKS/);
      expect(Object.keys(t.inputSchema.shape), name).toContain("platform");
      expect(Object.keys(t.outputSchema.shape), name).toContain("platform");
      expect(t.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true });
    }
  });
});

describe("step tools on a healthy IRSA setup (eks-irsa-healthy)", () => {
  const w = useWorld("eks-irsa-healthy");
  const ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/7B3F9C2A41E8D05F6A1C2B3D4E5F6071";
  const PROVIDER =
    "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/7B3F9C2A41E8D05F6A1C2B3D4E5F6071";
  const ROLE = "arn:aws:iam::111122223333:role/orders-api-s3";

  it("show_cluster_oidc: DescribeCluster's issuer, the IAM provider, its audience and thumbprints", async () => {
    const out = await w().call("show_cluster_oidc", {});
    expect(out.platform).toBe("eks");
    expect(out.cluster).toMatchObject({
      status: "ok",
      name: "orders-prod",
      region: "us-west-2",
      arn: "arn:aws:eks:us-west-2:111122223333:cluster/orders-prod",
      issuer: ISSUER,
    });
    expect(out.arm).toBeUndefined();
    expect(out.apiServer.issuer).toBe(ISSUER);
    expect(out.agree).toBe(true);
    expect(out.iamOidcProvider).toMatchObject({
      status: "ok",
      accountId: "111122223333",
      expectedArn: PROVIDER,
      exists: true,
      arn: PROVIDER,
      clientIdList: ["sts.amazonaws.com"],
      audience: "sts.amazonaws.com",
      audienceFrom: "default",
      audienceListed: true,
      thumbprintUsedByAws: false,
    });
    expect(out.iamOidcProvider.thumbprints).toHaveLength(1);
    expect(out.iamOidcProvider.thumbprintNote).toMatch(/not used/);
    expect(out.findings).toEqual([]);
    expect(out.checks.map((c) => [c.id, c.status])).toEqual([
      ["eks.oidc-provider-missing", "pass"],
      ["eks.oidc-audience-missing", "pass"],
      ["eks.thumbprint-mismatch", "pass"],
    ]);
    const named = await w().call("show_cluster_oidc", { clusterName: "orders-prod" });
    expect(named.cluster.arn).toBe(out.cluster.arn);
    expect(named.iamOidcProvider.arn).toBe(PROVIDER);
    // An audience the provider does not list is reported as missing, with the commands to add it.
    const other = await w().call("show_cluster_oidc", { audience: "api://other" });
    expect(other.iamOidcProvider).toMatchObject({
      audience: "api://other",
      audienceFrom: "input",
      audienceListed: false,
    });
    expect(ids(other)).toEqual(["eks.oidc-audience-missing"]);
    expect(other.findings[0].evidence).toMatchObject({
      clientIdList: ["sts.amazonaws.com"],
      tokenAudience: "api://other",
    });
  });

  it("show_cluster_oidc: a service account and an audience exclude each other", async () => {
    const r = await w().raw("show_cluster_oidc", { ...TARGET, audience: "sts.amazonaws.com" });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/audience/);
  });

  it("inspect_service_account: the role ARN annotation, its siblings and who uses it", async () => {
    const out = await w().call("inspect_service_account", TARGET);
    expect(out.platform).toBe("eks");
    expect(out.exists).toBe(true);
    expect(out.annotations.roleArn).toEqual({ key: "eks.amazonaws.com/role-arn", value: ROLE, valid: true });
    expect(out.annotations.audience).toMatchObject({ value: null, valid: true });
    expect(out.annotations.tokenExpiration).toMatchObject({ key: "eks.amazonaws.com/token-expiration", valid: true });
    expect(out.annotations.clientId).toBeUndefined();
    expect(out.usedBy.workloads.items).toEqual([{ kind: "Deployment", name: "orders-api" }]);
    expect(out.usedBy.pods.items).toEqual([{ name: "orders-api-5d8c7b9f6-k2x4p", phase: "Running", injected: "irsa" }]);
    expect(out.podIdentityAssociations).toEqual({ status: "ok", items: [] });
    expect(out.findings).toEqual([]);
    for (const id of ["sa.not-found", "sa.annotation-typo", "sa.role-arn-missing", "sa.role-arn-malformed"]) {
      expect(status(out, id), id).toBe("pass");
    }
  });

  it("inspect_workload: AWS_ROLE_ARN, the token file and the aws-iam-token volume were injected", async () => {
    const out = await w().call("inspect_workload", { namespace: "orders", workload: "deployment/orders-api" });
    expect(out.platform).toBe("eks");
    expect(out.workload.value).toEqual({
      kind: "Deployment",
      name: "orders-api",
      serviceAccountName: "orders-api",
      selector: "app=orders-api",
    });
    expect(out.serviceAccount).toMatchObject({
      name: "orders-api",
      roleArnAnnotation: ROLE,
      audience: "sts.amazonaws.com",
      podIdentityAssociations: [],
      expectedInjection: "irsa",
    });
    expect(out.webhookCreatedAt).toBeUndefined();
    expect(out.tokenFileMode).toBe("kep-1598");
    const pod = out.pods.items[0];
    expect(pod).toMatchObject({
      name: "orders-api-5d8c7b9f6-k2x4p",
      mutated: true,
      injected: "irsa",
      tokenVolume: { name: "aws-iam-token", audience: "sts.amazonaws.com", layout: "eks-irsa" },
      createdBeforeServiceAccountChange: false,
      injectedRoleArnMatchesAnnotation: true,
    });
    expect(pod.label).toBeUndefined();
    expect(pod.containers[0]).toMatchObject({
      name: "api",
      missingEnv: [],
      presetEnv: [],
      tokenMountPath: "/var/run/secrets/eks.amazonaws.com/serviceaccount",
    });
    expect(pod.containers[0].env.AWS_ROLE_ARN).toBe(ROLE);
    expect(out.findings).toEqual([]);
    for (const id of ["pod.not-mutated", "pod.restart-needed", "pod.aws-env-preset", "pod.token-unreadable"]) {
      expect(status(out, id), id).toBe("pass");
    }
    const byPod = await w().call("inspect_workload", { ...TARGET, pod: pod.name });
    expect(byPod.pods.items[0].name).toBe(pod.name);
    expect(byPod.workload).toBeUndefined();
    expect(status(byPod, "pod.service-account-mismatch")).toBe("pass");
  });

  it("check_webhook: pod-identity-webhook with failurePolicy Ignore, and no Pod Identity Agent", async () => {
    const out = await w().call("check_webhook", { namespace: "orders" });
    expect(out.platform).toBe("eks");
    expect(out.configuration.name).toBe("pod-identity-webhook");
    expect(out.configuration.webhooks[0]).toMatchObject({
      name: "iam-for-pods.amazonaws.com",
      failurePolicy: "Ignore",
      caBundlePresent: true,
    });
    expect(out.silentWhenDown).toBe(true);
    expect(out.deployment).toBeUndefined();
    expect(out.defaultTenantId).toBeUndefined();
    expect(out.namespace).toMatchObject({ name: "orders", exists: true, excluded: false });
    expect(out.podIdentityAgent).toMatchObject({ status: "ok", installed: false, healthy: false });
    expect(out.findings).toEqual([]);
    expect(status(out, "webhook.missing")).toBe("pass");
    // The agent only matters for Pod Identity: without a service account that uses it, it is not judged.
    expect(status(out, "eks.pod-identity-agent-missing")).toBe("skipped");
    const forSa = await w().call("check_webhook", TARGET);
    expect(forSa.checks.find((c) => c.id === "eks.pod-identity-agent-missing")?.detail).toMatch(
      /does not use EKS Pod Identity/,
    );
  });

  it("inspect_token: audience sts.amazonaws.com, claims only, verified against the EKS issuer's JWKS", async () => {
    const out = await w().call("inspect_token", TARGET);
    expect(out.platform).toBe("eks");
    expect(out.token).toMatchObject({ status: "ok", audienceRequested: "sts.amazonaws.com", audienceFrom: "default" });
    expect(out.token.claims).toMatchObject({
      iss: ISSUER,
      sub: "system:serviceaccount:orders:orders-api",
      aud: ["sts.amazonaws.com"],
    });
    expect(out.token.kid).toBe(w().h.session!.world.issuerKeys.signing.kid);
    expect(out.issuer).toMatchObject({
      status: "ok",
      discoveryIssuer: ISSUER,
      jwksUri: `${ISSUER}/keys`,
      kidPublished: true,
      signatureValid: true,
      problem: null,
    });
    expect(out.oidcProvider).toMatchObject({ status: "ok", arn: PROVIDER, tokenAudienceListed: true });
    expect(out.findings).toEqual([]);
    const custom = await w().call("inspect_token", { ...TARGET, audience: "api://custom", expirationSeconds: 600 });
    expect(custom.token.claims.aud).toEqual(["api://custom"]);
    expect(custom.token.audienceFrom).toBe("input");
    expect(custom.token.claims.exp - custom.token.claims.iat).toBe(600);
    expect(custom.oidcProvider.tokenAudienceListed).toBe(false);
  });

  it("test_token_exchange: STS answers with the assumed role and its expiry, never credentials", async () => {
    const out = await w().call("test_token_exchange", TARGET);
    expect(out.platform).toBe("eks");
    expect(out.roleArn).toEqual({ value: ROLE, from: "annotation" });
    expect(out.audience).toBe("sts.amazonaws.com");
    expect(out.exchange).toMatchObject({
      status: "ok",
      success: true,
      assumedRoleArn: "arn:aws:sts::111122223333:assumed-role/orders-api-s3/wi-doctor-check",
      error: null,
    });
    expect(Number.isNaN(Date.parse(out.exchange.expiration))).toBe(false);
    expect(out.clientId).toBeUndefined();
    expect(out.token).toMatchObject({ iss: ISSUER, sub: "system:serviceaccount:orders:orders-api" });
    expect(status(out, "exchange.failed")).toBe("pass");
    // An explicit role the trust policy does not admit: STS's refusal, decoded.
    const other = await w().call("test_token_exchange", {
      ...TARGET,
      roleArn: "arn:aws:iam::111122223333:role/someone-else",
    });
    expect(other.roleArn).toEqual({ value: "arn:aws:iam::111122223333:role/someone-else", from: "input" });
    expect(other.exchange.success).toBe(false);
    expect(other.exchange.error.codes).toEqual([other.exchange.error.error]);
    expect(ids(other)).toContain("exchange.failed");
  });

  it("refuses malformed input with the field named", async () => {
    const r = await w().raw("test_token_exchange", { ...TARGET, roleArn: "arn:aws:iam:us-west-2:1111:role/x-y-z" });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/roleArn/);
    const both = await w().raw("check_webhook", { serviceAccount: "orders-api" });
    expect(both.isError).toBe(true);
    expect(textOf(both)).toMatch(/namespace/);
  });
});

describe("step tools on a healthy Pod Identity setup (eks-podid-healthy)", () => {
  const w = useWorld("eks-podid-healthy");

  it("inspect_service_account: the association stands in for the annotation", async () => {
    const out = await w().call("inspect_service_account", TARGET);
    expect(out.podIdentityAssociations).toEqual({
      status: "ok",
      items: [{ associationId: "a-4kq7x2m9v1b3n5c8d", roleArn: "arn:aws:iam::111122223333:role/orders-api-podid" }],
    });
    expect(out.annotations.roleArn).toMatchObject({ value: null, valid: true });
    expect(out.usedBy.pods.items[0].injected).toBe("pod-identity");
    expect(out.findings).toEqual([]);
    expect(status(out, "eks.pod-identity-association-missing")).toBe("pass");
  });

  it("inspect_workload: the container credentials variables and the eks-pod-identity-token volume", async () => {
    const out = await w().call("inspect_workload", { ...TARGET, workload: "deployment/orders-api" });
    expect(out.serviceAccount).toMatchObject({
      podIdentityAssociations: ["a-4kq7x2m9v1b3n5c8d"],
      expectedInjection: "pod-identity",
    });
    const pod = out.pods.items[0];
    expect(pod).toMatchObject({ mutated: true, injected: "pod-identity" });
    expect(pod.tokenVolume).toMatchObject({ audience: "pods.eks.amazonaws.com", layout: "eks-pod-identity" });
    expect(Object.keys(pod.containers[0].env)).toEqual(
      expect.arrayContaining(["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]),
    );
    expect(pod.containers[0].missingEnv).toEqual([]);
    expect(out.findings).toEqual([]);
  });

  it("check_webhook: the agent is healthy for a service account that uses Pod Identity", async () => {
    const out = await w().call("check_webhook", TARGET);
    expect(out.podIdentityAgent).toMatchObject({ installed: true, desired: 3, ready: 3, healthy: true });
    expect(status(out, "eks.pod-identity-agent-missing")).toBe("pass");
    expect(out.findings).toEqual([]);
  });
});

describe("EKS step tools find what the diagnosis finds", () => {
  const WL = { ...TARGET, workload: "deployment/orders-api" };
  const cases: { scenario: string; tool: string; args: Record<string, unknown>; expect: string[] }[] = [
    {
      scenario: "eks-oidc-provider-missing",
      tool: "show_cluster_oidc",
      args: {},
      expect: ["eks.oidc-provider-missing"],
    },
    {
      scenario: "eks-oidc-provider-missing",
      tool: "inspect_token",
      args: TARGET,
      expect: ["eks.oidc-provider-missing"],
    },
    {
      scenario: "eks-oidc-audience-wrong",
      tool: "show_cluster_oidc",
      args: TARGET,
      expect: ["eks.oidc-audience-missing"],
    },
    { scenario: "eks-oidc-audience-wrong", tool: "inspect_token", args: TARGET, expect: ["eks.oidc-audience-missing"] },
    { scenario: "eks-sa-not-found", tool: "inspect_service_account", args: TARGET, expect: ["sa.not-found"] },
    { scenario: "eks-sa-not-found", tool: "inspect_token", args: TARGET, expect: ["sa.not-found"] },
    {
      scenario: "eks-sa-annotation-typo",
      tool: "inspect_service_account",
      args: TARGET,
      expect: ["sa.annotation-typo"],
    },
    {
      scenario: "eks-sa-role-arn-malformed",
      tool: "inspect_service_account",
      args: TARGET,
      expect: ["sa.role-arn-malformed"],
    },
    {
      scenario: "eks-sa-role-arn-missing",
      tool: "inspect_service_account",
      args: TARGET,
      expect: ["sa.role-arn-missing"],
    },
    {
      scenario: "eks-podid-association-missing",
      tool: "inspect_service_account",
      args: TARGET,
      expect: ["eks.pod-identity-association-missing"],
    },
    { scenario: "eks-pod-restart-needed", tool: "inspect_workload", args: WL, expect: ["pod.restart-needed"] },
    { scenario: "eks-aws-env-preset", tool: "inspect_workload", args: WL, expect: ["pod.aws-env-preset"] },
    {
      scenario: "eks-pod-service-account-mismatch",
      tool: "inspect_workload",
      args: WL,
      expect: ["pod.service-account-mismatch"],
    },
    { scenario: "eks-token-permission-denied", tool: "inspect_workload", args: WL, expect: ["pod.token-unreadable"] },
    { scenario: "eks-webhook-missing", tool: "inspect_workload", args: WL, expect: ["pod.not-mutated"] },
    {
      scenario: "eks-webhook-missing",
      tool: "check_webhook",
      args: { namespace: "orders" },
      expect: ["webhook.missing"],
    },
    {
      scenario: "eks-podid-agent-missing",
      tool: "check_webhook",
      args: TARGET,
      expect: ["eks.pod-identity-agent-missing"],
    },
    { scenario: "eks-trust-subject-mismatch", tool: "test_token_exchange", args: TARGET, expect: ["exchange.failed"] },
    { scenario: "eks-iam-role-not-found", tool: "test_token_exchange", args: TARGET, expect: ["exchange.failed"] },
    { scenario: "eks-thumbprint-mismatch", tool: "test_token_exchange", args: TARGET, expect: ["exchange.failed"] },
  ];

  for (const c of cases) {
    it(`${c.tool} on ${c.scenario} raises ${c.expect.join(", ")} exactly as diagnose_workload_identity does`, async () => {
      const w = await world(c.scenario);
      const out = await w.call(c.tool, c.args);
      expect(out.platform).toBe("eks");
      for (const id of c.expect) expect(ids(out), id).toContain(id);
      const report = await w.diagnosis();
      expect(report.platform).toBe("eks");
      // Every check the step ran (not skipped for want of a fact) raises what the diagnosis raised, evidence and all.
      const ran = out.checks.filter((x) => x.status === "pass" || x.status === "fail").map((x) => x.id);
      expect(ran.length).toBeGreaterThan(0);
      for (const id of ran) {
        const pick = (o: Out) => o.findings.filter((f) => f.id === id).map((f) => ({ id: f.id, evidence: f.evidence }));
        expect(pick(out), id).toEqual(pick(report));
      }
    });
  }

  it("test_token_exchange decodes STS's refusal: code, message and what it means", async () => {
    const w = await world("eks-trust-subject-mismatch");
    const out = await w.call("test_token_exchange", TARGET);
    expect(out.exchange.success).toBe(false);
    expect(out.exchange.error).toMatchObject({ error: "AccessDenied", codes: ["AccessDenied"], traceId: null });
    expect(out.exchange.error.description).toMatch(/AssumeRoleWithWebIdentity/);
    expect(out.exchange.error.meaning).toMatch(/trust policy/i);
    const evidence = out.findings.find((f) => f.id === "exchange.failed")!.evidence;
    expect(evidence).toMatchObject({ stsCode: "AccessDenied", predictedFromConfiguration: "rejected" });
  });

  it("show_cluster_oidc says when AWS still relies on the thumbprint (a self-hosted issuer)", async () => {
    const self = await (await world("eks-thumbprint-mismatch")).call("show_cluster_oidc", { platform: "eks" });
    expect(self.iamOidcProvider).toMatchObject({ exists: true, thumbprintUsedByAws: true });
    expect(self.iamOidcProvider.thumbprintNote).toMatch(/thumbprint/);
    const hosted = await (await world("eks-near-miss-thumbprint-stale")).call("show_cluster_oidc", {});
    expect(hosted.iamOidcProvider.thumbprintUsedByAws).toBe(false);
    expect(hosted.findings).toEqual([]);
  });

  it("near misses stay quiet: a non-root container on a current cluster can read its token", async () => {
    const out = await (await world("eks-near-miss-nonroot-current")).call("inspect_workload", WL);
    expect(out.tokenFileMode).toBe("kep-1598");
    expect(out.pods.items[0].containers.some((c: { runsAsNonRoot: boolean }) => c.runsAsNonRoot)).toBe(true);
    expect(out.findings).toEqual([]);
    expect(status(out, "pod.token-unreadable")).toBe("pass");
  });

  it("the role ARN's problem is spelt out next to the annotation", async () => {
    const out = await (await world("eks-sa-role-arn-malformed")).call("inspect_service_account", TARGET);
    expect(out.annotations.roleArn).toMatchObject({ valid: false, problem: expect.stringMatching(/region/) });
    const typo = await (await world("eks-sa-annotation-typo")).call("inspect_service_account", TARGET);
    expect(typo.nearMissKeys).toEqual([
      {
        key: "eks.amazon.com/role-arn",
        meant: "eks.amazonaws.com/role-arn",
        value: "arn:aws:iam::111122223333:role/orders-api-s3",
      },
    ]);
  });
});

describe("EKS step tools without an AWS credential or with the exchange disabled", () => {
  it("read the cluster and say why the AWS parts were skipped", async () => {
    const w = await world("eks-no-aws-credential");
    const sa = await w.call("inspect_service_account", TARGET);
    expect(sa.exists).toBe(true);
    expect(sa.podIdentityAssociations.status).toBe("skipped");
    expect(sa.podIdentityAssociations.reason).toBeTruthy();
    const oidc = await w.call("show_cluster_oidc", {});
    expect(oidc.iamOidcProvider.status).not.toBe("ok");
    expect(oidc.iamOidcProvider.exists).toBeNull();
    expect(oidc.apiServer.status).toBe("ok");
    expect(oidc.findings).toEqual([]);
    expect(status(oidc, "eks.oidc-provider-missing")).toBe("skipped");
    const wl = await w.call("inspect_workload", { ...TARGET, workload: "deployment/orders-api" });
    expect(wl.pods.items.length).toBeGreaterThan(0);
  });

  it("test_token_exchange refuses to call STS under --no-exchange", async () => {
    const session = await startSimSession(loadScenario("eks-irsa-healthy"), { allowExchange: false });
    const h = await connect({ environment: async () => session.env });
    try {
      const r = (await h.client.callTool({ name: "test_token_exchange", arguments: TARGET })) as CallToolResult;
      outputs.push(JSON.stringify(r));
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/STS was not contacted/);
    } finally {
      await h.close();
      await session.close();
    }
  });
});

describe("the platform can be forced", () => {
  it("an AKS world inspected as EKS answers in the EKS shape", async () => {
    const w = await world("aks-healthy");
    const out = await w.call("inspect_service_account", {
      namespace: "payments",
      serviceAccount: "payments-api",
      platform: "eks",
    });
    expect(out.platform).toBe("eks");
    expect(out.annotations.roleArn).toMatchObject({ value: null, valid: false, problem: "missing" });
    const aks = await w.call("inspect_service_account", { namespace: "payments", serviceAccount: "payments-api" });
    expect(aks.platform).toBe("aks");
    expect(aks.annotations.clientId.valid).toBe(true);
  });
});

describe("no token or credential in any output", () => {
  it("carries claims and role ARNs only", () => {
    expect(outputs.length).toBeGreaterThan(30);
    const all = outputs.join("\n");
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
    expect(all).not.toMatch(/ASIA[A-Z0-9]{16}/);
    expect(all).not.toContain(SIM_AWS_ACCESS_KEY_ID);
    expect(all).not.toContain(SIM_AWS_SECRET_ACCESS_KEY);
    expect(all).not.toMatch(/SecretAccessKey|SessionToken|"SIMULATED/);
  });
});
