// The simulated Azure Resource Manager: subscriptions, AKS managed clusters, user-assigned identities and their
// federated credentials, role assignments and definitions, Key Vaults and VM scale sets, with ARM's own error
// bodies, authentication and authorization answers, and nextLink paging.
import { type ResourceGraphRow, resourceGraphQuery } from "./arm-resource-graph.js";
import { randomUUID } from "node:crypto";
import { noteWrite } from "./propagation.js";
import { wildcardMatches } from "../../diagnosis/wildcard.js";
import type { ScenarioFederatedCredential } from "../scenario.js";
import { identityBindingRoute } from "./arm-identity-bindings.js";
import type { SimRequest, SimResponse, SimService, SimWorld } from "../world.js";
import { builtInRoles, findBuiltInRole, type BuiltInRole } from "./azure-roles.js";
import {
  ARM_HOSTS,
  checkBearer,
  identitySubscription,
  identityTenant,
  isAtOrUnder,
  knownSubscriptions,
  type ScenarioAzure,
  type ScenarioIdentity,
  stableGuid,
  trimScope,
} from "./azure-state.js";

/** A user-assigned identity holds at most this many federated credentials. */
export const FIC_LIMIT = 20;
/** Federated credentials per page when the caller does not ask for `$top`. */
export const FIC_DEFAULT_PAGE_SIZE = 2;

type Azure = ScenarioAzure;
type Cluster = Azure["managedClusters"][number];
type Vault = Azure["keyVaults"][number];
type Vmss = Azure["virtualMachineScaleSets"][number];

const lower = (s: string) => s.toLowerCase();
const eq = (a: string | undefined, b: string | undefined) => (a ?? "").toLowerCase() === (b ?? "").toLowerCase();

function armError(status: number, code: string, message: string, headers: Record<string, string> = {}): SimResponse {
  return {
    status,
    headers: { "x-ms-failure-cause": status === 404 ? "gateway" : "service", ...headers },
    body: { error: { code, message } },
  };
}

const notFound = (providerType: string, name: string, rg: string) =>
  armError(
    404,
    "ResourceNotFound",
    `The Resource '${providerType}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );

const rgNotFound = (rg: string) => armError(404, "ResourceGroupNotFound", `Resource group '${rg}' could not be found.`);

const subscriptionNotFound = (sub: string) =>
  armError(404, "SubscriptionNotFound", `The subscription '${sub}' could not be found.`);

function ok(body: unknown, status = 200): SimResponse {
  return { status, body: body as object };
}

// ---------------------------------------------------------------------------------------------- wire shapes

const rgId = (sub: string, rg: string) => `/subscriptions/${sub}/resourcegroups/${rg}`;

function clusterBody(world: SimWorld, c: Cluster) {
  const azure = world.scenario.azure!;
  const sub = azure.subscriptionId;
  const id = `${rgId(sub, c.resourceGroup)}/providers/Microsoft.ContainerService/managedClusters/${c.name}`;
  const dnsPrefix = (c.fqdn ?? c.privateFQDN ?? c.name).split(".")[0];
  const version = c.kubernetesVersion ?? world.scenario.kubernetes.version;
  const identity =
    c.identity?.type === "None"
      ? undefined
      : c.identity?.type === "UserAssigned"
        ? {
            type: "UserAssigned",
            userAssignedIdentities: Object.fromEntries(
              (c.identity.userAssignedIdentities ?? []).map((rid) => {
                const ua = findIdentityByResourceId(world, rid);
                return [rid, ua ? { principalId: ua.principalId, clientId: ua.clientId } : {}];
              }),
            ),
          }
        : {
            type: "SystemAssigned",
            principalId: c.identity?.principalId ?? stableGuid("cluster-identity", id),
            tenantId: azure.tenantId,
          };
  return {
    id,
    location: c.location,
    name: c.name,
    type: "Microsoft.ContainerService/ManagedClusters",
    properties: {
      provisioningState: "Succeeded",
      powerState: { code: "Running" },
      kubernetesVersion: version,
      currentKubernetesVersion: version,
      dnsPrefix,
      ...(c.fqdn ? { fqdn: c.fqdn, azurePortalFQDN: c.fqdn.replace(/^([^.]+)\./, "$1.portal.") } : {}),
      ...(c.privateFQDN ? { privateFQDN: c.privateFQDN } : {}),
      agentPoolProfiles: c.agentPoolProfiles.map((p, i) => ({
        name: p.name,
        count: p.count ?? 3,
        vmSize: "Standard_DS2_v2",
        osDiskSizeGB: 128,
        type: "VirtualMachineScaleSets",
        provisioningState: "Succeeded",
        powerState: { code: "Running" },
        orchestratorVersion: version,
        currentOrchestratorVersion: version,
        mode: i === 0 ? "System" : "User",
        osType: "Linux",
        osSKU: "Ubuntu",
        ...(p.vnetSubnetID ? { vnetSubnetID: p.vnetSubnetID } : {}),
      })),
      servicePrincipalProfile: { clientId: c.servicePrincipalProfile?.clientId ?? "msi" },
      networkProfile: { networkPlugin: c.networkProfile?.networkPlugin ?? "azure" },
      nodeResourceGroup: c.nodeResourceGroup ?? `MC_${c.resourceGroup}_${c.name}_${c.location}`,
      enableRBAC: true,
      ...(c.kubeletIdentity
        ? {
            identityProfile: {
              kubeletidentity: {
                resourceId:
                  c.kubeletIdentity.resourceId ??
                  `${rgId(sub, c.nodeResourceGroup ?? `MC_${c.resourceGroup}_${c.name}_${c.location}`)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${c.name}-agentpool`,
                clientId: c.kubeletIdentity.clientId,
                objectId: c.kubeletIdentity.objectId,
              },
            },
          }
        : {}),
      securityProfile: c.securityProfile?.workloadIdentity
        ? { workloadIdentity: { enabled: c.securityProfile.workloadIdentity.enabled } }
        : {},
      oidcIssuerProfile: c.oidcIssuerProfile?.enabled
        ? { enabled: true, ...(c.oidcIssuerProfile.issuerURL ? { issuerURL: c.oidcIssuerProfile.issuerURL } : {}) }
        : { enabled: false },
    },
    ...(identity ? { identity } : {}),
    sku: { name: "Base", tier: "Free" },
  };
}

function identityId(world: SimWorld, i: ScenarioIdentity) {
  return `${rgId(identitySubscription(world, i), i.resourceGroup)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${i.name}`;
}

function identityBody(world: SimWorld, i: ScenarioIdentity) {
  return {
    id: identityId(world, i),
    location: i.location,
    name: i.name,
    properties: {
      clientId: i.clientId,
      principalId: i.principalId,
      tenantId: identityTenant(world, i),
      isolationScope: "None",
    },
    tags: {},
    type: "Microsoft.ManagedIdentity/userAssignedIdentities",
  };
}

function ficBody(world: SimWorld, i: ScenarioIdentity, f: ScenarioFederatedCredential) {
  return {
    id: `${identityId(world, i)}/federatedIdentityCredentials/${f.name}`,
    name: f.name,
    properties: { issuer: f.issuer, subject: f.subject, audiences: f.audiences },
    type: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
  };
}

/** ARM answers IPv4 rules in CIDR form and subnet ids in lower case. */
function vaultBody(world: SimWorld, v: Vault) {
  const azure = world.scenario.azure!;
  const sub = azure.subscriptionId;
  const tenantId = v.tenantId ?? azure.tenantId;
  return {
    id: `/subscriptions/${sub}/resourceGroups/${v.resourceGroup}/providers/Microsoft.KeyVault/vaults/${v.name}`,
    name: v.name,
    type: "Microsoft.KeyVault/vaults",
    location: v.location,
    tags: {},
    properties: {
      sku: { family: "A", name: "standard" },
      tenantId,
      accessPolicies: v.accessPolicies.map((p) => ({
        tenantId: p.tenantId ?? tenantId,
        objectId: p.objectId,
        permissions: {
          keys: p.permissions.keys ?? [],
          secrets: p.permissions.secrets ?? [],
          certificates: p.permissions.certificates ?? [],
        },
      })),
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 90,
      enableRbacAuthorization: v.enableRbacAuthorization,
      vaultUri: `https://${v.name}.vault.azure.net/`,
      provisioningState: "Succeeded",
      publicNetworkAccess: v.publicNetworkAccess,
      ...(v.networkAcls
        ? {
            networkAcls: {
              bypass: v.networkAcls.bypass,
              defaultAction: v.networkAcls.defaultAction,
              ipRules: v.networkAcls.ipRules.map((r) => ({
                value: /^\d+\.\d+\.\d+\.\d+$/.test(r.value) ? `${r.value}/32` : r.value,
              })),
              virtualNetworkRules: v.networkAcls.virtualNetworkRules.map((r) => ({
                id: r.id.toLowerCase(),
                ignoreMissingVnetServiceEndpoint: false,
              })),
            },
          }
        : {}),
    },
  };
}

