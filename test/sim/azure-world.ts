// A healthy AKS workload identity setup in the simulated Azure, and helpers to mint service-account tokens.
import { type CryptoKey as JoseKey, SignJWT } from "jose";
import { startSimSession, type SimSession } from "../../src/sim/environment.js";
import { parseScenario, type Scenario, type ScenarioInput } from "../../src/sim/scenario.js";
import type { SimWorld } from "../../src/sim/world.js";

export const TENANT = "8f2d4e1a-3b5c-4d6e-9f70-1a2b3c4d5e6f";
export const OTHER_TENANT = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
export const SUB = "b6a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d";
export const CLUSTER_GUID = "45065001-0dbe-46cc-901d-60273194d53a";
export const ISSUER = `https://westeurope.oic.prod-aks.azure.com/${TENANT}/${CLUSTER_GUID}/`;
export const API_HOST = "payments-dns-4f1c9a2b.hcp.westeurope.azmk8s.io";
export const SUBJECT = "system:serviceaccount:payments:payments-api";
export const AUDIENCE = "api://AzureADTokenExchange";

export const IDENTITY = {
  name: "payments-id",
  resourceGroup: "rg-payments",
  clientId: "3a8c5f2e-1b4d-4e6f-8a9b-0c1d2e3f4a5b",
  principalId: "7d9e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a",
};
export const APP = {
  appId: "1a139bcd-74f9-48e2-834a-d897c7a9b4d6",
  objectId: "4d5c0e0b-9816-4aa2-a444-395e807c6f80",
  servicePrincipalObjectId: "45e0a0cf-92d7-4ea9-8a44-0e84fae7aa74",
  displayName: "payments-app",
};
/** A simulated client secret of the app registration (not a real secret). */
export const APP_SECRET = "simulated-app-secret-value";
export const EXPIRED_APP_SECRET = "simulated-expired-secret-value";
export const VAULT_ID = `/subscriptions/${SUB}/resourceGroups/rg-payments/providers/Microsoft.KeyVault/vaults/payments-kv`;
export const SUBNET_ID = `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/aks-vnet/subnets/aks-nodes`;

export function healthyScenario(): ScenarioInput {
  return {
    name: "azure-sim-test",
    description: "A healthy AKS workload identity setup for the simulated Azure services.",
    platform: "aks",
    target: { namespace: "payments", serviceAccount: "payments-api" },
    kubernetes: { server: `https://${API_HOST}:443`, issuer: ISSUER },
    azure: {
      tenantId: TENANT,
      subscriptionId: SUB,
      otherTenants: [OTHER_TENANT],
      managedClusters: [
        {
          name: "payments-aks",
          resourceGroup: "rg-payments",
          location: "westeurope",
          fqdn: API_HOST,
          kubernetesVersion: "1.30.4",
          oidcIssuerProfile: { enabled: true, issuerURL: ISSUER },
          securityProfile: { workloadIdentity: { enabled: true } },
          agentPoolProfiles: [{ name: "nodepool1", vnetSubnetID: SUBNET_ID }],
          kubeletIdentity: {
            clientId: "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            objectId: "6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f",
          },
        },
      ],
      userAssignedIdentities: [
        {
          ...IDENTITY,
          federatedIdentityCredentials: [
            { name: "payments-api", issuer: ISSUER, subject: SUBJECT, audiences: [AUDIENCE] },
          ],
        },
        {
          name: "other-tenant-id",
          resourceGroup: "rg-payments",
          clientId: "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e",
          principalId: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
          tenantId: OTHER_TENANT,
          federatedIdentityCredentials: [
            { name: "payments-api", issuer: ISSUER, subject: SUBJECT, audiences: [AUDIENCE] },
          ],
        },
      ],
      applications: [
        {
          ...APP,
          federatedIdentityCredentials: [
            { name: "payments-app-fic", issuer: ISSUER, subject: SUBJECT, audiences: [AUDIENCE] },
          ],
          passwordCredentials: [
            { secretText: APP_SECRET },
            { secretText: EXPIRED_APP_SECRET, endDateTime: "2020-01-01T00:00:00Z" },
          ],
        },
      ],
      roleAssignments: [
        { principalId: IDENTITY.principalId, roleDefinitionName: "Key Vault Secrets User", scope: VAULT_ID },
        {
          principalId: IDENTITY.principalId,
          roleDefinitionName: "Reader",
          scope: `/subscriptions/${SUB}/resourceGroups/rg-payments`,
        },
        {
          principalId: APP.servicePrincipalObjectId,
          roleDefinitionName: "Storage Blob Data Reader",
          scope: `/subscriptions/${SUB}`,
        },
      ],
      keyVaults: [
        {
          name: "payments-kv",
          resourceGroup: "rg-payments",
          enableRbacAuthorization: true,
          networkAcls: {
            defaultAction: "Deny",
            bypass: "AzureServices",
            virtualNetworkRules: [{ id: SUBNET_ID }],
            ipRules: [{ value: "203.0.113.7" }],
          },
        },
      ],
      virtualMachineScaleSets: [
        {
          name: "aks-nodepool1-12345678-vmss",
          resourceGroup: "MC_rg-payments_payments-aks_westeurope",
          userAssignedIdentities: [
            `/subscriptions/${SUB}/resourcegroups/rg-payments/providers/Microsoft.ManagedIdentity/userAssignedIdentities/payments-id`,
          ],
        },
      ],
    },
  };
}

/** A scenario: the healthy one, changed by `edit`. */
export function scenarioWith(edit: (s: ScenarioInput) => void = () => {}): Scenario {
  const s = healthyScenario();
  edit(s);
  return parseScenario(s);
}

export async function session(
  edit?: (s: ScenarioInput) => void,
  opts?: Parameters<typeof startSimSession>[1],
): Promise<SimSession> {
  return startSimSession(scenarioWith(edit), { timeoutMs: 8000, ...opts });
}

export interface MintOptions {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  /** Seconds from now. */
  expiresIn?: number;
  issuedAgo?: number;
  kid?: string;
  key?: JoseKey;
}

/** A service-account token as the API server would mint it, signed with the world's issuer key. */
export async function mintAssertion(world: SimWorld, o: MintOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const iat = now - (o.issuedAgo ?? 0);
  const signing = world.issuerKeys.signing;
  return new SignJWT({
    "kubernetes.io": {
      namespace: "payments",
      serviceaccount: { name: "payments-api", uid: "0d9f8e7d-6c5b-4a39-8281-7f6e5d4c3b2a" },
    },
  })
    .setProtectedHeader({ alg: "RS256", kid: o.kid ?? signing.kid })
    .setIssuer(o.iss ?? ISSUER)
    .setSubject(o.sub ?? SUBJECT)
    .setAudience(o.aud ?? AUDIENCE)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + (o.expiresIn ?? 3600))
    .sign(o.key ?? signing.privateKey);
}
