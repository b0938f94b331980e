// The simulated Azure Resource Manager, read and written with the real Azure SDK management clients, and its
// wire bodies compared with the published examples in the shared fixtures.
import { readFileSync } from "node:fs";
import { AuthorizationManagementClient } from "@azure/arm-authorization";
import { ContainerServiceClient } from "@azure/arm-containerservice";
import { KeyVaultManagementClient } from "@azure/arm-keyvault";
import { ManagedServiceIdentityClient } from "@azure/arm-msi";
import { agentPolicy } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpRequest } from "../../src/providers/http.js";
import type { SimSession } from "../../src/sim/environment.js";
import { findBuiltInRole } from "../../src/sim/services/azure-roles.js";
import { API_HOST, IDENTITY, ISSUER, session, SUB, SUBJECT, SUBNET_ID, TENANT, VAULT_ID } from "./azure-world.js";

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/azure-arm/${name}`, import.meta.url), "utf8"));
const wireOf = (name: string) => {
  const f = fixture(name);
  return f.responses ? (f.responses["200"] ?? f.responses["201"]).body : f;
};

function pick(obj: unknown, path: string): unknown {
  return path
    .split(".")
    .reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);
}

/** Every path is present in the published example and in our answer. */
function expectSameFields(ours: unknown, published: unknown, paths: string[]) {
  for (const p of paths) {
    expect(pick(published, p), `published example has ${p}`).not.toBeUndefined();
    expect(pick(ours, p), `our answer has ${p}`).not.toBeUndefined();
  }
}

function sdkOptions(s: SimSession) {
  return {
    additionalPolicies: [{ policy: agentPolicy(s.world.agent), position: "perCall" as const }],
    retryOptions: { maxRetries: 2, retryDelayInMs: 10, maxRetryDelayInMs: 100 },
  };
}

async function armToken(s: SimSession, scope = "https://management.azure.com/.default"): Promise<string> {
  return (await s.env.azure.credential!.getToken(scope))!.token;
}

async function armRaw(s: SimSession, path: string, init: { method?: "GET" | "POST"; token?: string | null } = {}) {
  const token = init.token === undefined ? await armToken(s) : init.token;
  return httpRequest(`https://management.azure.com${path}`, {
    method: init.method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    agent: s.world.agent,
    timeoutMs: 8000,
  });
}

const identityPath = `/subscriptions/${SUB}/resourceGroups/rg-payments/providers/Microsoft.ManagedIdentity/userAssignedIdentities/payments-id`;