function vmssBody(world: SimWorld, s: Vmss) {
  const sub = world.scenario.azure!.subscriptionId;
  const ids = s.userAssignedIdentities;
  return {
    id: `/subscriptions/${sub}/resourceGroups/${s.resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${s.name}`,
    name: s.name,
    type: "Microsoft.Compute/virtualMachineScaleSets",
    location: world.scenario.azure!.managedClusters[0]?.location ?? "westeurope",
    ...(ids.length
      ? {
          identity: {
            type: "UserAssigned",
            userAssignedIdentities: Object.fromEntries(
              ids.map((rid) => {
                const ua = findIdentityByResourceId(world, rid);
                return [rid, ua ? { principalId: ua.principalId, clientId: ua.clientId } : {}];
              }),
            ),
          },
        }
      : {}),
    sku: { name: "Standard_DS2_v2", tier: "Standard", capacity: 3 },
    properties: {
      provisioningState: "Succeeded",
      orchestrationMode: "Uniform",
      upgradePolicy: { mode: "Manual" },
      singlePlacementGroup: false,
    },
  };
}

function findIdentityByResourceId(world: SimWorld, resourceId: string): ScenarioIdentity | undefined {
  return world.scenario.azure?.userAssignedIdentities.find((i) => eq(identityId(world, i), resourceId));
}

// ---------------------------------------------------------------------------------------------- resource kinds

interface Located {
  sub: string;
  rg: string;
  name: string;
}

interface ResourceKind<T> {
  /** "Microsoft.ManagedIdentity/userAssignedIdentities" */
  providerType: string;
  items(world: SimWorld): T[];
  locate(world: SimWorld, item: T): Located;
  body(world: SimWorld, item: T): unknown;
}

const kinds: ResourceKind<unknown>[] = [
  {
    providerType: "Microsoft.ContainerService/managedClusters",
    items: (w) => w.scenario.azure?.managedClusters ?? [],
    locate: (w, c) => ({
      sub: w.scenario.azure!.subscriptionId,
      rg: (c as Cluster).resourceGroup,
      name: (c as Cluster).name,
    }),
    body: (w, c) => clusterBody(w, c as Cluster),
  },
  {
    providerType: "Microsoft.ManagedIdentity/userAssignedIdentities",
    items: (w) => w.scenario.azure?.userAssignedIdentities ?? [],
    locate: (w, i) => ({
      sub: identitySubscription(w, i as ScenarioIdentity),
      rg: (i as ScenarioIdentity).resourceGroup,
      name: (i as ScenarioIdentity).name,
    }),
    body: (w, i) => identityBody(w, i as ScenarioIdentity),
  },
  {
    providerType: "Microsoft.KeyVault/vaults",
    items: (w) => w.scenario.azure?.keyVaults ?? [],
    locate: (w, v) => ({
      sub: w.scenario.azure!.subscriptionId,
      rg: (v as Vault).resourceGroup,
      name: (v as Vault).name,
    }),
    body: (w, v) => vaultBody(w, v as Vault),
  },
  {
    providerType: "Microsoft.Compute/virtualMachineScaleSets",
    items: (w) => w.scenario.azure?.virtualMachineScaleSets ?? [],
    locate: (w, s) => ({
      sub: w.scenario.azure!.subscriptionId,
      rg: (s as Vmss).resourceGroup,
      name: (s as Vmss).name,
    }),
    body: (w, s) => vmssBody(w, s as Vmss),
  },
];

