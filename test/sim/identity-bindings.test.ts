// AKS identity bindings in the simulated world: the ARM resource read with the real ContainerService SDK client,
// Entra's exchange of a token from the binding's issuer (and its refusal of the pod's unproxied token), and the
// webhook's proxy variables on pods a rollout creates.
import { ContainerServiceClient } from "@azure/arm-containerservice";
import { agentPolicy } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AzureProvider } from "../../src/providers/azure.js";
import { type SimSession, startSimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";
import { closeLoop } from "../remediation/closed-loop.js";
import { mintAssertion } from "./azure-world.js";

const SUB = "0b1f6471-1bf0-4dda-aec3-5c1e2f3a4b6d";
const TENANT = "6d3e1a52-8c3f-4b7e-9f1a-2b5c7d9e0f11";
const CLIENT_ID = "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f";
const BINDING_ISSUER = `https://ib.oic.prod-aks.azure.com/${TENANT}/${CLIENT_ID}`;
const CLUSTER_ISSUER =
  "https://westeurope.oic.prod-aks.azure.com/6d3e1a52-8c3f-4b7e-9f1a-2b5c7d9e0f11/8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/";

describe("identity bindings in the simulated world", () => {
  let s: SimSession;
  let aks: ContainerServiceClient;
  beforeAll(async () => {
    s = await startSimSession(loadScenario("aks-binding-healthy"), { timeoutMs: 8000 });
    aks = new ContainerServiceClient(s.env.azure.credential!, SUB, {
      additionalPolicies: [{ policy: agentPolicy(s.world.agent), position: "perCall" }],
      retryOptions: { maxRetries: 0 },
    });
  });
  afterAll(() => s?.close());

  it("ARM lists and gets the binding with the identity it binds and the issuer AKS keeps for it", async () => {
    const listed = [];
    for await (const b of aks.identityBindings.listByManagedCluster("payments-rg", "payments-aks")) listed.push(b);
    expect(listed.map((b) => b.name)).toEqual(["payments-api-identity-ib"]);
    const b = await aks.identityBindings.get("payments-rg", "payments-aks", "payments-api-identity-ib");
    expect(b.type).toBe("Microsoft.ContainerService/managedClusters/identityBindings");
    expect(b.properties?.managedIdentity).toMatchObject({
      clientId: CLIENT_ID,
      tenantId: TENANT,
      resourceId: `/subscriptions/${SUB}/resourceGroups/payments-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/payments-api-identity`,
    });
    expect(b.properties?.oidcIssuer?.oidcIssuerUrl).toBe(BINDING_ISSUER);
    expect(b.properties?.provisioningState).toBe("Succeeded");
    await expect(aks.identityBindings.get("payments-rg", "payments-aks", "nope")).rejects.toMatchObject({
      statusCode: 404,
    });
    await expect(aks.identityBindings.get("payments-rg", "no-such-cluster", "x")).rejects.toMatchObject({
      statusCode: 404,
      code: "ResourceNotFound",
    });
  });

  it("Entra exchanges a token from the binding's issuer, and refuses the pod's own token sent unproxied", async () => {
    const azure = new AzureProvider(s.env);
    const proxied = await mintAssertion(s.world, {
      iss: BINDING_ISSUER,
      sub: "aks-identity-binding",
      aud: "api://AzureADTokenExchange",
    });
    const okExchange = await azure.exchangeToken({ tenantId: TENANT, clientId: CLIENT_ID, assertion: proxied });
    expect(okExchange.ok).toBe(true);
    const direct = await mintAssertion(s.world, {
      iss: CLUSTER_ISSUER,
      sub: "system:serviceaccount:payments:payments-api",
      aud: "api://AKSIdentityBinding",
    });
    const refused = await azure.exchangeToken({ tenantId: TENANT, clientId: CLIENT_ID, assertion: direct });
    expect(refused).toMatchObject({ ok: false, errorCodes: [700211] });
  });
});

describe("the webhook injects the proxy variables into pods a rollout creates", () => {
  it("a pod mutated without them is healed by restarting the workload", { timeout: 120_000 }, async () => {
    const result = await closeLoop("aks-binding-proxy-env-missing");
    expect(result.steps).toEqual(["binding.proxy-env-missing → restart_workload"]);
    expect(result.healed).toBe(true);
  });
});