describe("ARM: managed clusters", () => {
  let s: SimSession;
  let aks: ContainerServiceClient;
  beforeAll(async () => {
    s = await session();
    aks = new ContainerServiceClient(s.env.azure.credential!, SUB, sdkOptions(s));
  });
  afterAll(() => s.close());

  it("gets a cluster with its OIDC issuer and workload identity settings (the SDK reads issuerURL)", async () => {
    const c = await aks.managedClusters.get("rg-payments", "payments-aks");
    expect(c.fqdn).toBe(API_HOST);
    expect(c.oidcIssuerProfile).toMatchObject({ enabled: true, issuerURL: ISSUER });
    expect(c.securityProfile?.workloadIdentity?.enabled).toBe(true);
    expect(c.agentPoolProfiles?.[0].vnetSubnetID).toBe(SUBNET_ID);
    expect(c.identityProfile?.kubeletidentity?.objectId).toBe("6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f");
  });

  it("answers the wire shape of the recorded ManagedClusters_Get", async () => {
    const res = await armRaw(
      s,
      `/subscriptions/${SUB}/resourceGroups/rg-payments/providers/Microsoft.ContainerService/managedClusters/payments-aks?api-version=2026-04-01`,
    );
    expect(res.status).toBe(200);
    expectSameFields(res.json, wireOf("ManagedClusters_Get.azure-cli-recording.2023-06-01.oidc-wi.json"), [
      "id",
      "location",
      "name",
      "type",
      "properties.provisioningState",
      "properties.powerState.code",
      "properties.kubernetesVersion",
      "properties.dnsPrefix",
      "properties.fqdn",
      "properties.azurePortalFQDN",
      "properties.agentPoolProfiles",
      "properties.servicePrincipalProfile.clientId",
      "properties.nodeResourceGroup",
      "properties.enableRBAC",
      "properties.identityProfile.kubeletidentity.resourceId",
      "properties.identityProfile.kubeletidentity.clientId",
      "properties.identityProfile.kubeletidentity.objectId",
      "properties.securityProfile.workloadIdentity.enabled",
      "properties.oidcIssuerProfile.enabled",
      "properties.oidcIssuerProfile.issuerURL",
      "identity.type",
      "identity.principalId",
      "identity.tenantId",
      "sku.name",
    ]);
    expect(JSON.stringify(res.json)).not.toMatch(/issuerUrl"/);
  });

  it("lists clusters subscription-wide and per resource group", async () => {
    const all = [];
    for await (const c of aks.managedClusters.list()) all.push(c.name);
    expect(all).toEqual(["payments-aks"]);
    const inRg = [];
    for await (const c of aks.managedClusters.listByResourceGroup("rg-payments")) inRg.push(c.name);
    expect(inRg).toEqual(["payments-aks"]);
  });

  it("answers ResourceNotFound in the recorded wording, and ResourceGroupNotFound", async () => {
    const res = await armRaw(
      s,
      `/subscriptions/${SUB}/resourceGroups/rg-payments/providers/Microsoft.ContainerService/managedClusters/nope?api-version=2026-04-01`,
    );
    expect(res.status).toBe(404);
    const published = fixture("ARM-error-ResourceNotFound.ManagedClusters_Get.azure-cli-recording.json");
    const expected = published.error.message
      .replace("cliakstest000001", "nope")
      .replace("clitest000001", "rg-payments");
    expect(res.json).toEqual({ error: { code: "ResourceNotFound", message: expected } });

    await expect(aks.managedClusters.get("rg-missing", "payments-aks")).rejects.toMatchObject({
      statusCode: 404,
      code: "ResourceGroupNotFound",
    });
  });

  it("reports a disabled OIDC issuer as enabled: false", async () => {
    const s2 = await session((x) => {
      x.azure!.managedClusters![0].oidcIssuerProfile = { enabled: false };
      x.azure!.managedClusters![0].securityProfile = undefined;
    });
    try {
      const c = await new ContainerServiceClient(s2.env.azure.credential!, SUB, sdkOptions(s2)).managedClusters.get(
        "rg-payments",
        "payments-aks",
      );
      expect(c.oidcIssuerProfile?.enabled).toBe(false);
      expect(c.oidcIssuerProfile?.issuerURL).toBeUndefined();
      expect(c.securityProfile?.workloadIdentity?.enabled).toBeUndefined();
    } finally {
      await s2.close();
    }
  });
});

describe("ARM: user-assigned identities and federated credentials", () => {
  let s: SimSession;
  let msi: ManagedServiceIdentityClient;
  beforeAll(async () => {
    s = await session((x) => {
      const fics = x.azure!.userAssignedIdentities![0].federatedIdentityCredentials!;
      for (let i = 1; i <= 4; i++)
        fics.push({ name: `extra-${i}`, issuer: ISSUER, subject: `system:serviceaccount:extra:sa-${i}` });
    });
    msi = new ManagedServiceIdentityClient(s.env.azure.credential!, SUB, sdkOptions(s));
  });
  afterAll(() => s.close());

  it("gets an identity in the UserAssignedIdentities_Get shape", async () => {
    const i = await msi.userAssignedIdentities.get("rg-payments", "payments-id");
    expect(i).toMatchObject({ clientId: IDENTITY.clientId, principalId: IDENTITY.principalId, tenantId: TENANT });
    const res = await armRaw(s, `${identityPath}?api-version=2024-11-30`);
    expectSameFields(res.json, wireOf("UserAssignedIdentities_Get.spec-example.2026-05-31.json"), [
      "id",
      "location",
      "name",
      "type",
      "tags",
      "properties.clientId",
      "properties.principalId",
      "properties.tenantId",
      "properties.isolationScope",
    ]);
  });

  it("lists identities subscription-wide and per resource group", async () => {
    const bySub = [];
    for await (const i of msi.userAssignedIdentities.listBySubscription()) bySub.push(i.name);
    expect(bySub.sort()).toEqual(["other-tenant-id", "payments-id"]);
    const byRg = [];
    for await (const i of msi.userAssignedIdentities.listByResourceGroup("rg-payments")) byRg.push(i.clientId);
    expect(byRg).toContain(IDENTITY.clientId);
  });

  it("pages federated credentials: 2 per page without $top (nextLink with $skipToken), $top sets the page size", async () => {
    const page1 = await armRaw(s, `${identityPath}/federatedIdentityCredentials?api-version=2024-11-30`);
    const body = page1.json as { value: unknown[]; nextLink?: string };
    expect(body.value).toHaveLength(2);
    expect(body.nextLink).toMatch(/federatedIdentityCredentials\?api-version=2024-11-30&%24skipToken=|&\$skipToken=/);
    expectSameFields(body, wireOf("FederatedIdentityCredentials_List.spec-example.2026-05-31.json"), [
      "value.0.id",
      "value.0.name",
      "value.0.type",
      "value.0.properties.issuer",
      "value.0.properties.subject",
      "value.0.properties.audiences",
      "nextLink",
    ]);

    const before = s.world.stats.byService.arm ?? 0;
    const names = [];
    for await (const f of msi.federatedIdentityCredentials.list("rg-payments", "payments-id")) names.push(f.name);
    expect(names).toEqual(["payments-api", "extra-1", "extra-2", "extra-3", "extra-4"]);
    expect((s.world.stats.byService.arm ?? 0) - before).toBe(3);

    const whole = await armRaw(s, `${identityPath}/federatedIdentityCredentials?api-version=2024-11-30&$top=20`);
    expect((whole.json as { value: unknown[]; nextLink?: string }).value).toHaveLength(5);
    expect((whole.json as { nextLink?: string }).nextLink).toBeUndefined();
  });

  it("gets one federated credential in the FederatedIdentityCredentials_Get shape", async () => {
    const f = await msi.federatedIdentityCredentials.get("rg-payments", "payments-id", "payments-api");
    expect(f).toMatchObject({ issuer: ISSUER, subject: SUBJECT, audiences: ["api://AzureADTokenExchange"] });
    const res = await armRaw(s, `${identityPath}/federatedIdentityCredentials/payments-api?api-version=2024-11-30`);
    expectSameFields(res.json, wireOf("FederatedIdentityCredentials_Get.spec-example.2026-05-31.json"), [
      "id",
      "name",
      "type",
      "properties.issuer",
      "properties.subject",
      "properties.audiences",
    ]);
    await expect(msi.federatedIdentityCredentials.get("rg-payments", "payments-id", "nope")).rejects.toMatchObject({
      statusCode: 404,
    });
  });

  it("creates (201), updates (200) and deletes (200, then 204) a federated credential, changing the world", async () => {
    const statuses: number[] = [];
    const onResponse = (r: { status: number }) => void statuses.push(r.status);
    const created = await msi.federatedIdentityCredentials.createOrUpdate(
      "rg-payments",
      "payments-id",
      "new-fic",
      { issuer: ISSUER, subject: "system:serviceaccount:new:sa", audiences: ["api://AzureADTokenExchange"] },
      { onResponse },
    );
    expect(created.subject).toBe("system:serviceaccount:new:sa");
    const fics = () => s.world.scenario.azure!.userAssignedIdentities[0].federatedIdentityCredentials;
    expect(fics().map((f) => f.name)).toContain("new-fic");

    const updated = await msi.federatedIdentityCredentials.createOrUpdate(
      "rg-payments",
      "payments-id",
      "new-fic",
      { issuer: ISSUER, subject: "system:serviceaccount:new:sa2", audiences: ["api://AzureADTokenExchange"] },
      { onResponse },
    );
    expect(updated.subject).toBe("system:serviceaccount:new:sa2");
    expect(fics().find((f) => f.name === "new-fic")?.subject).toBe("system:serviceaccount:new:sa2");

    await msi.federatedIdentityCredentials.delete("rg-payments", "payments-id", "new-fic", { onResponse });
    expect(fics().map((f) => f.name)).not.toContain("new-fic");
    await msi.federatedIdentityCredentials.delete("rg-payments", "payments-id", "new-fic", { onResponse });
    expect(statuses).toEqual([201, 200, 200, 204]);
  });

  it("validates a PUT: non-empty issuer and subject, exactly one audience", async () => {
    const put = (properties: object) =>
      msi.federatedIdentityCredentials.createOrUpdate("rg-payments", "payments-id", "bad", properties as never);
    await expect(put({ issuer: ISSUER, subject: "", audiences: ["api://AzureADTokenExchange"] })).rejects.toMatchObject(
      { statusCode: 400 },
    );
    await expect(
      put({ issuer: "", subject: SUBJECT, audiences: ["api://AzureADTokenExchange"] }),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      put({ issuer: ISSUER, subject: "system:serviceaccount:a:b", audiences: ["a", "b"] }),
    ).rejects.toMatchObject({ statusCode: 400 });
    expect(
      s.world.scenario.azure!.userAssignedIdentities[0].federatedIdentityCredentials.map((f) => f.name),
    ).not.toContain("bad");
  });

  it("caps an identity at 20 federated credentials", async () => {
    const s2 = await session((x) => {
      const fics = x.azure!.userAssignedIdentities![0].federatedIdentityCredentials!;
      for (let i = 1; i < 20; i++)
        fics.push({ name: `fic-${i}`, issuer: ISSUER, subject: `system:serviceaccount:ns:sa-${i}` });
    });
    try {
      const client = new ManagedServiceIdentityClient(s2.env.azure.credential!, SUB, sdkOptions(s2));
      await expect(
        client.federatedIdentityCredentials.createOrUpdate("rg-payments", "payments-id", "one-too-many", {
          issuer: ISSUER,
          subject: "system:serviceaccount:ns:sa-21",
          audiences: ["api://AzureADTokenExchange"],
        }),
      ).rejects.toMatchObject({ statusCode: 400, code: "BadRequest" });
      // Updating one of the 20 is still allowed.
      await expect(
        client.federatedIdentityCredentials.createOrUpdate("rg-payments", "payments-id", "fic-1", {
          issuer: ISSUER,
          subject: "system:serviceaccount:ns:renamed",
          audiences: ["api://AzureADTokenExchange"],
        }),
      ).resolves.toMatchObject({ subject: "system:serviceaccount:ns:renamed" });
    } finally {
      await s2.close();
    }
  });
});

describe("ARM: role assignments and role definitions", () => {
  let s: SimSession;
  let auth: AuthorizationManagementClient;
  const principal = IDENTITY.principalId;
  beforeAll(async () => {
    s = await session((x) => {
      x.azure!.roleAssignments!.push({
        principalId: "0a0b0c0d-1e1f-4a2b-8c3d-4e5f6a7b8c9d",
        roleDefinitionName: "Owner",
        scope: `/subscriptions/${SUB}`,
      });
    });
    auth = new AuthorizationManagementClient(s.env.azure.credential!, SUB, sdkOptions(s));
  });
  afterAll(() => s.close());

  const list = async (scope: string, filter?: string) => {
    const out = [];
    for await (const a of auth.roleAssignments.listForScope(scope, filter ? { filter } : {})) out.push(a);
    return out;
  };

  it("a subscription-scope list without a filter includes assignments at child scopes", async () => {
    const all = await list(`subscriptions/${SUB}`);
    expect(all.map((a) => a.scope).sort()).toEqual(
      [
        `/subscriptions/${SUB}`,
        `/subscriptions/${SUB}`,
        `/subscriptions/${SUB}/resourceGroups/rg-payments`,
        VAULT_ID,
      ].sort(),
    );
  });

  it("atScope() lists the scope and above, not below", async () => {
    const atSub = await list(`subscriptions/${SUB}`, "atScope()");
    expect(atSub.every((a) => a.scope === `/subscriptions/${SUB}`)).toBe(true);
    const atVault = await list(VAULT_ID.slice(1), "atScope()");
    expect(atVault.map((a) => a.scope).sort()).toEqual(
      [
        `/subscriptions/${SUB}`,
        `/subscriptions/${SUB}`,
        `/subscriptions/${SUB}/resourceGroups/rg-payments`,
        VAULT_ID,
      ].sort(),
    );
  });

  it("principalId eq, assignedTo() and atScope() and assignedTo() select one principal", async () => {
    const byId = await list(`subscriptions/${SUB}`, `principalId eq '${principal}'`);
    expect(byId).toHaveLength(2);
    expect(byId.every((a) => a.principalId === principal)).toBe(true);
    const assigned = await list(`subscriptions/${SUB}`, `assignedTo('${principal}')`);
    expect(assigned.map((a) => a.id).sort()).toEqual(byId.map((a) => a.id).sort());
    const atRg = await list(
      `subscriptions/${SUB}/resourceGroups/rg-payments`,
      `atScope() and assignedTo('${principal}')`,
    );
    expect(atRg.map((a) => a.scope)).toEqual([`/subscriptions/${SUB}/resourceGroups/rg-payments`]);
  });

  it("answers the 2022-04-01 wire shape, and refuses an unsupported filter", async () => {
    const res = await armRaw(
      s,
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=${encodeURIComponent(`atScope() and assignedTo('${principal}')`)}`,
    );
    expect(res.status).toBe(200);
    const published = wireOf("RoleAssignments_List.assignedTo-filter.azure-docs.2022-04-01.json");
    const ours = res.json as { value: Record<string, unknown>[] };
    const withAny = await armRaw(
      s,
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`,
    );
    const one = (withAny.json as { value: unknown[] }).value[0];
    expect(Object.keys((one as { properties: object }).properties).sort()).toEqual(
      Object.keys(published.value[0].properties).sort(),
    );
    expect(Object.keys(one as object).sort()).toEqual(Object.keys(published.value[0]).sort());
    expect(ours.value).toHaveLength(0);

    const bad = await armRaw(
      s,
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=roleName%20eq%20'x'`,
    );
    expect(bad.status).toBe(400);
  });

  it("resolves built-in role definitions by id with their real permissions", async () => {
    const [kvAssignment] = await list(VAULT_ID.slice(1), `atScope() and assignedTo('${principal}')`).then((a) =>
      a.filter((x) => x.scope === VAULT_ID),
    );
    expect(kvAssignment.roleDefinitionId).toBe(
      `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`,
    );
    const def = await auth.roleDefinitions.getById(kvAssignment.roleDefinitionId!.slice(1));
    expect(def).toMatchObject({ roleName: "Key Vault Secrets User", roleType: "BuiltInRole" });
    expect(def.permissions?.[0].dataActions).toContain("Microsoft.KeyVault/vaults/secrets/getSecret/action");

    const reader = await auth.roleDefinitions.get(`subscriptions/${SUB}`, "acdd72a7-3385-48ef-bd42-f606fba81ae7");
    expect(reader.permissions?.[0].actions).toEqual(["*/read"]);
    const tenantLevel = await armRaw(
      s,
      `/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c?api-version=2022-04-01`,
    );
    expect((tenantLevel.json as { properties: { roleName: string } }).properties.roleName).toBe("Contributor");
    await expect(
      auth.roleDefinitions.get(`subscriptions/${SUB}`, "00000000-1111-4222-8333-444444444444"),
    ).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(findBuiltInRole("key vault secrets user")?.id).toBe("4633458b-17de-408a-b874-0445c86b69e6");
  });
});

describe("ARM: Key Vaults and scale sets", () => {
  let s: SimSession;
  beforeAll(async () => {
    s = await session();
  });
  afterAll(() => s.close());

  it("gets and lists vaults with network rules in the published shape (CIDR IPs, lower-case subnet ids)", async () => {
    const kv = new KeyVaultManagementClient(s.env.azure.credential!, SUB, sdkOptions(s));
    const v = await kv.vaults.get("rg-payments", "payments-kv");
    expect(v.properties.enableRbacAuthorization).toBe(true);
    expect(v.properties.networkAcls?.virtualNetworkRules?.[0].id).toBe(SUBNET_ID.toLowerCase());
    expect(v.properties.networkAcls?.ipRules?.[0].value).toBe("203.0.113.7/32");
    const names = [];
    for await (const x of kv.vaults.listBySubscription()) names.push(x.name);
    expect(names).toEqual(["payments-kv"]);
    const res = await armRaw(s, `${VAULT_ID}?api-version=2025-05-01`);
    expectSameFields(res.json, wireOf("Vaults_CreateOrUpdate.networkAcls.spec-example.2026-04-01.json"), [
      "id",
      "name",
      "type",
      "location",
      "properties.tenantId",
      "properties.sku.family",
      "properties.vaultUri",
      "properties.networkAcls.bypass",
      "properties.networkAcls.defaultAction",
      "properties.networkAcls.ipRules.0.value",
      "properties.networkAcls.virtualNetworkRules.0.id",
    ]);
    expectSameFields(res.json, wireOf("Vaults_Get.spec-example.2025-05-01.json"), [
      "properties.accessPolicies",
      "properties.provisioningState",
      "properties.publicNetworkAccess",
    ]);
  });

  it("gets a scale set with its user-assigned identities", async () => {
    const res = await armRaw(
      s,
      `/subscriptions/${SUB}/resourceGroups/MC_rg-payments_payments-aks_westeurope/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss?api-version=2024-07-01`,
    );
    expect(res.status).toBe(200);
    const ids = (res.json as { identity: { userAssignedIdentities: Record<string, { clientId: string }> } }).identity
      .userAssignedIdentities;
    expect(Object.values(ids)[0].clientId).toBe(IDENTITY.clientId);
  });
});

describe("ARM: authentication, authorization and faults", () => {
  it("answers 401 without a token, with a token Entra did not issue, with a Graph token and with another tenant's token", async () => {
    const s = await session();
    try {
      const path = `/subscriptions/${SUB}/resourceGroups/rg-payments/providers/Microsoft.ContainerService/managedClusters/payments-aks?api-version=2026-04-01`;
      const none = await armRaw(s, path, { token: null });
      expect(none.status).toBe(401);
      expect((none.json as { error: { code: string } }).error.code).toBe("AuthenticationFailed");
      expect(none.headers["www-authenticate"]).toMatch(/^Bearer authorization_uri=/);

      const forged = await armRaw(s, path, { token: "eyJhbGciOiJub25lIn0.e30." });
      expect((forged.json as { error: { code: string } }).error.code).toBe("InvalidAuthenticationToken");

      const graph = await armRaw(s, path, { token: await armToken(s, "https://graph.microsoft.com/.default") });
      expect(graph.status).toBe(401);
      expect((graph.json as { error: { code: string } }).error.code).toBe("InvalidAuthenticationTokenAudience");

      const other = await httpRequest(
        "https://login.microsoftonline.com/0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f/oauth2/v2.0/token",
        {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            client_id: "5f0c8a1e-0000-4000-8000-00000000d0c7",
            client_secret: "simulated-operator-secret",
            scope: "https://management.azure.com/.default",
            grant_type: "client_credentials",
          }).toString(),
          agent: s.world.agent,
          timeoutMs: 8000,
        },
      );
      const wrongTenant = await armRaw(s, path, { token: (other.json as { access_token: string }).access_token });
      expect(wrongTenant.status).toBe(401);
      expect((wrongTenant.json as { error: { code: string } }).error.code).toBe("InvalidAuthenticationTokenTenant");

      const noVersion = await armRaw(s, path.replace(/\?api-version=.*/, ""));
      expect(noVersion.status).toBe(400);
      expect((noVersion.json as { error: { code: string } }).error.code).toBe("MissingApiVersionParameter");
    } finally {
      await s.close();
    }
  });

  it("answers 403 AuthorizationFailed for a forbidden scope and leaves its resources out of wider lists", async () => {
    const s = await session((x) => {
      x.azure!.forbiddenScopes = [
        `/subscriptions/${SUB}/resourceGroups/rg-payments/providers/Microsoft.ManagedIdentity/userAssignedIdentities/payments-id`,
      ];
    });
    try {
      const msi = new ManagedServiceIdentityClient(s.env.azure.credential!, SUB, sdkOptions(s));
      const err = await msi.userAssignedIdentities.get("rg-payments", "payments-id").catch((e) => e);
      expect(err).toMatchObject({ statusCode: 403, code: "AuthorizationFailed" });
      expect(err.message).toMatch(
        /^The client '[0-9a-f-]{36}' with object id '[0-9a-f-]{36}' does not have authorization to perform action 'Microsoft\.ManagedIdentity\/userAssignedIdentities\/read' over scope '\/subscriptions\/.+\/userAssignedIdentities\/payments-id' or the scope is invalid\. If access was recently granted, please refresh your credentials\.$/,
      );
      const names = [];
      for await (const i of msi.userAssignedIdentities.listBySubscription()) names.push(i.name);
      expect(names).toEqual(["other-tenant-id"]);
    } finally {
      await s.close();
    }
  });

  it("the SDK retries a 429 with Retry-After and then succeeds", async () => {
    const s = await session((x) => {
      x.faults = {
        latencyMs: 0,
        rules: [{ service: "arm", path: "userAssignedIdentities/payments-id", status: 429, retryAfter: 0, times: 2 }],
      };
    });
    try {
      const msi = new ManagedServiceIdentityClient(s.env.azure.credential!, SUB, sdkOptions(s));
      const before = s.world.stats.byService.arm ?? 0;
      const i = await msi.userAssignedIdentities.get("rg-payments", "payments-id");
      expect(i.clientId).toBe(IDENTITY.clientId);
      expect((s.world.stats.byService.arm ?? 0) - before).toBe(3);
    } finally {
      await s.close();
    }
  });
});