const kindOf = (ns: string, type: string) => kinds.find((k) => eq(k.providerType, `${ns}/${type}`));

/** Resource groups that exist: every group something lives in or is granted at. */
function resourceGroupsOf(world: SimWorld, sub: string): Set<string> {
  const groups = new Set<string>();
  for (const k of kinds) {
    for (const item of k.items(world)) {
      const at = k.locate(world, item);
      if (eq(at.sub, sub)) groups.add(lower(at.rg));
    }
  }
  for (const c of world.scenario.azure?.managedClusters ?? []) {
    groups.add(lower(c.nodeResourceGroup ?? `MC_${c.resourceGroup}_${c.name}_${c.location}`));
  }
  const scopes = [
    ...(world.scenario.azure?.roleAssignments ?? []).map((r) => r.scope),
    ...(world.scenario.azure?.forbiddenScopes ?? []),
  ];
  for (const s of scopes) {
    const m = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)/i.exec(s);
    if (m && eq(m[1], sub)) groups.add(lower(m[2]));
  }
  return groups;
}

// ---------------------------------------------------------------------------------------------- authorization

function forbiddenScopeCovering(world: SimWorld, scope: string): string | undefined {
  return (world.scenario.azure?.forbiddenScopes ?? []).find((f) => isAtOrUnder(scope, f));
}

