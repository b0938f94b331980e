// ARM's AKS identity bindings: GET Microsoft.ContainerService/managedClusters/{cluster}/identityBindings[/{name}]
// with the shape of the REST spec's IdentityBindings_Get example (properties.managedIdentity {resourceId, objectId,
// clientId, tenantId}, properties.oidcIssuer.oidcIssuerUrl, properties.provisioningState, eTag). The issuer AKS
// keeps per identity has the form https://ib.oic.prod-aks.azure.com/<tenant id>/<client id> (AKS set-up guide);
// the OIDC service serves its discovery document and JWKS so Entra can verify what the proxy re-issues. The proxy
// presents Entra a token from that issuer whose subject is the identity's resource id (the one credential AKS keeps,
// aks-identity-binding, trusts that subject for every cluster and service account) and whose audience is
// api://AzureADTokenExchange: Entra matches it against the identity's credentials as it matches any assertion.
import { createHash, randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import type { SimResponse, SimWorld } from "../world.js";
import { identitySubscription, identityTenant, isAtOrUnder, type ScenarioAzure } from "./azure-state.js";

type Cluster = ScenarioAzure["managedClusters"][number];
type Binding = Cluster["identityBindings"][number];

const eq = (a: string | undefined, b: string | undefined) => (a ?? "").toLowerCase() === (b ?? "").toLowerCase();
const BINDING_TYPE = "Microsoft.ContainerService/managedClusters/identityBindings";

function armError(status: number, code: string, message: string): SimResponse {
  return {
    status,
    headers: { "x-ms-failure-cause": status === 404 ? "gateway" : "service" },
    body: { error: { code, message } },
  };
}

function identityOf(world: SimWorld, b: Binding) {
  return (world.scenario.azure?.userAssignedIdentities ?? []).find(
    (i) => eq(i.name, b.identity) || eq(identityResourceId(world, i), b.identity),
  );
}

function identityResourceId(world: SimWorld, i: ScenarioAzure["userAssignedIdentities"][number]): string {
  return `/subscriptions/${identitySubscription(world, i)}/resourceGroups/${i.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${i.name}`;
}

/** The issuer AKS keeps for the identity a binding names (one per identity, shared by its bindings). */
export function bindingIssuer(world: SimWorld, b: Binding): string | undefined {
  if (b.issuerUrl) return b.issuerUrl;
  const i = identityOf(world, b);
  return i ? `https://ib.oic.prod-aks.azure.com/${identityTenant(world, i)}/${i.clientId}` : undefined;
}

/** Every binding issuer of the world (served by the OIDC service). */
export function bindingIssuers(world: SimWorld): string[] {
  return (world.scenario.azure?.managedClusters ?? []).flatMap((c) =>
    c.identityBindings.map((b) => bindingIssuer(world, b)).filter((u): u is string => !!u),
  );
}

function bindingBody(world: SimWorld, sub: string, c: Cluster, b: Binding) {
  const i = identityOf(world, b);
  const issuer = bindingIssuer(world, b);
  return {
    id: `/subscriptions/${sub}/resourcegroups/${c.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${c.name}/identityBindings/${b.name}`,
    type: BINDING_TYPE,
    name: b.name,
    properties: {
      managedIdentity: {
        resourceId: i ? identityResourceId(world, i) : b.identity,
        ...(i ? { objectId: i.principalId, clientId: i.clientId, tenantId: identityTenant(world, i) } : {}),
      },
      ...(issuer && b.provisioningState === "Succeeded" ? { oidcIssuer: { oidcIssuerUrl: issuer } } : {}),
      provisioningState: b.provisioningState,
    },
    eTag: `"${createHash("sha256").update(`${c.name}/${b.name}/${b.identity}`).digest("hex").slice(0, 32)}"`,
  };
}

/**
 * GET .../managedClusters/{cluster}/identityBindings[/{name}] (`rest` is what follows the cluster's name), or
 * undefined when the path is not a binding's.
 */
export function identityBindingRoute(
  world: SimWorld,
  method: string,
  sub: string,
  rg: string,
  clusterName: string,
  rest: string[],
  objectId: string,
): SimResponse | undefined {
  if (!eq(rest[0], "identityBindings") || rest.length > 2 || method !== "GET") return undefined;
  const azure = world.scenario.azure!;
  const scope = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${clusterName}`;
  if ((azure.forbiddenScopes ?? []).some((f) => isAtOrUnder(scope, f))) {
    const action = `${BINDING_TYPE}/read`;
    return armError(
      403,
      "AuthorizationFailed",
      `The client '${objectId}' with object id '${objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  }
  const cluster = azure.managedClusters.find(
    (c) => eq(azure.subscriptionId, sub) && eq(c.resourceGroup, rg) && eq(c.name, clusterName),
  );
  if (!cluster) {
    return armError(
      404,
      "ResourceNotFound",
      `The Resource 'Microsoft.ContainerService/managedClusters/${clusterName}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  }
  if (rest.length === 1)
    return { status: 200, body: { value: cluster.identityBindings.map((b) => bindingBody(world, sub, cluster, b)) } };
  const b = cluster.identityBindings.find((x) => eq(x.name, rest[1]));
  return b
    ? { status: 200, body: bindingBody(world, sub, cluster, b) }
    : armError(404, "NotFound", `Identity binding '${rest[1]}' not found in managed cluster '${clusterName}'.`);
}

/** What the binding proxy presents to Entra for a binding's identity, or undefined when the binding names none. */
export function proxyAssertionClaims(
  world: SimWorld,
  b: Binding,
): { iss: string; sub: string; aud: string } | undefined {
  const i = identityOf(world, b);
  const iss = bindingIssuer(world, b);
  if (!i || !iss) return undefined;
  return { iss, sub: identityResourceId(world, i), aud: "api://AzureADTokenExchange" };
}

/** The token the proxy re-issues for a binding, signed with the key the binding's issuer publishes. */
export async function proxyAssertion(world: SimWorld, b: Binding, lifetimeS = 3600): Promise<string | undefined> {
  const claims = proxyAssertionClaims(world, b);
  if (!claims) return undefined;
  const key = world.issuerKeys.signing;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "RS256", kid: key.kid })
    .setIssuer(claims.iss)
    .setSubject(claims.sub)
    .setAudience(claims.aud)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + lifetimeS)
    .setJti(randomUUID())
    .sign(key.privateKey);
}
