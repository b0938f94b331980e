// Soft-deleted Key Vaults as ARM serves them: listed under the subscription's deletedVaults, read by location and
// name, and a 404 ResourceNotFound for a name that was never deleted; read with the real Key Vault SDK client.
import { KeyVaultManagementClient, type DeletedVault } from "@azure/arm-keyvault";
import { agentPolicy } from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AzureProvider } from "../../src/providers/azure.js";
import { type SimSession, startSimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";

describe("ARM deletedVaults", () => {
  let s: SimSession;
  let kv: KeyVaultManagementClient;
  let sub: string;
  beforeAll(async () => {
    const scenario = loadScenario("aks-keyvault-soft-deleted");
    sub = scenario.azure!.subscriptionId;
    s = await startSimSession(scenario);
    kv = new KeyVaultManagementClient(s.env.azure.credential!, sub, {
      additionalPolicies: [{ policy: agentPolicy(s.world.agent), position: "perCall" as const }],
      retryOptions: { maxRetries: 0 },
    });
  });
  afterAll(() => s.close());

  it("lists and gets a soft-deleted vault in the published shape", async () => {
    const listed: DeletedVault[] = [];
    for await (const v of kv.vaults.listDeleted()) listed.push(v);
    expect(listed.map((v) => v.name)).toEqual(["payments-kv"]);
    const v = await kv.vaults.getDeleted("payments-kv", "westeurope");
    expect(v.id).toBe(
      `/subscriptions/${sub}/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/payments-kv`,
    );
    expect(v.type).toBe("Microsoft.KeyVault/deletedVaults");
    expect(v.properties?.vaultId).toBe(
      `/subscriptions/${sub}/resourceGroups/payments-rg/providers/Microsoft.KeyVault/vaults/payments-kv`,
    );
    expect(v.properties?.deletionDate).toEqual(new Date("2025-06-10T14:02:11Z"));
    expect(v.properties?.purgeProtectionEnabled).toBe(false);
  });

  it("answers 404 ResourceNotFound for a vault that was never deleted there", async () => {
    const err = await kv.vaults.getDeleted("payments-kv", "northeurope").catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 404, code: "ResourceNotFound" });
  });

  it("the provider finds the deleted vault by name, and null for another name", async () => {
    const azure = new AzureProvider(s.env);
    expect(await azure.findDeletedKeyVault("PAYMENTS-KV")).toMatchObject({
      name: "payments-kv",
      location: "westeurope",
      scheduledPurgeDate: "2025-09-08T14:02:11.000Z",
    });
    expect(await azure.findDeletedKeyVault("other-kv")).toBeNull();
  });
});