function authorizationFailed(objectId: string, action: string, scope: string): SimResponse {
  return armError(
    403,
    "AuthorizationFailed",
    `The client '${objectId}' with object id '${objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

/** Audiences ARM accepts, per cloud. */
function armAudiences(host: string): string[] {
  const legacy: Record<string, string> = {
    "management.azure.com": "https://management.core.windows.net",
    "management.usgovcloudapi.net": "https://management.core.usgovcloudapi.net",
    "management.chinacloudapi.cn": "https://management.core.chinacloudapi.cn",
  };
  return [`https://${host}`, legacy[host] ?? `https://${host}`];
}

// ---------------------------------------------------------------------------------------------- handlers

interface Ctx {
  req: SimRequest;
  world: SimWorld;
  azure: Azure;
  objectId: string;
  apiVersion: string;
}

function deny(ctx: Ctx, action: string, scope: string): SimResponse | undefined {
  return forbiddenScopeCovering(ctx.world, scope) || !operatorMay(ctx.azure, action)
    ? authorizationFailed(ctx.objectId, action, scope)
    : undefined;
}

/** ARM's rule: an action is granted when some permission's actions match it and that permission's notActions do not. */
function operatorMay(azure: Azure, action: string): boolean {
  const m = (p: string) => wildcardMatches(p, action, { ignoreCase: true, slashStarSlashOptional: true });
  return (azure.operatorPermissions ?? [{ actions: ["*"], notActions: [] }]).some(
    (p) => p.actions.some(m) && !p.notActions.some(m),
  );
}

/** GET {scope}/providers/Microsoft.Authorization/permissions: the caller's effective permissions at the scope. */
function listPermissions(ctx: Ctx, scope: string): SimResponse {
  if (forbiddenScopeCovering(ctx.world, scope)) return ok({ value: [] });
  const perms = ctx.azure.operatorPermissions ?? [{ actions: ["*"], notActions: [] }];
  return ok({
    value: perms.map((p) => ({ actions: p.actions, notActions: p.notActions, dataActions: [], notDataActions: [] })),
  });
}

function listSubscriptions(ctx: Ctx): SimResponse {
  const value = knownSubscriptions(ctx.world)
    .filter((s) => !forbiddenScopeCovering(ctx.world, `/subscriptions/${s}`))
    .map((s) => subscriptionBody(ctx, s));
  return ok({ value, count: { type: "Total", value: value.length } });
}

function subscriptionBody(ctx: Ctx, sub: string) {
  const main = eq(sub, ctx.azure.subscriptionId);
  return {
    id: `/subscriptions/${sub}`,
    authorizationSource: "RoleBased",
    managedByTenants: [],
    subscriptionId: sub,
    tenantId: ctx.azure.tenantId,
    displayName: main ? `${ctx.world.scenario.name}` : `subscription ${sub.slice(0, 8)}`,
    state: "Enabled",
    subscriptionPolicies: {
      locationPlacementId: "Public_2014-09-01",
      quotaId: "PayAsYouGo_2014-09-01",
      spendingLimit: "Off",
    },
  };
}

function requireSubscription(ctx: Ctx, sub: string): SimResponse | undefined {
  return knownSubscriptions(ctx.world).some((s) => eq(s, sub)) ? undefined : subscriptionNotFound(sub);
}

function listResources(ctx: Ctx, kind: ResourceKind<unknown>, sub: string, rg?: string): SimResponse {
  const scope = rg ? `/subscriptions/${sub}/resourceGroups/${rg}` : `/subscriptions/${sub}`;
  const denied = deny(ctx, `${kind.providerType}/read`, scope);
  if (denied) return denied;
  if (rg && !resourceGroupsOf(ctx.world, sub).has(lower(rg))) return rgNotFound(rg);
  const value = kind
    .items(ctx.world)
    .filter((item) => {
      const at = kind.locate(ctx.world, item);
      if (!eq(at.sub, sub) || (rg && !eq(at.rg, rg))) return false;
      return !forbiddenScopeCovering(
        ctx.world,
        `/subscriptions/${at.sub}/resourceGroups/${at.rg}/providers/${kind.providerType}/${at.name}`,
      );
    })
    .map((item) => kind.body(ctx.world, item));
  return ok({ value });
}

function findResource(ctx: Ctx, kind: ResourceKind<unknown>, sub: string, rg: string, name: string) {
  return kind.items(ctx.world).find((item) => {
    const at = kind.locate(ctx.world, item);
    return eq(at.sub, sub) && eq(at.rg, rg) && eq(at.name, name);
  });
}

function getResource(ctx: Ctx, kind: ResourceKind<unknown>, sub: string, rg: string, name: string): SimResponse {
  const scope = `/subscriptions/${sub}/resourceGroups/${rg}/providers/${kind.providerType}/${name}`;
  const denied = deny(ctx, `${kind.providerType}/read`, scope);
  if (denied) return denied;
  if (!resourceGroupsOf(ctx.world, sub).has(lower(rg))) return rgNotFound(rg);
  const item = findResource(ctx, kind, sub, rg, name);
  return item ? ok(kind.body(ctx.world, item)) : notFound(kind.providerType, name, rg);
}

// ------------------------------------------------------------------ soft-deleted Key Vaults

type DeletedVault = Azure["deletedKeyVaults"][number];

function deletedVaultBody(sub: string, v: DeletedVault) {
  return {
    id: `/subscriptions/${sub}/providers/Microsoft.KeyVault/locations/${v.location}/deletedVaults/${v.name}`,
    name: v.name,
    type: "Microsoft.KeyVault/deletedVaults",
    properties: {
      vaultId: `/subscriptions/${sub}/resourceGroups/${v.resourceGroup}/providers/Microsoft.KeyVault/vaults/${v.name}`,
      location: v.location,
      tags: {},
      deletionDate: v.deletionDate,
      scheduledPurgeDate: v.scheduledPurgeDate,
      purgeProtectionEnabled: v.purgeProtectionEnabled,
    },
  };
}

/**
 * GET /subscriptions/{sub}/providers/Microsoft.KeyVault/deletedVaults and
 * …/locations/{location}/deletedVaults/{name}; soft-deleted vaults live in the main subscription only.
 */
function deletedVaultRoute(ctx: Ctx, sub: string, rest: string[]): SimResponse | undefined {
  const all = eq(sub, ctx.azure.subscriptionId) ? (ctx.azure.deletedKeyVaults ?? []) : [];
  const scope = `/subscriptions/${sub}`;
  if (rest.length === 1 && eq(rest[0], "deletedVaults")) {
    return (
      deny(ctx, "Microsoft.KeyVault/deletedVaults/read", scope) ??
      ok({ value: all.map((v) => deletedVaultBody(sub, v)) })
    );
  }
  if (rest.length === 4 && eq(rest[0], "locations") && eq(rest[2], "deletedVaults")) {
    const denied = deny(ctx, "Microsoft.KeyVault/deletedVaults/read", scope);
    if (denied) return denied;
    const v = all.find((x) => eq(x.location, rest[1]) && eq(x.name, rest[3]));
    return v
      ? ok(deletedVaultBody(sub, v))
      : armError(
          404,
          "ResourceNotFound",
          `The Resource 'Microsoft.KeyVault/locations/${rest[1]}/deletedVaults/${rest[3]}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
        );
  }
  return undefined;
}

// ------------------------------------------------------------------ Key Vault writes

function vaultFor(ctx: Ctx, sub: string, rg: string, name: string, action: string): Vault | SimResponse {
  const scope = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${name}`;
  const denied = deny(ctx, action, scope);
  if (denied) return denied;
  if (!resourceGroupsOf(ctx.world, sub).has(lower(rg))) return rgNotFound(rg);
  const vault = (ctx.azure.keyVaults ?? []).find((v) => eq(v.resourceGroup, rg) && eq(v.name, name));
  return vault ?? notFound("Microsoft.KeyVault/vaults", name, rg);
}

function bodyOf(ctx: Ctx): { properties?: Record<string, unknown> } | SimResponse {
  try {
    return (ctx.req.json() as { properties?: Record<string, unknown> } | null) ?? {};
  } catch {
    return armError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
  }
}

const GUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** PUT …/vaults/{name}/accessPolicies/{add|replace|remove}: permissions merged into, replacing or removed from a policy. */
function vaultAccessPolicies(ctx: Ctx, sub: string, rg: string, name: string, kind: string): SimResponse {
  if (ctx.req.method !== "PUT") {
    return armError(
      405,
      "MethodNotAllowed",
      `The requested resource does not support http method '${ctx.req.method}'.`,
    );
  }
  const vault = vaultFor(ctx, sub, rg, name, "Microsoft.KeyVault/vaults/accessPolicies/write");
  if ("status" in vault) return vault;
  const op = lower(kind);
  if (!["add", "replace", "remove"].includes(op)) {
    return armError(
      400,
      "BadRequest",
      `The operation kind '${kind}' is not valid. Valid values are add, replace and remove.`,
    );
  }
  const body = bodyOf(ctx);
  if ("status" in body) return body;
  const policies = body.properties?.accessPolicies;
  if (!Array.isArray(policies) || !policies.length) {
    return armError(400, "BadRequest", "The parameter accessPolicies must contain at least one access policy.");
  }
  type Perms = Vault["accessPolicies"][number]["permissions"];
  for (const [i, p] of (policies as { objectId?: unknown; tenantId?: unknown; permissions?: Perms }[]).entries()) {
    if (typeof p.objectId !== "string" || !GUID_TEXT.test(p.objectId)) {
      return armError(400, "BadRequest", `Invalid value found at accessPolicies[${i}].ObjectId: ${String(p.objectId)}`);
    }
    const existing = vault.accessPolicies.find((x) => eq(x.objectId, p.objectId as string));
    const perms = p.permissions ?? {};
    if (op === "replace" || !existing) {
      if (existing) existing.permissions = { ...perms };
      else if (op !== "remove") {
        vault.accessPolicies.push({
          objectId: p.objectId,
          ...(typeof p.tenantId === "string" ? { tenantId: p.tenantId } : {}),
          permissions: { ...perms },
        });
      }
      continue;
    }
    for (const k of ["secrets", "keys", "certificates"] as const) {
      const have = existing.permissions[k] ?? [];
      const given = (perms[k] ?? []).map(lower);
      existing.permissions[k] =
        op === "add"
          ? [...have, ...given.filter((g) => !have.some((h) => eq(h, g)))]
          : have.filter((h) => !given.includes(lower(h)));
    }
  }
  const full = vaultBody(ctx.world, vault);
  return ok({
    id: `${full.id}/accessPolicies/${op}`,
    name: op,
    type: "Microsoft.KeyVault/vaults/accessPolicies",
    location: vault.location,
    properties: { accessPolicies: full.properties.accessPolicies },
  });
}

/** PATCH …/vaults/{name}: only properties.networkAcls and publicNetworkAccess are taken here. */
function patchVault(ctx: Ctx, sub: string, rg: string, name: string): SimResponse {
  const vault = vaultFor(ctx, sub, rg, name, "Microsoft.KeyVault/vaults/write");
  if ("status" in vault) return vault;
  const body = bodyOf(ctx);
  if ("status" in body) return body;
  const acls = body.properties?.networkAcls as
    | {
        defaultAction?: string;
        bypass?: string;
        ipRules?: { value?: string }[];
        virtualNetworkRules?: { id?: string }[];
      }
    | undefined;
  if (acls) {
    if (acls.defaultAction !== undefined && !["Allow", "Deny"].includes(acls.defaultAction)) {
      return armError(
        400,
        "BadRequest",
        `The value '${acls.defaultAction}' of networkAcls.defaultAction is not valid.`,
      );
    }
    const badSubnet = (acls.virtualNetworkRules ?? []).find(
      (r) => typeof r.id !== "string" || !/\/subnets\/[^/]+$/i.test(r.id),
    );
    if (badSubnet) {
      return armError(
        400,
        "BadRequest",
        `Invalid virtual network rule id '${String(badSubnet.id)}': expected a subnet resource id.`,
      );
    }
    const previous = vault.networkAcls;
    vault.networkAcls = {
      defaultAction: (acls.defaultAction ?? previous?.defaultAction ?? "Allow") as "Allow" | "Deny",
      bypass: (acls.bypass ?? previous?.bypass ?? "AzureServices") as "AzureServices" | "None",
      virtualNetworkRules: acls.virtualNetworkRules
        ? acls.virtualNetworkRules.map((r) => ({ id: r.id as string }))
        : (previous?.virtualNetworkRules ?? []),
      ipRules: acls.ipRules
        ? acls.ipRules.map((r) => ({ value: String(r.value).replace(/\/32$/, "") }))
        : (previous?.ipRules ?? []),
    };
  }
  const access = body.properties?.publicNetworkAccess;
  if (access === "Enabled" || access === "Disabled") vault.publicNetworkAccess = access;
  return ok(vaultBody(ctx.world, vault));
}

// ------------------------------------------------------------------ federated identity credentials

const FIC_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials";

function identityFor(ctx: Ctx, sub: string, rg: string, name: string): ScenarioIdentity | SimResponse {
  if (!resourceGroupsOf(ctx.world, sub).has(lower(rg))) return rgNotFound(rg);
  const i = ctx.azure.userAssignedIdentities.find(
    (x) => eq(identitySubscription(ctx.world, x), sub) && eq(x.resourceGroup, rg) && eq(x.name, name),
  );
  return i ?? notFound("Microsoft.ManagedIdentity/userAssignedIdentities", name, rg);
}

function decodeSkipToken(token: string | null): number {
  if (!token) return 0;
  try {
    const n = JSON.parse(Buffer.from(token, "base64url").toString("utf8")).o;
    return Number.isInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}

function listFics(ctx: Ctx, sub: string, rg: string, name: string): SimResponse {
  const scope = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
  const denied = deny(ctx, `${FIC_TYPE}/read`, scope);
  if (denied) return denied;
  const identity = identityFor(ctx, sub, rg, name);
  if ("status" in identity) return identity;
  const q = ctx.req.query;
  const topText = q.get("$top");
  const top = topText === null ? undefined : Number(topText);
  if (top !== undefined && (!Number.isInteger(top) || top < 1)) {
    return armError(400, "BadRequest", `The value '${topText}' of the query parameter '$top' is not valid.`);
  }
  const pageSize = top ?? FIC_DEFAULT_PAGE_SIZE;
  const offset = decodeSkipToken(q.get("$skiptoken") ?? q.get("$skipToken"));
  const all = identity.federatedIdentityCredentials;
  const page = all.slice(offset, offset + pageSize).map((f) => ficBody(ctx.world, identity, f));
  const body: { value: unknown[]; nextLink?: string } = { value: page };
  if (offset + pageSize < all.length) {
    const next = new URL(`https://${ctx.req.host}${requestPath(ctx.req)}`);
    next.searchParams.set("api-version", ctx.apiVersion);
    if (top !== undefined) next.searchParams.set("$top", String(top));
    next.searchParams.set("$skipToken", Buffer.from(JSON.stringify({ o: offset + pageSize })).toString("base64url"));
    body.nextLink = next.toString();
  }
  return ok(body);
}

function ficRoute(ctx: Ctx, sub: string, rg: string, name: string, ficName: string): SimResponse {
  const scope = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
  const verb = ctx.req.method === "GET" ? "read" : ctx.req.method === "PUT" ? "write" : "delete";
  if (!["GET", "PUT", "DELETE"].includes(ctx.req.method)) {
    return armError(
      405,
      "MethodNotAllowed",
      `The requested resource does not support http method '${ctx.req.method}'.`,
    );
  }
  const denied = deny(ctx, `${FIC_TYPE}/${verb}`, scope);
  if (denied) return denied;
  const identity = identityFor(ctx, sub, rg, name);
  if ("status" in identity) return identity;
  const fics = identity.federatedIdentityCredentials;
  const index = fics.findIndex((f) => eq(f.name, ficName));

  if (ctx.req.method === "GET") {
    return index >= 0
      ? ok(ficBody(ctx.world, identity, fics[index]))
      : notFound(
          `Microsoft.ManagedIdentity/userAssignedIdentities/${identity.name}/federatedIdentityCredentials`,
          ficName,
          rg,
        );
  }
  if (ctx.req.method === "DELETE") {
    if (index < 0) return { status: 204 };
    fics.splice(index, 1);
    return { status: 200 };
  }

  let body: unknown;
  try {
    body = ctx.req.json();
  } catch {
    return armError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
  }
  const props = (body as { properties?: Record<string, unknown> } | null)?.properties;
  const issuer = props?.issuer;
  const subject = props?.subject;
  const audiences = props?.audiences;
  if (typeof issuer !== "string" || issuer.trim() === "") {
    return armError(400, "BadRequest", "The federated identity credential must have a non-empty issuer.");
  }
  if (!/^https:\/\//i.test(issuer)) {
    return armError(
      400,
      "BadRequest",
      `The issuer '${issuer}' of the federated identity credential must be an HTTPS URL.`,
    );
  }
  if (typeof subject !== "string" || subject.trim() === "") {
    return armError(400, "BadRequest", "The federated identity credential must have a non-empty subject.");
  }
  if (!Array.isArray(audiences) || audiences.length !== 1 || typeof audiences[0] !== "string" || audiences[0] === "") {
    return armError(400, "BadRequest", "The federated identity credential must have exactly one audience.");
  }
  const duplicate = fics.find((f, i) => i !== index && f.issuer === issuer && f.subject === subject);
  if (duplicate) {
    return armError(
      400,
      "BadRequest",
      `The federated identity credential '${duplicate.name}' of this identity already has issuer '${issuer}' and subject '${subject}'.`,
    );
  }
  const fic: ScenarioFederatedCredential = { name: ficName, issuer, subject, audiences: [audiences[0]] };
  if (index >= 0) {
    fics[index] = { ...fics[index], ...fic, name: fics[index].name };
    noteWrite(ctx.world, identity.clientId);
    return ok(ficBody(ctx.world, identity, fics[index]), 200);
  }
  if (fics.length >= FIC_LIMIT) {
    return armError(
      400,
      "BadRequest",
      `The user-assigned identity '${identity.name}' already has the maximum of ${FIC_LIMIT} federated identity credentials; delete one before adding another.`,
    );
  }
  fics.push(fic);
  noteWrite(ctx.world, identity.clientId);
  return ok(ficBody(ctx.world, identity, fic), 201);
}

// ------------------------------------------------------------------ role assignments and definitions

function roleOfAssignment(name: string): BuiltInRole {
  return (
    findBuiltInRole(name) ?? {
      id: stableGuid("custom-role", name.toLowerCase()),
      roleName: name,
      description: "",
      actions: [],
      notActions: [],
      dataActions: [],
      notDataActions: [],
    }
  );
}

function customRoles(world: SimWorld): BuiltInRole[] {
  return (world.scenario.azure?.roleAssignments ?? [])
    .filter((r) => !findBuiltInRole(r.roleDefinitionName))
    .map((r) => roleOfAssignment(r.roleDefinitionName));
}

function subscriptionOfScope(scope: string, fallback: string): string {
  return /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1] ?? fallback;
}

/** The names given to role assignments created over the wire (a scenario's own assignments get stable ones). */
const assignmentNames = new WeakMap<object, string>();

function assignmentBody(ctx: Ctx, r: Azure["roleAssignments"][number]) {
  const role = roleOfAssignment(r.roleDefinitionName);
  const name =
    assignmentNames.get(r) ?? stableGuid("role-assignment", r.principalId.toLowerCase(), role.id, trimScope(r.scope));
  const sub = subscriptionOfScope(r.scope, ctx.azure.subscriptionId);
  const scope = r.scope.replace(/\/+$/, "") || "/";
  return {
    properties: {
      roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${role.id}`,
      principalId: r.principalId,
      principalType: r.principalType,
      scope,
      condition: null,
      conditionVersion: null,
      createdOn: "2025-01-15T21:08:45.4904312Z",
      updatedOn: "2025-01-15T21:08:45.4904312Z",
      createdBy: null,
      updatedBy: null,
      delegatedManagedIdentityResourceId: null,
      description: null,
    },
    id: `${scope === "/" ? "" : scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
    type: "Microsoft.Authorization/roleAssignments",
    name,
  };
}

type AssignmentFilter = { atScope: boolean; principalId?: string };

/** The `$filter` forms ARM documents for role assignments; anything else is refused as ARM does. */
function parseAssignmentFilter(filter: string | null): AssignmentFilter | "unsupported" {
  if (filter === null || filter.trim() === "") return { atScope: false };
  const parts = filter
    .trim()
    .split(/\s+and\s+/i)
    .map((p) => p.trim());
  const out: AssignmentFilter = { atScope: false };
  for (const p of parts) {
    const principal = /^principalId\s+eq\s+'([^']+)'$/i.exec(p) ?? /^assignedTo\('([^']+)'\)$/i.exec(p);
    if (/^atScope\(\)$/i.test(p)) out.atScope = true;
    else if (principal) out.principalId = principal[1];
    else return "unsupported";
  }
  return out;
}

function listAssignments(ctx: Ctx, scope: string): SimResponse {
  const denied = deny(ctx, "Microsoft.Authorization/roleAssignments/read", scope || "/");
  if (denied) return denied;
  const filter = parseAssignmentFilter(ctx.req.query.get("$filter"));
  if (filter === "unsupported") {
    return armError(
      400,
      "UnsupportedQuery",
      `The filter '${ctx.req.query.get("$filter")}' is not supported. Supported filters are atScope(), principalId eq '{id}', assignedTo('{id}') and atScope() and assignedTo('{id}').`,
    );
  }
  const value = ctx.azure.roleAssignments
    .filter((r) => {
      // At or above the scope always applies; below it only without atScope().
      const applies = isAtOrUnder(scope, r.scope) || (!filter.atScope && isAtOrUnder(r.scope, scope));
      if (!applies) return false;
      if (filter.principalId && !eq(filter.principalId, r.principalId)) return false;
      return !forbiddenScopeCovering(ctx.world, r.scope);
    })
    .map((r) => assignmentBody(ctx, r));
  return ok({ value });
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** GET, PUT (create) and DELETE of one role assignment, with the errors ARM answers for each. */
function assignmentRoute(ctx: Ctx, rawScope: string, name: string): SimResponse {
  const scope = rawScope.replace(/\/+$/, "") || "/";
  const method = ctx.req.method;
  if (!["GET", "PUT", "DELETE"].includes(method)) {
    return armError(405, "MethodNotAllowed", `The requested resource does not support http method '${method}'.`);
  }
  const verb = method === "GET" ? "read" : method === "PUT" ? "write" : "delete";
  const denied = deny(ctx, `Microsoft.Authorization/roleAssignments/${verb}`, scope);
  if (denied) return denied;
  const all = ctx.azure.roleAssignments;
  const index = all.findIndex(
    (r) => eq(r.scope.replace(/\/+$/, "") || "/", scope) && eq(assignmentBody(ctx, r).name, name),
  );
  if (method === "GET") {
    return index >= 0
      ? ok(assignmentBody(ctx, all[index]))
      : armError(404, "RoleAssignmentNotFound", `The role assignment '${name}' is not found.`);
  }
  if (method === "DELETE") {
    if (index < 0) return { status: 204 };
    const [gone] = all.splice(index, 1);
    return ok(assignmentBody(ctx, gone));
  }
  if (!GUID_RE.test(name)) {
    return armError(
      400,
      "InvalidRoleAssignmentId",
      `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`,
    );
  }
  let body: { properties?: Record<string, unknown> } | null;
  try {
    body = ctx.req.json() as typeof body;
  } catch {
    return armError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
  }
  const props = body?.properties ?? {};
  const roleDefinitionId = typeof props.roleDefinitionId === "string" ? props.roleDefinitionId : "";
  const principalId = typeof props.principalId === "string" ? props.principalId : "";
  if (!GUID_RE.test(principalId)) {
    return armError(400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment.");
  }
  const roleId = roleDefinitionId.split("/").pop() ?? "";
  const role = [...builtInRoles, ...customRoles(ctx.world)].find((r) => eq(r.id, roleId));
  if (!role) {
    return armError(
      400,
      "RoleDefinitionDoesNotExist",
      `The specified role definition with ID '${roleId}' does not exist.`,
    );
  }
  const principalType =
    props.principalType === "User" || props.principalType === "Group" ? props.principalType : "ServicePrincipal";
  const same = all.find(
    (r) =>
      eq(r.principalId, principalId) &&
      eq(roleOfAssignment(r.roleDefinitionName).id, role.id) &&
      eq(r.scope.replace(/\/+$/, "") || "/", scope),
  );
  if (index >= 0) {
    // A role assignment cannot be updated: the same properties again are accepted, others are refused.
    if (same === all[index]) return ok(assignmentBody(ctx, all[index]), 201);
    return armError(
      400,
      "RoleAssignmentUpdateNotPermitted",
      "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
    );
  }
  if (same) return armError(409, "RoleAssignmentExists", "The role assignment already exists.");
  const created = {
    principalId,
    roleDefinitionName: role.roleName,
    scope,
    principalType,
  } as Azure["roleAssignments"][number];
  assignmentNames.set(created, name.toLowerCase());
  all.push(created);
  return ok(assignmentBody(ctx, created), 201);
}

function roleDefinitionBody(ctx: Ctx, role: BuiltInRole, scope: string) {
  const sub = subscriptionOfScope(scope, "");
  const custom = !builtInRoles.includes(role);
  return {
    properties: {
      roleName: role.roleName,
      type: custom ? "CustomRole" : "BuiltInRole",
      description: role.description,
      assignableScopes: custom ? [`/subscriptions/${ctx.azure.subscriptionId}`] : ["/"],
      permissions: [
        {
          actions: role.actions,
          notActions: role.notActions,
          dataActions: role.dataActions,
          notDataActions: role.notDataActions,
        },
      ],
      createdOn: "2015-02-02T21:55:09.8806423Z",
      updatedOn: "2025-01-15T21:08:45.4904312Z",
      createdBy: null,
      updatedBy: null,
    },
    id: `${sub ? `/subscriptions/${sub}` : ""}/providers/Microsoft.Authorization/roleDefinitions/${role.id}`,
    type: "Microsoft.Authorization/roleDefinitions",
    name: role.id,
  };
}

function roleDefinitions(ctx: Ctx, scope: string, id: string | undefined): SimResponse {
  const all = [...builtInRoles, ...customRoles(ctx.world)];
  if (id) {
    const role = all.find((r) => eq(r.id, id));
    return role
      ? ok(roleDefinitionBody(ctx, role, scope))
      : armError(
          404,
          "RoleDefinitionDoesNotExist",
          "The specified role definition with ID '" + id + "' does not exist.",
        );
  }
  const filter = ctx.req.query.get("$filter");
  const byName = filter ? /^roleName\s+eq\s+'([^']+)'$/i.exec(filter.trim())?.[1] : undefined;
  const value = all.filter((r) => !byName || eq(r.roleName, byName)).map((r) => roleDefinitionBody(ctx, r, scope));
  return ok({ value });
}

/** The identities Resource Graph shows the caller: those its role assignments let it read. */
function resourceGraphRows(ctx: Ctx): ResourceGraphRow[] {
  return ctx.azure.userAssignedIdentities
    .filter((i) => !forbiddenScopeCovering(ctx.world, identityId(ctx.world, i)))
    .map((i) => ({
      ...identityBody(ctx.world, i),
      subscriptionId: identitySubscription(ctx.world, i),
      resourceGroup: lower(i.resourceGroup),
      tenantId: identityTenant(ctx.world, i),
    }));
}

// ------------------------------------------------------------------ routing

/**
 * The request path as sent. A path that starts with "//" (SDKs join "/{scope}" with a scope that has its own
 * leading slash) reaches us parsed as a protocol-relative URL, its first segment taken for a host name.
 */
export function requestPath(req: SimRequest): string {
  const parsedHost = req.url.hostname.toLowerCase();
  const path = parsedHost && parsedHost !== req.host ? `/${parsedHost}${req.url.pathname}` : req.path;
  return path.replace(/\/{2,}/g, "/");
}

function route(ctx: Ctx): SimResponse | undefined {
  const { req } = ctx;
  const path = requestPath(req).replace(/\/+$/, "");
  const seg = path
    .split("/")
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));

  if (/^\/providers\/Microsoft\.ResourceGraph\/resources$/i.test(path)) {
    return req.method === "POST" ? resourceGraphQuery(req, resourceGraphRows(ctx)) : undefined;
  }
  const perms = /^(.*?)\/providers\/Microsoft\.Authorization\/permissions$/i.exec(decodeURIComponent(path));
  if (perms) return req.method === "GET" ? listPermissions(ctx, perms[1]) : undefined;
  const auth = /^(.*?)\/providers\/Microsoft\.Authorization\/(roleAssignments|roleDefinitions)(?:\/([^/]+))?$/i.exec(
    decodeURIComponent(path),
  );
  if (auth) {
    const scope = auth[1];
    if (/^roleAssignments$/i.test(auth[2]) && auth[3]) return assignmentRoute(ctx, scope, auth[3]);
    if (req.method !== "GET") return undefined;
    if (/^roleAssignments$/i.test(auth[2])) return listAssignments(ctx, scope);
    return roleDefinitions(ctx, scope, auth[3]);
  }

  if (!eq(seg[0], "subscriptions")) return undefined;
  if (seg.length === 1) return req.method === "GET" ? listSubscriptions(ctx) : undefined;
  const sub = seg[1];
  const missing = requireSubscription(ctx, sub);
  if (missing) return missing;
  if (seg.length === 2) {
    const denied = deny(ctx, "Microsoft.Resources/subscriptions/read", `/subscriptions/${sub}`);
    return denied ?? ok(subscriptionBody(ctx, lower(sub)));
  }

  if (eq(seg[2], "providers") && eq(seg[3], "Microsoft.KeyVault") && req.method === "GET") {
    const deleted = deletedVaultRoute(ctx, sub, seg.slice(4));
    if (deleted) return deleted;
  }
  // /subscriptions/{sub}/providers/{ns}/{type}
  if (eq(seg[2], "providers") && seg.length === 5 && req.method === "GET") {
    const kind = kindOf(seg[3], seg[4]);
    return kind ? listResources(ctx, kind, sub) : undefined;
  }
  if (!eq(seg[2], "resourceGroups") || seg.length < 4) return undefined;
  const rg = seg[3];
  if (seg.length === 4 && req.method === "GET") {
    const denied = deny(
      ctx,
      "Microsoft.Resources/subscriptions/resourceGroups/read",
      `/subscriptions/${sub}/resourceGroups/${rg}`,
    );
    if (denied) return denied;
    if (!resourceGroupsOf(ctx.world, sub).has(lower(rg))) return rgNotFound(rg);
    return ok({
      id: `/subscriptions/${sub}/resourceGroups/${rg}`,
      name: rg,
      type: "Microsoft.Resources/resourceGroups",
      location: "westeurope",
      properties: { provisioningState: "Succeeded" },
    });
  }
  if (!eq(seg[4], "providers") || seg.length < 7) return undefined;
  const kind = kindOf(seg[5], seg[6]);
  if (!kind) return undefined;
  if (seg.length === 7) return req.method === "GET" ? listResources(ctx, kind, sub, rg) : undefined;
  const name = seg[7];
  if (kind.providerType === "Microsoft.KeyVault/vaults" && (seg.length === 8 || eq(seg[8], "accessPolicies"))) {
    if (seg.length === 8 && req.method === "PATCH") return patchVault(ctx, sub, rg, name);
    if (seg.length === 10) return vaultAccessPolicies(ctx, sub, rg, name, seg[9]);
  }
  if (seg.length === 8) return req.method === "GET" ? getResource(ctx, kind, sub, rg, name) : undefined;
  if (kind.providerType === "Microsoft.ContainerService/managedClusters")
    return identityBindingRoute(ctx.world, req.method, sub, rg, name, seg.slice(8), ctx.objectId);
  if (
    kind.providerType === "Microsoft.ManagedIdentity/userAssignedIdentities" &&
    eq(seg[8], "federatedIdentityCredentials")
  ) {
    if (seg.length === 9) return req.method === "GET" ? listFics(ctx, sub, rg, name) : undefined;
    if (seg.length === 10) return ficRoute(ctx, sub, rg, name, seg[9]);
  }
  return undefined;
}

export const armService: SimService = {
  name: "arm",
  matches: (host) => ARM_HOSTS.includes(host),
  handle(req, world) {
    const azure = world.scenario.azure;
    const requestId = randomUUID();
    const withIds = (r: SimResponse): SimResponse => ({
      ...r,
      headers: { "x-ms-request-id": requestId, "x-ms-correlation-request-id": requestId, ...(r.headers ?? {}) },
    });
    const bearer = checkBearer(world, headerOf(req, "authorization"), armAudiences(req.host));
    const challenge = {
      "www-authenticate": `Bearer authorization_uri="https://login.windows.net/${azure?.tenantId ?? "common"}", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`,
    };
    if (bearer.status === "missing") {
      return withIds(
        armError(
          401,
          "AuthenticationFailed",
          "Authentication failed. The 'Authorization' header is missing.",
          challenge,
        ),
      );
    }
    if (bearer.status === "invalid") {
      return withIds(armError(401, "InvalidAuthenticationToken", "The access token is invalid.", challenge));
    }
    if (bearer.status === "expired") {
      return withIds(
        armError(
          401,
          "ExpiredAuthenticationToken",
          "The access token expiry UTC time is earlier than current UTC time.",
          challenge,
        ),
      );
    }
    if (bearer.status === "wrong-audience") {
      return withIds(
        armError(
          401,
          "InvalidAuthenticationTokenAudience",
          `The access token has been obtained for wrong audience or resource '${bearer.grant.audience}'. It should exactly match with one of the allowed audiences ${armAudiences(
            req.host,
          )
            .flatMap((a) => [`'${a}/'`, `'${a}'`])
            .join(",")}.`,
          challenge,
        ),
      );
    }
    if (!azure) return withIds(subscriptionNotFound(requestPath(req).split("/")[2] ?? ""));
    const tokenTenant = bearer.grant.tenantId;
    const subMatch = /^\/subscriptions\/([^/]+)/i.exec(requestPath(req));
    if (subMatch && !eq(tokenTenant, azure.tenantId) && knownSubscriptions(world).some((s) => eq(s, subMatch[1]))) {
      return withIds(
        armError(
          401,
          "InvalidAuthenticationTokenTenant",
          `The access token is from the wrong issuer 'https://sts.windows.net/${tokenTenant}/'. It must match the tenant 'https://sts.windows.net/${azure.tenantId}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${azure.tenantId}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.`,
        ),
      );
    }
    const apiVersion = req.query.get("api-version");
    if (!apiVersion) {
      return withIds(
        armError(
          400,
          "MissingApiVersionParameter",
          "The api-version query parameter (?api-version=) is required for all requests.",
        ),
      );
    }
    const answer = route({ req, world, azure, objectId: bearer.grant.principal.objectId, apiVersion });
    return answer ? withIds(answer) : undefined;
  },
  notFound: (req) =>
    armError(
      404,
      "InvalidResourceType",
      `The resource type could not be found in the namespace for api version '${req.query.get("api-version") ?? ""}'. (${req.method} ${req.path})`,
    ),
};

function headerOf(req: SimRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
