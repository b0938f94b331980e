// The AKS step tools over the simulated world, through an in-memory MCP client: structured results that
// validate against each tool's outputSchema, findings that agree with the one-call diagnosis, no tokens.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../../src/server.js";
import { startSimSession, type SimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";
import { allTools } from "../../src/tools/index.js";

const STEP_TOOLS = [
  "show_cluster_oidc",
  "list_federated_credentials",
  "inspect_service_account",
  "inspect_workload",
  "check_webhook",
  "inspect_token",
  "test_token_exchange",
  "check_role_assignments",
  "check_keyvault_access",
];

const TARGET = { namespace: "payments", serviceAccount: "payments-api" };
const SUB = "0b1f6471-1bf0-4dda-aec3-5c1e2f3a4b6d";
const VAULT_ID = `/subscriptions/${SUB}/resourceGroups/payments-rg/providers/Microsoft.KeyVault/vaults/payments-kv`;
const GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action";

/** Everything any tool returned in this file, scanned for tokens at the end. */
const outputs: string[] = [];

interface Finding {
  id: string;
  severity: string;
  evidence: Record<string, unknown>;
  remediation?: { tool: string; arguments: Record<string, unknown> };
}
interface Check {
  id: string;
  status: string;
  detail: string;
}
type Out = Record<string, any> & { findings: Finding[]; checks: Check[] };

interface World {
  session: SimSession;
  call(name: string, args: Record<string, unknown>): Promise<Out>;
  raw(name: string, args: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

async function open(scenario: string, opts: { allowExchange?: boolean } = {}): Promise<World> {
  const session = await startSimSession(loadScenario(scenario), opts);
  const server = createServer({ environment: async () => session.env });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "steps-test", version: "0.0.0" });
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  const raw = async (name: string, args: Record<string, unknown>) => {
    const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
    outputs.push(JSON.stringify(r));
    return r;
  };
  return {
    session,
    raw,
    async call(name, args) {
      const r = await raw(name, args);
      const text = (r.content?.[0] as { text?: string } | undefined)?.text ?? "";
      expect(r.isError, `${name}: ${text}`).toBeFalsy();
      const tool = allTools.find((t) => t.name === name)!;
      // The server checks this too; parsing here proves the shape independently of the SDK.
      tool.outputSchema.parse(r.structuredContent);
      expect(text.length).toBeGreaterThan(0);
      return r.structuredContent as Out;
    },
    async close() {
      await client.close();
      await server.close();
      await session.close();
    },
  };
}

const ids = (o: { findings: Finding[] }) => o.findings.map((f) => f.id);
const status = (o: { checks: Check[] }, id: string) => o.checks.find((c) => c.id === id)?.status;

// One world per scenario for the whole file: every tool here is read-only.
const worlds = new Map<string, Promise<World>>();
function world(scenario: string, opts: { allowExchange?: boolean } = {}): Promise<World> {
  const key = `${scenario}${opts.allowExchange === false ? " --no-exchange" : ""}`;
  let w = worlds.get(key);
  if (!w) {
    w = open(scenario, opts);
    worlds.set(key, w);
  }
  return w;
}
afterAll(async () => {
  for (const w of worlds.values()) await (await w).close();
});

function useWorld(scenario: string, opts: { allowExchange?: boolean } = {}) {
  const ref: { w?: World } = {};
  beforeAll(async () => {
    ref.w = await world(scenario, opts);
  });
  return () => ref.w!;
}

describe("step tools: registration", () => {
  it("registers every step tool read-only, idempotent, with both schemas", () => {
    for (const name of STEP_TOOLS) {
      const t = allTools.find((x) => x.name === name);
      expect(t, name).toBeDefined();
      expect(t!.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true });
      expect(t!.description.length, name).toBeGreaterThan(200);
    }
    // Every step tool reads a cluster or a cloud API (on EKS even the Kubernetes-side ones ask EKS for Pod
    // Identity associations), so each is marked as reaching an open world.
    const open = STEP_TOOLS.filter((n) => allTools.find((t) => t.name === n)!.annotations.openWorldHint);
    expect(open.sort()).toEqual([...STEP_TOOLS].sort());
  });
});

