// AKS identity bindings in the simulated world: the ARM resource read with the real ContainerService SDK client,
// Entra's exchange of the token the binding proxy presents (and its refusal of the pod's unproxied token, and of the
// proxy's token when AKS's credential was edited: the error texts the binding worlds quote), and the
// webhook's proxy variables on pods a rollout creates.
import { ContainerServiceClient } from "@azure/arm-containerservice";
import { agentPolicy } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AzureProvider } from "../../src/providers/azure.js";
import { type SimSession, startSimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";
import { proxyAssertion, proxyAssertionClaims } from "../../src/sim/services/arm-identity-bindings.js";
import type { SimWorld } from "../../src/sim/world.js";
import { diagnose } from "../../src/gather/index.js";
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
    expect(proxyAssertionClaims(s.world, binding(s.world))).toEqual({
      iss: BINDING_ISSUER,
      sub: `/subscriptions/${SUB}/resourceGroups/payments-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/payments-api-identity`,
      aud: "api://AzureADTokenExchange",
    });
    const proxied = (await proxyAssertion(s.world, binding(s.world)))!;
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

const binding = (world: SimWorld) => world.scenario.azure!.managedClusters[0].identityBindings[0];

describe("Entra refuses the proxy's token when AKS's credential was edited", () => {
  for (const [world, code, quoted] of [
    ["aks-binding-credential-subject", 700213, "subject"],
    ["aks-binding-credential-audience", 700212, "audience"],
  ] as const) {
    it(`${world}: AADSTS${code}, the text the world quotes, confirmed by the diagnosis`, async () => {
      const scenario = loadScenario(world);
      const session = await startSimSession(scenario, { timeoutMs: 8000 });
      try {
        const claims = proxyAssertionClaims(session.world, binding(session.world))!;
        const assertion = (await proxyAssertion(session.world, binding(session.world)))!;
        const answer = await new AzureProvider(session.env).exchangeToken({
          tenantId: TENANT,
          clientId: CLIENT_ID,
          assertion,
        });
        expect(answer).toMatchObject({ ok: false, errorCodes: [code] });
        const presented = quoted === "subject" ? claims.sub : claims.aud;
        const said = (answer as { description: string }).description.split("\r\n")[0];
        expect(said).toContain(`presented assertion ${quoted} '${presented}'`);
        // The world's error text is Entra's answer, wrapped as the SDK wraps it (trace ids aside).
        expect(scenario.target.errorText).toContain(said);
        const report = await diagnose(session.env, scenario.target, {
          signal: AbortSignal.timeout(20_000),
          progress: async () => undefined,
          errorText: scenario.target.errorText,
        });
        expect(report.errorText?.confirmedBy).toContain("binding.credential-mismatch");
        const finding = report.findings.find((f) => f.id === "binding.credential-mismatch")!;
        expect(finding.evidence).toMatchObject({ proxyPresents: { subject: claims.sub, audience: claims.aud } });
        expect(finding.fix.commands[0]).toBe(
          `az identity federated-credential create --name aks-identity-binding --identity-name payments-api-identity --resource-group payments-rg --subscription ${SUB} --issuer ${BINDING_ISSUER} --subject ${claims.sub} --audience api://AzureADTokenExchange`,
        );
      } finally {
        await session.close();
      }
    });
  }
});

describe("the webhook injects the proxy variables into pods a rollout creates", () => {
  it("a pod mutated without them is healed by restarting the workload", { timeout: 120_000 }, async () => {
    const result = await closeLoop("aks-binding-proxy-env-missing");
    expect(result.steps).toEqual(["binding.proxy-env-missing → restart_workload"]);
    expect(result.healed).toBe(true);
  });
});
