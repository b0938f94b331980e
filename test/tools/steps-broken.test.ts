// The AKS step tools on broken worlds, without an Azure credential and with bad input: what each one shows,
// through an in-memory MCP client, and never a token.
import { describe, expect, it } from "vitest";
import { GET_SECRET, ids, outputs, status, TARGET, useWorld, VAULT_ID } from "./step-world.js";

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
    expect(outputs.length).toBeGreaterThan(20);
    const all = outputs.join("\n");
    expect(all).toMatch(/system:serviceaccount:payments:payments-api/);
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./);
    expect(all).not.toMatch(/simulated-access-token/);
    expect(all).not.toMatch(/access_token/);
  });
});