describe("step tools on a healthy cluster (aks-healthy)", () => {
  const w = useWorld("aks-healthy");

  it("show_cluster_oidc: ARM and the API server agree on the issuer", async () => {
    const out = await w().call("show_cluster_oidc", {});
    expect(out.cluster).toMatchObject({ status: "ok", name: "payments-aks", resourceGroup: "payments-rg" });
    expect(out.arm).toEqual({
      oidcIssuerEnabled: true,
      issuerURL: w().session.world.scenario.kubernetes.issuer,
      workloadIdentityEnabled: true,
    });
    expect(out.apiServer.issuer).toBe(w().session.world.scenario.kubernetes.issuer);
    expect(out.agree).toBe(true);
    expect(out.findings).toEqual([]);
    expect(out.checks.map((c) => c.status)).toEqual(["pass", "pass", "pass"]);
    const named = await w().call("show_cluster_oidc", { clusterName: "payments-aks", resourceGroup: "payments-rg" });
    expect(named.cluster.id).toBe(out.cluster.id);
  });

  it("list_federated_credentials: the credential matches issuer, subject and audience", async () => {
    const out = await w().call("list_federated_credentials", {
      identityName: "payments-api-identity",
      resourceGroup: "payments-rg",
      ...TARGET,
    });
    expect(out.identity.value).toMatchObject({
      kind: "managedIdentity",
      clientId: "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f",
    });
    expect(out.issuerSource).toBe("apiServer");
    expect(out.credentials.count).toBe(1);
    expect(out.credentials.items[0].comparison).toMatchObject({
      matches: true,
      issuer: { result: "match" },
      subject: { result: "match", expected: "system:serviceaccount:payments:payments-api" },
      audience: { result: "match" },
    });
    expect(out.findings).toEqual([]);
    expect(status(out, "fic.subject-mismatch")).toBe("pass");
    // Without a service account there is nothing to compare with: just the list.
    const bare = await w().call("list_federated_credentials", { clientId: "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f" });
    expect(bare.credentials.items[0].comparison).toBeUndefined();
    expect(bare.expected).toBeNull();
    // The service account alone names the identity through its annotation.
    const bySa = await w().call("list_federated_credentials", TARGET);
    expect(bySa.identity.value.name).toBe("payments-api-identity");
    expect(status(bySa, "identity.not-found")).toBe("pass");
  });

  it("inspect_service_account: valid annotations and who uses it", async () => {
    const out = await w().call("inspect_service_account", TARGET);
    expect(out.exists).toBe(true);
    expect(out.annotations.clientId).toMatchObject({ valid: true, value: "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f" });
    expect(out.annotations.tokenExpiration).toMatchObject({ value: null, valid: true });
    expect(out.nearMissKeys).toEqual([]);
    expect(out.usedBy.workloads.items).toEqual([
      { kind: "Deployment", name: "payments-api", podTemplateLabelled: true },
    ]);
    expect(out.usedBy.pods.items).toEqual([{ name: "payments-api-6f7c9d8b5-x2x8q", phase: "Running", labelled: true }]);
    expect(out.findings).toEqual([]);
  });

  it("inspect_workload: labelled template, mutated pod with the v1.5 layout", async () => {
    const out = await w().call("inspect_workload", {
      namespace: "payments",
      workload: "deployment/payments-api",
      serviceAccount: "payments-api",
    });
    expect(out.workload.value).toMatchObject({
      kind: "Deployment",
      podTemplateLabel: "true",
      serviceAccountName: "payments-api",
    });
    const pod = out.pods.items[0];
    expect(pod).toMatchObject({
      mutated: true,
      createdBeforeWebhook: false,
      injectedClientIdMatchesAnnotation: true,
      tokenVolume: { layout: "v1.5", audience: "api://AzureADTokenExchange" },
      hardcodedTokenPaths: [],
    });
    expect(pod.containers[0].missingEnv).toEqual([]);
    expect(out.findings).toEqual([]);
    expect(status(out, "pod.service-account-mismatch")).toBe("pass");
    const byPod = await w().call("inspect_workload", { namespace: "payments", pod: pod.name });
    expect(byPod.pods.items[0].name).toBe(pod.name);
    expect(byPod.serviceAccount.name).toBe("payments-api");
    expect(byPod.workload).toBeUndefined();
  });

  it("check_webhook: the AKS add-on is ready and selects the namespace", async () => {
    const out = await w().call("check_webhook", { namespace: "payments" });
    expect(out.deployment).toMatchObject({
      namespace: "kube-system",
      mode: "aks-add-on",
      readyReplicas: 2,
      replicas: 2,
    });
    expect(out.deployment.images[0]).toMatch(/webhook:v1\.5/);
    expect(out.readyEndpoints).toBe(2);
    expect(out.configuration.webhooks[0]).toMatchObject({
      failurePolicy: "Fail",
      caBundlePresent: true,
      objectSelector: "azure.workload.identity/use=true",
      namespaceSelector: "!control-plane",
    });
    expect(out.namespace).toMatchObject({ name: "payments", exists: true, excluded: false });
    expect(out.defaultTenantId).toBe("6d3e1a52-8c3f-4b7e-9f1a-2b5c7d9e0f11");
    expect(out.findings).toEqual([]);
  });

  it("inspect_token: claims and key id only, signature verified as Entra would", async () => {
    const out = await w().call("inspect_token", TARGET);
    expect(out.token.claims).toMatchObject({
      iss: w().session.world.scenario.kubernetes.issuer,
      sub: "system:serviceaccount:payments:payments-api",
      aud: ["api://AzureADTokenExchange"],
    });
    expect(out.token.kid).toBe(w().session.world.issuerKeys.signing.kid);
    expect(out.issuer).toMatchObject({ status: "ok", kidPublished: true, signatureValid: true });
    expect(out.findings).toEqual([]);
    expect(status(out, "issuer.unreachable")).toBe("pass");
    expect(status(out, "issuer.signing-key-missing")).toBe("pass");
    const custom = await w().call("inspect_token", { ...TARGET, audience: "api://custom", expirationSeconds: 600 });
    expect(custom.token.claims.aud).toEqual(["api://custom"]);
    expect(custom.token.claims.exp - custom.token.claims.iat).toBe(600);
  });

  it("test_token_exchange: success and the lifetime, never the access token", async () => {
    const out = await w().call("test_token_exchange", TARGET);
    expect(out.clientId).toEqual({ value: "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f", from: "annotation" });
    expect(out.tenantId).toEqual({ value: "6d3e1a52-8c3f-4b7e-9f1a-2b5c7d9e0f11", from: "webhook-config" });
    expect(out.exchange.success).toBe(true);
    expect(out.exchange.expiresIn).toBeGreaterThan(0);
    expect(out.exchange.error).toBeNull();
    expect(status(out, "exchange.failed")).toBe("pass");
  });

  it("check_role_assignments: a grant at the vault, and a role it does not hold", async () => {
    const out = await w().call("check_role_assignments", { ...TARGET, scope: VAULT_ID, dataAction: GET_SECRET });
    expect(out.principalId).toBe("9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d");
    expect(out.query).toMatchObject({
      granted: true,
      grantedBy: [{ roleName: "Key Vault Secrets User", inherited: false }],
    });
    expect(out.findings).toEqual([]);
    expect(status(out, "rbac.role-missing")).toBe("pass");

    const missing = await w().call("check_role_assignments", {
      principalId: "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
      scope: VAULT_ID,
      role: "Key Vault Secrets Officer",
    });
    expect(missing.query.granted).toBe(false);
    expect(ids(missing)).toEqual(["rbac.role-missing"]);
    expect(missing.findings[0].evidence).toMatchObject({ scope: VAULT_ID, needs: "Key Vault Secrets Officer" });
    const fix = (missing.findings[0] as unknown as { fix: { commands: string[] } }).fix.commands[0];
    expect(fix).toContain("--assignee-object-id 9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d");
    expect(fix).toContain(`--scope ${VAULT_ID}`);

    const list = await w().call("check_role_assignments", { clientId: "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f" });
    expect(list.assignments.items.map((a: { roleName: string }) => a.roleName)).toEqual(["Key Vault Secrets User"]);
    expect(list.query).toBeNull();
    expect(list.checks).toEqual([]);
  });

  it("check_keyvault_access: RBAC grant, admitted subnet, matching SecretProviderClass", async () => {
    const out = await w().call("check_keyvault_access", TARGET);
    expect(out.secretProviderClasses.items).toEqual([
      expect.objectContaining({ name: "payments-kv", mode: "workload identity", clientIdMatchesServiceAccount: true }),
    ]);
    const vault = out.vaults.items[0];
    expect(vault).toMatchObject({ name: "payments-kv", permissionModel: "rbac", rbac: { readsSecrets: true } });
    expect(vault.network.defaultAction).toBe("Deny");
    expect(vault.network.clusterSubnets).toEqual([expect.objectContaining({ admitted: true })]);
    expect(out.findings).toEqual([]);
    for (const id of ["spc.client-id-mismatch", "keyvault.firewall-blocks-cluster", "rbac.role-missing"]) {
      expect(status(out, id), id).toBe("pass");
    }
  });
});

