// AzureProvider against the simulated Azure: every method through the real SDK clients, its failures as
// ProviderErrors (no credential, forbidden with the role to grant, timeout, cancellation, bad bodies), writes
// with and without dry run, and a sovereign cloud.
import { agentPolicy } from "@azure/core-rest-pipeline";
import { ClientSecretCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AzureProvider, parseResourceId } from "../../src/providers/azure.js";
import { azureClouds, type Environment } from "../../src/providers/environment.js";
import { gather, ProviderError } from "../../src/providers/errors.js";
import { SIM_OPERATOR_CLIENT_ID, SIM_OPERATOR_CLIENT_SECRET } from "../../src/sim/constants.js";
import type { SimSession } from "../../src/sim/environment.js";
import { API_HOST, APP, IDENTITY, ISSUER, session, SUB, SUBJECT, TENANT, VAULT_ID } from "./azure-world.js";

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  const err = await p.then(
    () => undefined,
    (e) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe("AzureProvider: reads", () => {
  let s: SimSession;
  let azure: AzureProvider;
  beforeAll(async () => {
    s = await session((x) => {
      const fics = x.azure!.userAssignedIdentities![0].federatedIdentityCredentials!;
      for (let i = 1; i <= 4; i++)
        fics.push({ name: `extra-${i}`, issuer: ISSUER, subject: `system:serviceaccount:extra:sa-${i}` });
      x.azure!.managedClusters!.push({
        name: "private-aks",
        resourceGroup: "rg-private",
        privateFQDN: "private-aks-0a1b2c3d.privatelink.westeurope.azmk8s.io",
      });
    });
    azure = new AzureProvider(s.env);
  });
  afterAll(() => s.close());

  it("finds the cluster from the API server host (fqdn or privateFQDN, any case), or null", async () => {
    const c = await azure.findClusterByApiHost(API_HOST.toUpperCase());
    expect(c).toMatchObject({
      name: "payments-aks",
      resourceGroup: "rg-payments",
      subscriptionId: SUB,
      oidcIssuerEnabled: true,
      issuerUrl: ISSUER,
      workloadIdentityEnabled: true,
      nodeResourceGroup: "MC_rg-payments_payments-aks_westeurope",
      kubeletIdentity: {
        clientId: "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        objectId: "6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f",
      },
    });
    expect(c?.agentPoolSubnetIds).toHaveLength(1);
    expect((await azure.findClusterByApiHost("private-aks-0a1b2c3d.privatelink.westeurope.azmk8s.io"))?.name).toBe(
      "private-aks",
    );
    expect(await azure.findClusterByApiHost("elsewhere.hcp.westeurope.azmk8s.io")).toBeNull();
    expect((await azure.getCluster(SUB, "rg-private", "private-aks"))?.oidcIssuerEnabled).toBe(false);
    expect(await azure.getCluster(SUB, "rg-payments", "missing")).toBeNull();
  });

  it("finds a managed identity by name, resource id and client id, and an app registration by client id", async () => {
    const byName = await azure.findIdentity({ name: "payments-id", resourceGroup: "rg-payments" });
    expect(byName).toMatchObject({
      kind: "managedIdentity",
      clientId: IDENTITY.clientId,
      principalId: IDENTITY.principalId,
      tenantId: TENANT,
    });
    expect(parseResourceId(byName!.resourceId!)).toMatchObject({
      subscriptionId: SUB,
      resourceGroup: "rg-payments",
      name: "payments-id",
    });
    expect(await azure.findIdentity({ resourceId: byName!.resourceId! })).toEqual(byName);
    expect(await azure.findIdentity({ clientId: IDENTITY.clientId.toUpperCase() })).toEqual(byName);
    expect(await azure.findIdentity({ clientId: APP.appId })).toEqual({
      kind: "application",
      name: APP.displayName,
      clientId: APP.appId,
      principalId: APP.servicePrincipalObjectId,
      tenantId: TENANT,
      objectId: APP.objectId,
    });
    expect(await azure.findIdentity({ clientId: "00000000-1111-4222-8333-444444444444" })).toBeNull();
    expect(await azure.findIdentity({ name: "nope", resourceGroup: "rg-payments" })).toBeNull();
    expect(await azure.findIdentity({ resourceId: VAULT_ID })).toBeNull();
  });

  it("lists federated credentials of both kinds, all pages in one request for a managed identity", async () => {
    const mi = (await azure.findIdentity({ clientId: IDENTITY.clientId }))!;
    const before = s.world.stats.byService.arm ?? 0;
    const fics = await azure.listFederatedCredentials(mi);
    expect((s.world.stats.byService.arm ?? 0) - before).toBe(1);
    expect(fics).toHaveLength(5);
    expect(fics[0]).toEqual({
      name: "payments-api",
      issuer: ISSUER,
      subject: SUBJECT,
      audiences: ["api://AzureADTokenExchange"],
    });
    const app = (await azure.findIdentity({ clientId: APP.appId }))!;
    expect(await azure.listFederatedCredentials(app)).toEqual([
      { name: "payments-app-fic", issuer: ISSUER, subject: SUBJECT, audiences: ["api://AzureADTokenExchange"] },
    ]);
  });

  it("lists role assignments with their role's permissions, reading each role definition once", async () => {
    const roles = await azure.listRoleAssignments(IDENTITY.principalId);
    expect(roles.map((r) => r.roleName).sort()).toEqual(["Key Vault Secrets User", "Reader"]);
    const kv = roles.find((r) => r.scope === VAULT_ID)!;
    expect(kv.dataActions).toEqual([
      "Microsoft.KeyVault/vaults/secrets/getSecret/action",
      "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    ]);
    expect(kv.roleDefinitionId).toMatch(/\/roleDefinitions\/4633458b-17de-408a-b874-0445c86b69e6$/);
    const before = s.world.stats.byService.arm ?? 0;
    await azure.listRoleAssignments(IDENTITY.principalId);
    expect((s.world.stats.byService.arm ?? 0) - before).toBe(1);
  });

  it("finds a Key Vault by name across subscriptions and reads one by id parts", async () => {
    const v = await azure.findKeyVault("PAYMENTS-KV");
    expect(v).toMatchObject({
      id: VAULT_ID,
      name: "payments-kv",
      resourceGroup: "rg-payments",
      subscriptionId: SUB,
      tenantId: TENANT,
    });
    expect(v?.networkAcls?.defaultAction).toBe("Deny");
    expect(await azure.getKeyVault(SUB, "rg-payments", "payments-kv")).toEqual(v);
    expect(await azure.findKeyVault("missing-kv")).toBeNull();
  });

  it("lists and reads scale sets with their identities", async () => {
    const list = await azure.listVmss(SUB, "MC_rg-payments_payments-aks_westeurope");
    expect(list).toHaveLength(1);
    expect(list[0].userAssignedIdentities[0]).toMatch(/userAssignedIdentities\/payments-id$/);
    expect(list[0].identities[0]).toMatchObject({ clientId: IDENTITY.clientId, principalId: IDENTITY.principalId });
    expect(await azure.getVmss(SUB, "MC_rg-payments_payments-aks_westeurope", list[0].name)).toEqual(list[0]);
    expect(await azure.getVmss(SUB, "MC_rg-payments_payments-aks_westeurope", "missing")).toBeNull();
  });

  it("lists subscriptions through ARM when none are configured", async () => {
    const unlimited = new AzureProvider({ ...s.env, azure: { ...s.env.azure, subscriptionIds: undefined } });
    expect(await unlimited.listSubscriptionIds()).toEqual([SUB]);
    expect((await unlimited.findClusterByApiHost(API_HOST))?.name).toBe("payments-aks");
  });
});

describe("AzureProvider: sign-in", () => {
  it("concurrent first calls, across providers, share one token request; warmUp fetches it ahead", async () => {
    const s = await session();
    try {
      const a = new AzureProvider(s.env);
      const b = new AzureProvider(s.env);
      await a.warmUp();
      expect(s.world.stats.byService.entra).toBe(1);
      await Promise.all([
        a.findClusterByApiHost(API_HOST),
        b.findKeyVault("payments-kv"),
        b.listRoleAssignments(IDENTITY.principalId),
      ]);
      expect(s.world.stats.byService.entra).toBe(1);
    } finally {
      await s.close();
    }
  });

  it("without warm-up, concurrent calls still ask the authority once", async () => {
    const s = await session();
    try {
      const a = new AzureProvider(s.env);
      await Promise.all([
        a.findClusterByApiHost(API_HOST),
        a.findKeyVault("payments-kv"),
        new AzureProvider(s.env).findIdentity({ clientId: IDENTITY.clientId }),
      ]);
      expect(s.world.stats.byService.entra).toBe(1);
    } finally {
      await s.close();
    }
  });
});

describe("AzureProvider: federated credential writes", () => {
  let s: SimSession;
  let azure: AzureProvider;
  beforeAll(async () => {
    s = await session();
    azure = new AzureProvider(s.env);
  });
  afterAll(() => s.close());

  const fic = {
    name: "payments-api-2",
    issuer: ISSUER,
    subject: "system:serviceaccount:payments:worker",
    audiences: ["api://AzureADTokenExchange"],
  };

  it("dry run says what it would send and changes nothing; then it writes and deletes (managed identity)", async () => {
    const mi = (await azure.findIdentity({ clientId: IDENTITY.clientId }))!;
    const names = () =>
      s.world.scenario.azure!.userAssignedIdentities[0].federatedIdentityCredentials.map((f) => f.name);
    const dry = await azure.createOrUpdateFederatedCredential(mi, fic, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, action: "create", request: { method: "PUT" } });
    expect(dry.request?.url).toMatch(
      /\/userAssignedIdentities\/payments-id\/federatedIdentityCredentials\/payments-api-2$/,
    );
    expect(names()).not.toContain("payments-api-2");

    const done = await azure.createOrUpdateFederatedCredential(mi, fic, { dryRun: false });
    expect(done).toMatchObject({ dryRun: false, action: "create", credential: fic });
    expect(names()).toContain("payments-api-2");
    expect(
      (
        await azure.createOrUpdateFederatedCredential(
          mi,
          { ...fic, subject: "system:serviceaccount:payments:other" },
          { dryRun: false },
        )
      ).action,
    ).toBe("update");

    expect(await azure.deleteFederatedCredential(mi, "payments-api-2", { dryRun: true })).toMatchObject({
      dryRun: true,
      action: "delete",
    });
    expect(names()).toContain("payments-api-2");
    expect(await azure.deleteFederatedCredential(mi, "payments-api-2", { dryRun: false })).toMatchObject({
      action: "delete",
    });
    expect(names()).not.toContain("payments-api-2");
    expect(await azure.deleteFederatedCredential(mi, "payments-api-2", { dryRun: false })).toMatchObject({
      action: "none",
    });
  });

  it("writes an app registration's credentials through Graph (POST, then PATCH, then DELETE)", async () => {
    const app = (await azure.findIdentity({ clientId: APP.appId }))!;
    const names = () =>
      s.world.scenario.azure!.applications[0].federatedIdentityCredentials.map((f) => `${f.name}=${f.subject}`);
    const created = await azure.createOrUpdateFederatedCredential(app, fic, { dryRun: false });
    expect(created).toMatchObject({ action: "create", request: { method: "POST" } });
    expect(names()).toContain(`payments-api-2=${fic.subject}`);
    const updated = await azure.createOrUpdateFederatedCredential(
      app,
      { ...fic, subject: "system:serviceaccount:payments:other" },
      { dryRun: false },
    );
    expect(updated).toMatchObject({ action: "update", request: { method: "PATCH" } });
    expect(names()).toContain("payments-api-2=system:serviceaccount:payments:other");
    await azure.deleteFederatedCredential(app, "payments-api-2", { dryRun: false });
    expect(names().some((n) => n.startsWith("payments-api-2="))).toBe(false);
  });

  it("a refused write names the field ARM complained about", async () => {
    const mi = (await azure.findIdentity({ clientId: IDENTITY.clientId }))!;
    const err = await rejection(
      azure.createOrUpdateFederatedCredential(mi, { ...fic, subject: "" }, { dryRun: false }),
    );
    expect(err.kind).toBe("invalid-response");
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/subject/);
  });
});

describe("AzureProvider: failures become ProviderErrors", () => {
  it("no credential: no-credential with the environment's reason, and gather() skips", async () => {
    const s = await session((x) => {
      x.azure!.credentialAvailable = false;
    });
    try {
      const azure = new AzureProvider(s.env);
      const err = await rejection(azure.findClusterByApiHost(API_HOST));
      expect(err.kind).toBe("no-credential");
      expect(err.message).toBe(s.env.azure.credentialProblem);
      expect(err.remedy).toMatch(/az login/);
      const fact = await gather("AKS cluster", () => azure.findClusterByApiHost(API_HOST));
      expect(fact.status).toBe("skipped");
      // The exchange needs no operator credential.
      expect(
        (await azure.exchangeToken({ tenantId: TENANT, clientId: IDENTITY.clientId, assertion: "x.y.z" })).ok,
      ).toBe(false);
    } finally {
      await s.close();
    }
  });

  it("403 AuthorizationFailed: forbidden, with a remedy naming the role to grant", async () => {
    const s = await session((x) => {
      x.azure!.forbiddenScopes = [`/subscriptions/${SUB}`];
    });
    try {
      const azure = new AzureProvider(s.env);
      const cluster = await rejection(azure.findClusterByApiHost(API_HOST));
      expect(cluster).toMatchObject({ kind: "forbidden", status: 403 });
      expect(cluster.remedy).toMatch(/Reader on the subscription/);
      expect(cluster.message).toMatch(/Microsoft\.ContainerService\/managedClusters\/read/);
      const roles = await rejection(azure.listRoleAssignments(IDENTITY.principalId));
      expect(roles.remedy).toMatch(/Reader/);
      expect((await gather("role assignments", () => azure.listRoleAssignments(IDENTITY.principalId))).status).toBe(
        "skipped",
      );
    } finally {
      await s.close();
    }
  });

  it("a service that never answers times out; an aborted call is cancelled", async () => {
    const s = await session(
      (x) => {
        x.faults = { latencyMs: 0, rules: [{ service: "arm", path: "managedClusters", timeout: true }] };
      },
      { timeoutMs: 400 },
    );
    try {
      const azure = new AzureProvider(s.env);
      await s.env.azure.credential!.getToken("https://management.azure.com/.default");
      const timedOut = await rejection(azure.findClusterByApiHost(API_HOST));
      expect(timedOut.kind).toBe("timeout");
      const controller = new AbortController();
      const pending = azure.findClusterByApiHost(API_HOST, controller.signal);
      controller.abort();
      expect((await rejection(pending)).kind).toBe("cancelled");
    } finally {
      await s.close();
    }
  });

  it("a malformed body is invalid-response; persistent 500s are unavailable", async () => {
    const s = await session((x) => {
      x.faults = {
        latencyMs: 0,
        rules: [
          { service: "arm", path: "Microsoft.KeyVault", malformed: true },
          { service: "arm", path: "userAssignedIdentities", status: 500 },
        ],
      };
    });
    try {
      const azure = new AzureProvider(s.env);
      expect((await rejection(azure.findKeyVault("payments-kv"))).kind).toBe("invalid-response");
      const down = await rejection(
        azure.findIdentity({ name: "payments-id", resourceGroup: "rg-payments", subscriptionId: SUB }),
      );
      expect(down).toMatchObject({ kind: "unavailable", status: 500 });
    } finally {
      await s.close();
    }
  });

  it("a token endpoint that answers without an OAuth body is unavailable, not a verdict", async () => {
    const s = await session((x) => {
      x.faults = { latencyMs: 0, rules: [{ service: "entra", path: "oauth2/v2.0/token", status: 503 }] };
    });
    try {
      const err = await rejection(
        new AzureProvider(s.env).exchangeToken({ tenantId: TENANT, clientId: IDENTITY.clientId, assertion: "x.y.z" }),
      );
      expect(err).toMatchObject({ kind: "unavailable", status: 503 });
    } finally {
      await s.close();
    }
  });
});

describe("AzureProvider: sovereign clouds", () => {
  it("uses the cloud's ARM, Graph and authority endpoints", async () => {
    const s = await session();
    try {
      const cloud = azureClouds.AzureUSGovernment;
      const credential = new ClientSecretCredential(TENANT, SIM_OPERATOR_CLIENT_ID, SIM_OPERATOR_CLIENT_SECRET, {
        authorityHost: cloud.authorityHost,
        additionalPolicies: [{ policy: agentPolicy(s.world.agent), position: "perCall" }],
        disableInstanceDiscovery: true,
      });
      const env: Environment = { ...s.env, azure: { ...s.env.azure, cloud, credential } };
      const azure = new AzureProvider(env);
      expect((await azure.findClusterByApiHost(API_HOST))?.name).toBe("payments-aks");
      expect((await azure.findIdentity({ clientId: APP.appId }))?.kind).toBe("application");
      expect(
        await azure.exchangeToken({ tenantId: TENANT, clientId: IDENTITY.clientId, assertion: "x.y.z" }),
      ).toMatchObject({
        ok: false,
        errorCodes: [50027],
      });
    } finally {
      await s.close();
    }
  });
});
