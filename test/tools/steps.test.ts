// The AKS step tools over the simulated world, through an in-memory MCP client: structured results that
// validate against each tool's outputSchema, findings that agree with the one-call diagnosis, no tokens.
import { describe, expect, it } from "vitest";
import { allTools } from "../../src/tools/index.js";
import { type Finding, GET_SECRET, ids, outputs, status, TARGET, useWorld, VAULT_ID, world } from "./step-world.js";

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