describe("step tools find what the diagnosis finds", () => {
  const cases: { scenario: string; tool: string; args: Record<string, unknown>; expect: string[] }[] = [
    {
      scenario: "aks-fic-subject-namespace-typo",
      tool: "list_federated_credentials",
      args: TARGET,
      expect: ["fic.subject-mismatch"],
    },
    {
      scenario: "aks-fic-issuer-trailing-slash",
      tool: "list_federated_credentials",
      args: TARGET,
      expect: ["fic.issuer-mismatch"],
    },
    {
      scenario: "aks-keyvault-firewall",
      tool: "check_keyvault_access",
      args: TARGET,
      expect: ["keyvault.firewall-blocks-cluster"],
    },
    {
      scenario: "aks-keyvault-access-policy-client-id",
      tool: "check_keyvault_access",
      args: TARGET,
      expect: ["keyvault.access-policy-missing"],
    },
    { scenario: "aks-rbac-role-missing", tool: "check_keyvault_access", args: TARGET, expect: ["rbac.role-missing"] },
    {
      scenario: "aks-spc-client-id-mismatch",
      tool: "check_keyvault_access",
      args: TARGET,
      expect: ["spc.client-id-mismatch"],
    },
    { scenario: "aks-issuer-key-rotated", tool: "inspect_token", args: TARGET, expect: ["issuer.signing-key-missing"] },
    { scenario: "aks-issuer-unreachable", tool: "inspect_token", args: TARGET, expect: ["issuer.unreachable"] },
    {
      scenario: "aks-webhook-not-running",
      tool: "check_webhook",
      args: { namespace: "payments" },
      expect: ["webhook.unhealthy"],
    },
    {
      scenario: "aks-webhook-not-running",
      tool: "inspect_workload",
      args: { namespace: "payments", workload: "deployment/payments-api", serviceAccount: "payments-api" },
      expect: ["pod.not-mutated"],
    },
    {
      scenario: "aks-sa-annotation-typo",
      tool: "inspect_service_account",
      args: TARGET,
      expect: ["sa.annotation-typo", "sa.client-id-missing"],
    },
    {
      scenario: "aks-sa-client-id-is-resource-id",
      tool: "inspect_service_account",
      args: TARGET,
      expect: ["sa.client-id-malformed"],
    },
    {
      scenario: "aks-oidc-issuer-disabled",
      tool: "show_cluster_oidc",
      args: {},
      expect: ["cluster.oidc-issuer-disabled"],
    },
    {
      scenario: "aks-workload-identity-disabled",
      tool: "show_cluster_oidc",
      args: {},
      expect: ["cluster.workload-identity-disabled"],
    },
    {
      scenario: "aks-workload-identity-disabled",
      tool: "check_webhook",
      args: { namespace: "payments" },
      expect: ["webhook.missing"],
    },
    {
      scenario: "aks-fic-limit-reached",
      tool: "list_federated_credentials",
      args: TARGET,
      expect: ["fic.subject-mismatch", "fic.limit-reached"],
    },
    {
      scenario: "aks-pod-restart-needed",
      tool: "inspect_workload",
      args: { namespace: "payments", workload: "deployment/payments-api" },
      expect: ["pod.restart-needed"],
    },
    {
      scenario: "aks-label-on-deployment-metadata",
      tool: "inspect_workload",
      args: { namespace: "payments", workload: "deployment/payments-api" },
      expect: ["pod.label-missing"],
    },
    {
      scenario: "aks-token-path-hardcoded",
      tool: "inspect_workload",
      args: { namespace: "payments", workload: "deployment/payments-api" },
      expect: ["pod.token-path-hardcoded"],
    },
    { scenario: "aks-fic-audience-wrong", tool: "test_token_exchange", args: TARGET, expect: ["exchange.failed"] },
  ];

  for (const c of cases) {
    it(`${c.tool} on ${c.scenario} raises ${c.expect.join(", ")} exactly as diagnose_workload_identity does`, async () => {
      const w = await world(c.scenario);
      const { namespace, serviceAccount, workload } = w.session.world.scenario.target;
      const report = await w.call("diagnose_workload_identity", { namespace, serviceAccount, workload });
      const step = await w.call(c.tool, c.args);
      expect(ids(step).sort()).toEqual([...c.expect].sort());
      // Same finding: id, severity, evidence, fix (Entra's trace ids aside), and the remediation if the step has one.
      const stable = ({ remediation, ...f }: Finding, keep: boolean) => ({
        ...f,
        ...(keep ? { remediation } : {}),
        ...(f.id === "exchange.failed" ? { evidence: { ...f.evidence, traceId: "-", correlationId: "-" } } : {}),
      });
      for (const f of step.findings)
        expect(
          report.findings.map((r) => stable(r, !!f.remediation)),
          f.id,
        ).toContainEqual(stable(f, !!f.remediation));
    });
  }
});

describe("step tools: details of broken worlds", () => {
  const typo = useWorld("aks-fic-subject-namespace-typo");

  it("list_federated_credentials names the namespace typo; the exchange fails with Entra's decoded error", async () => {
    const out = await typo().call("list_federated_credentials", TARGET);
    const cmp = out.credentials.items[0].comparison;
    expect(cmp.matches).toBe(false);
    expect(cmp.issuer.result).toBe("match");
    expect(cmp.subject.result).toBe("mismatch");
    expect(cmp.subject.reason).toMatch(/namespace/);
    expect(cmp.audience.result).toBe("match");

    const x = await typo().call("test_token_exchange", TARGET);
    expect(x.exchange.success).toBe(false);
    expect(x.exchange.error.codes.length).toBeGreaterThan(0);
    expect(x.exchange.error.codes[0]).toMatch(/^AADSTS70021\d?$/);
    expect(x.exchange.error.description).not.toMatch(/\n/);
    expect(x.exchange.error.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(x.token.sub).toBe("system:serviceaccount:payments:payments-api");
    expect(ids(x)).toEqual(["exchange.failed"]);
  });

  const appReg = useWorld("aks-app-registration-subject-mismatch");
  it("list_federated_credentials reads an app registration's credentials through Graph by appId", async () => {
    const out = await appReg().call("list_federated_credentials", {
      appId: "6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d",
      ...TARGET,
    });
    expect(out.identity.value).toMatchObject({ kind: "application", clientId: "6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d" });
    expect(out.credentials.count).toBeGreaterThan(0);
    expect(ids(out)).toEqual(["fic.subject-mismatch"]);
    const fix = (out.findings[0] as unknown as { fix: { commands: string[] } }).fix.commands[0];
    expect(fix).toMatch(/^az ad app federated-credential update --id /);
  });

  const rotated = useWorld("aks-issuer-key-rotated");
  it("inspect_token shows the token's kid missing from the published JWKS", async () => {
    const out = await rotated().call("inspect_token", TARGET);
    expect(out.issuer.kidPublished).toBe(false);
    expect(out.issuer.jwksKids).not.toContain(out.token.kid);
    expect(out.findings[0].evidence).toMatchObject({ tokenKid: out.token.kid });
  });

  const annotationTypo = useWorld("aks-sa-annotation-typo");
  it("inspect_service_account lists the near-miss key and what it meant", async () => {
    const out = await annotationTypo().call("inspect_service_account", TARGET);
    expect(out.nearMissKeys.length).toBeGreaterThan(0);
    expect(out.nearMissKeys[0].meant).toBe("azure.workload.identity/client-id");
    expect(out.annotations.clientId).toMatchObject({ value: null, valid: false, problem: "missing" });
  });

  const firewall = useWorld("aks-keyvault-firewall");
  it("check_keyvault_access shows the cluster subnet the vault does not admit", async () => {
    const out = await firewall().call("check_keyvault_access", {
      namespace: "payments",
      serviceAccount: "payments-api",
    });
    const v = out.vaults.items[0];
    expect(v.network.defaultAction).toBe("Deny");
    expect(v.network.clusterSubnets.some((s: { admitted: boolean }) => !s.admitted)).toBe(true);
  });

  const inherited = useWorld("aks-near-miss-role-inherited");
  it("check_role_assignments counts a grant inherited from the resource group", async () => {
    const out = await inherited().call("check_role_assignments", {
      ...TARGET,
      scope: VAULT_ID,
      dataAction: GET_SECRET,
    });
    expect(out.query.granted).toBe(true);
    expect(out.query.grantedBy[0].inherited).toBe(true);
    expect(out.assignments.items.find((a: { inherited?: boolean }) => a.inherited)).toBeDefined();
    const write = await inherited().call("check_role_assignments", {
      ...TARGET,
      scope: VAULT_ID,
      dataAction: "Microsoft.KeyVault/vaults/secrets/setSecret/action",
    });
    expect(write.query.granted).toBe(false);
    expect(ids(write)).toEqual(["rbac.role-missing"]);
  });

  const selfManaged = useWorld("aks-near-miss-self-managed-webhook");
  it("check_webhook recognises a self-managed installation", async () => {
    const out = await selfManaged().call("check_webhook", {});
    expect(out.deployment).toMatchObject({ namespace: "azure-workload-identity-system", mode: "self-managed" });
    expect(out.namespace).toBeUndefined();
    expect(out.findings).toEqual([]);
  });
});

describe("step tools without an Azure credential (aks-no-azure-credential)", () => {
  const w = useWorld("aks-no-azure-credential");

  it("show_cluster_oidc still reads the API server's issuer and skips the ARM checks", async () => {
    const out = await w().call("show_cluster_oidc", {});
    expect(out.cluster.status).toBe("skipped");
    expect(out.cluster.reason).toMatch(/credential/i);
    expect(out.arm).toBeNull();
    expect(out.apiServer).toMatchObject({ status: "ok", issuer: w().session.world.scenario.kubernetes.issuer });
    expect(out.agree).toBeNull();
    expect(out.checks.every((c) => c.status === "skipped")).toBe(true);
  });

  it("list_federated_credentials and check_role_assignments say what was skipped instead of failing", async () => {
    const fics = await w().call("list_federated_credentials", TARGET);
    expect(fics.identity.status).toBe("skipped");
    expect(fics.credentials.items).toEqual([]);
    expect(fics.findings).toEqual([]);
    expect(fics.checks.every((c) => c.status === "skipped")).toBe(true);
    const roles = await w().call("check_role_assignments", {
      ...TARGET,
      scope: VAULT_ID,
      role: "Key Vault Secrets User",
    });
    expect(roles.query.granted).toBeNull();
    expect(status(roles, "rbac.role-missing")).toBe("skipped");
  });

  it("the Kubernetes-side tools work as usual", async () => {
    const sa = await w().call("inspect_service_account", TARGET);
    expect(sa.exists).toBe(true);
    const token = await w().call("inspect_token", TARGET);
    expect(token.issuer.signatureValid).toBe(true);
  });
});

describe("step tools: bad input and --no-exchange", () => {
  const w = useWorld("aks-healthy");

  const bad: { tool: string; args: Record<string, unknown>; field: RegExp }[] = [
    {
      tool: "list_federated_credentials",
      args: { clientId: "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f", appId: "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f" },
      field: /clientId \| appId/,
    },
    { tool: "list_federated_credentials", args: { namespace: "payments" }, field: /serviceAccount/ },
    { tool: "list_federated_credentials", args: { clientId: "not-a-guid" }, field: /clientId/ },
    { tool: "show_cluster_oidc", args: { clusterName: "payments-aks" }, field: /resourceGroup/ },
    {
      tool: "inspect_workload",
      args: { namespace: "payments", pod: "a", workload: "deployment/b" },
      field: /pod \| workload/,
    },
    {
      tool: "inspect_workload",
      args: { namespace: "payments", workload: "deployment/Payments_API" },
      field: /workload/,
    },
    {
      tool: "check_role_assignments",
      args: { principalId: "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", role: "Reader" },
      field: /scope/,
    },
    { tool: "check_role_assignments", args: { scope: VAULT_ID }, field: /clientId \| principalId/ },
    {
      tool: "inspect_token",
      args: { namespace: "payments", serviceAccount: "payments-api", expirationSeconds: 60 },
      field: /expirationSeconds/,
    },
    { tool: "check_keyvault_access", args: { namespace: "Payments" }, field: /namespace/ },
  ];
  for (const b of bad) {
    it(`${b.tool} rejects ${JSON.stringify(b.args)} naming the field`, async () => {
      const r = await w().raw(b.tool, b.args);
      expect(r.isError).toBe(true);
      const text = (r.content[0] as { text: string }).text;
      expect(text).toMatch(b.field);
      expect(text).toMatch(/Invalid input|invalid/i);
    });
  }

  it("a missing service account is a finding, not an error", async () => {
    const out = await w().call("inspect_token", { namespace: "payments", serviceAccount: "nobody" });
    expect(out.token.status).toBe("skipped");
    expect(ids(out)).toEqual(["sa.not-found"]);
  });
});

describe("test_token_exchange with --no-exchange", () => {
  const w = useWorld("aks-healthy", { allowExchange: false });
  it("refuses with an explanation instead of calling Entra", async () => {
    const before = w().session.world.stats.byService.entra ?? 0;
    const r = await w().raw("test_token_exchange", TARGET);
    expect(r.isError).toBe(true);
    expect((r.content[0] as { text: string }).text).toMatch(/--no-exchange/);
    expect(w().session.world.stats.byService.entra ?? 0).toBe(before);
  });
});

describe("no step tool output carries a token", () => {
  it("scans every output of this file for JWTs and access tokens", () => {
    // Runs last in the file: the tools above minted tokens and exchanged them many times.
    expect(outputs.length).toBeGreaterThan(40);
    const all = outputs.join("\n");
    expect(all).toMatch(/system:serviceaccount:payments:payments-api/);
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./);
    expect(all).not.toMatch(/simulated-access-token/);
    expect(all).not.toMatch(/access_token/);
  });
});
