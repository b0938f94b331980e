// Azure provider: the shapes it answers with, resource-id parsing, the mapping from SDK objects, the shared
// credential (one token request per scope for every client) and the lazily loaded SDK packages.
import type { DeletedKeyVault, KeyVault } from "../model/azure.js";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import type { ManagedCluster } from "@azure/arm-containerservice";
import type { DeletedVault, Vault } from "@azure/arm-keyvault";
import type { Identity } from "@azure/arm-msi";

export interface AzureLibraries {
  aks: typeof import("@azure/arm-containerservice");
  authorization: typeof import("@azure/arm-authorization");
  keyVault: typeof import("@azure/arm-keyvault");
  msi: typeof import("@azure/arm-msi");
  pipeline: typeof import("@azure/core-rest-pipeline");
}
let libraries: AzureLibraries | undefined;
let loading: Promise<AzureLibraries> | undefined;

/** The Azure SDK packages load on the first Azure call (they are large), so listing tools never pays for them. */
export function loadLibraries(): Promise<AzureLibraries> {
  loading ??= Promise.all([
    import("@azure/arm-containerservice"),
    import("@azure/arm-authorization"),
    import("@azure/arm-keyvault"),
    import("@azure/arm-msi"),
    import("@azure/core-rest-pipeline"),
  ]).then(([aks, authorization, keyVault, msi, pipeline]) => {
    libraries = { aks, authorization, keyVault, msi, pipeline };
    return libraries;
  });
  return loading;
}

/** The loaded packages; reached only inside call(), which awaits loadLibraries first. */
export function az(): AzureLibraries {
  if (!libraries) throw new Error("internal: the Azure SDK is not loaded yet");
  return libraries;
}

export interface ClusterInfo {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  fqdn?: string;
  privateFQDN?: string;
  oidcIssuerEnabled: boolean;
  issuerUrl?: string;
  workloadIdentityEnabled: boolean;
  nodeResourceGroup?: string;
  agentPoolSubnetIds: string[];
  networkPlugin?: string;
  identityPrincipalId?: string;
  kubeletIdentity?: { clientId: string; objectId: string; resourceId?: string };
}

export type IdentityRef =
  | { name: string; resourceGroup: string; subscriptionId?: string }
  | { resourceId: string }
  | { clientId: string };

export interface IdentityInfo {
  kind: "managedIdentity" | "application";
  name: string;
  resourceGroup?: string;
  subscriptionId?: string;
  resourceId?: string;
  clientId: string;
  /** Object id of the service principal: what role assignments and access policies name. */
  principalId: string;
  tenantId: string;
  /** Application object id (app registrations only). */
  objectId?: string;
}

export interface FederatedCredentialInfo {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface RoleAssignmentInfo {
  id: string;
  scope: string;
  roleDefinitionId: string;
  roleName: string;
  actions: string[];
  dataActions: string[];
  notActions: string[];
  notDataActions: string[];
}

export type KeyVaultInfo = KeyVault;

export interface VmssInfo {
  id: string;
  name: string;
  resourceGroup: string;
  subscriptionId: string;
  /** Resource ids of the user-assigned identities on the scale set. */
  userAssignedIdentities: string[];
  /** The same identities with the client and principal ids ARM reports for them. */
  identities: { resourceId: string; clientId?: string; principalId?: string }[];
}

/** What a federated-credential write did, or (dry run) would do; `request` is what is (or would be) sent. */
export interface FederatedCredentialWrite {
  dryRun: boolean;
  action: "create" | "update" | "delete" | "none";
  request?: { method: "PUT" | "POST" | "PATCH" | "DELETE"; url: string; body?: unknown };
  credential?: FederatedCredentialInfo;
}

export type ExchangeResult =
  | { ok: true; expiresIn?: number }
  | {
      ok: false;
      httpStatus: number;
      error: string;
      errorCodes: number[];
      description: string;
      traceId?: string;
      correlationId?: string;
      timestamp?: string;
    };

/** Management api-versions for the calls made without an SDK client. */
export const SUBSCRIPTIONS_API = "2022-12-01";
export const COMPUTE_API = "2024-07-01";
export const RESOURCE_GRAPH_API = "2022-10-01";
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The most federated credentials one identity can hold, so one page always carries them all. */
export const FIC_PAGE_SIZE = 20;

export const lower = (s: string | undefined) => (s ?? "").toLowerCase();

/** "/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{type}/{name}" → its parts. */
export function parseResourceId(
  id: string,
): { subscriptionId: string; resourceGroup: string; provider: string; name: string } | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+\/[^/]+)\/([^/]+)$/i.exec(
    id.trim().replace(/\/+$/, ""),
  );
  return m ? { subscriptionId: m[1], resourceGroup: m[2], provider: m[3], name: m[4] } : undefined;
}

/** Tokens this close to expiry are fetched again rather than shared. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;
export const sharedCredentials = new WeakMap<TokenCredential, TokenCredential>();

export interface RolePermissions {
  roleName: string;
  actions: string[];
  dataActions: string[];
  notActions: string[];
  notDataActions: string[];
}

/**
 * Role definitions change rarely (built-in ones are the same in every tenant), so one read serves every
 * diagnosis in this process for a while.
 */
export const ROLE_DEFINITION_TTL_MS = 10 * 60 * 1000;
/**
 * Role definitions change rarely: keep what was read, per credential (one world, one operator), for a while.
 * Only answers are kept; a request still in flight belongs to the call that made it (it may be cancelled).
 */
export const roleDefinitionCache = new WeakMap<object, Map<string, { until: number; value: RolePermissions }>>();

/**
 * One credential per underlying credential for every provider and SDK client: concurrent first calls share one
 * token request instead of each asking the authority, and a token is reused until it nears expiry.
 */
export function sharedCredential(credential: TokenCredential): TokenCredential {
  let shared = sharedCredentials.get(credential);
  if (shared) return shared;
  /** `until` stays open while the request is in flight, then becomes the moment to fetch again. */
  const tokens = new Map<string, { pending: Promise<AccessToken | null>; until: number }>();
  shared = {
    getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      // A claims challenge must reach the authority; it is never answered from what we hold.
      if (options?.claims) return credential.getToken(scopes, options);
      const key = JSON.stringify([[scopes].flat(), options?.tenantId ?? "", options?.enableCae === true]);
      const held = tokens.get(key);
      if (held && held.until > Date.now()) return held.pending;
      // Shared by every caller, so no single caller's abort signal may cancel it; callers keep their own deadlines.
      const { abortSignal: _ignored, ...rest } = options ?? {};
      const entry = { pending: credential.getToken(scopes, rest), until: Number.POSITIVE_INFINITY };
      entry.pending.then(
        (token) => {
          entry.until = token ? token.expiresOnTimestamp - TOKEN_REFRESH_MARGIN_MS : 0;
        },
        () => {
          entry.until = 0;
        },
      );
      tokens.set(key, entry);
      return entry.pending;
    },
  };
  sharedCredentials.set(credential, shared);
  return shared;
}

export function graphEscape(value: string): string {
  return value.replace(/'/g, "''");
}

// ---------------------------------------------------------------------------------------------- mapping

export function clusterInfo(c: ManagedCluster, fallbackSub: string): ClusterInfo {
  const id = c.id ?? "";
  const parts = /\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\//i.exec(id);
  const kubelet = c.identityProfile?.kubeletidentity;
  return {
    id,
    subscriptionId: parts?.[1] ?? fallbackSub,
    resourceGroup: parts?.[2] ?? "",
    name: c.name ?? "",
    location: c.location,
    fqdn: c.fqdn,
    privateFQDN: c.privateFqdn,
    oidcIssuerEnabled: c.oidcIssuerProfile?.enabled === true,
    issuerUrl: c.oidcIssuerProfile?.issuerURL,
    workloadIdentityEnabled: c.securityProfile?.workloadIdentity?.enabled === true,
    nodeResourceGroup: c.nodeResourceGroup,
    agentPoolSubnetIds: [
      ...new Set((c.agentPoolProfiles ?? []).map((p) => p.vnetSubnetID).filter((s): s is string => Boolean(s))),
    ],
    networkPlugin: c.networkProfile?.networkPlugin,
    identityPrincipalId: c.identity?.principalId,
    kubeletIdentity:
      kubelet?.clientId && kubelet.objectId
        ? { clientId: kubelet.clientId, objectId: kubelet.objectId, resourceId: kubelet.resourceId }
        : undefined,
  };
}

export function identityInfo(i: Identity): IdentityInfo {
  const parts = i.id ? parseResourceId(i.id) : undefined;
  return {
    kind: "managedIdentity",
    name: i.name ?? parts?.name ?? "",
    resourceGroup: parts?.resourceGroup,
    subscriptionId: parts?.subscriptionId,
    resourceId: i.id,
    clientId: i.clientId ?? "",
    principalId: i.principalId ?? "",
    tenantId: i.tenantId ?? "",
  };
}

export function ficInfo(f: {
  name?: string;
  issuer?: string;
  subject?: string;
  audiences?: string[];
}): FederatedCredentialInfo {
  return { name: f.name ?? "", issuer: f.issuer ?? "", subject: f.subject ?? "", audiences: [...(f.audiences ?? [])] };
}

export function keyVaultInfo(v: Vault, fallbackSub: string): KeyVaultInfo {
  const parts = v.id ? parseResourceId(v.id) : undefined;
  const p = v.properties;
  return {
    id: v.id ?? "",
    name: v.name ?? "",
    resourceGroup: parts?.resourceGroup,
    subscriptionId: parts?.subscriptionId ?? fallbackSub,
    tenantId: p.tenantId,
    enableRbacAuthorization: p.enableRbacAuthorization === true,
    publicNetworkAccess: p.publicNetworkAccess,
    networkAcls: p.networkAcls
      ? {
          defaultAction: p.networkAcls.defaultAction,
          bypass: p.networkAcls.bypass,
          virtualNetworkRules: (p.networkAcls.virtualNetworkRules ?? []).map((r) => ({ id: r.id })),
          ipRules: (p.networkAcls.ipRules ?? []).map((r) => ({ value: r.value })),
        }
      : undefined,
    accessPolicies: (p.accessPolicies ?? []).map((a) => ({
      objectId: a.objectId,
      tenantId: a.tenantId,
      permissions: {
        secrets: a.permissions.secrets as string[] | undefined,
        keys: a.permissions.keys as string[] | undefined,
        certificates: a.permissions.certificates as string[] | undefined,
      },
    })),
  };
}

export interface RawVmss {
  id?: string;
  name?: string;
  identity?: { userAssignedIdentities?: Record<string, { clientId?: string; principalId?: string }> };
}

export function vmssInfo(v: RawVmss, sub: string, resourceGroup: string): VmssInfo {
  const parts = v.id ? parseResourceId(v.id) : undefined;
  return {
    id: v.id ?? "",
    name: v.name ?? parts?.name ?? "",
    resourceGroup: parts?.resourceGroup ?? resourceGroup,
    subscriptionId: parts?.subscriptionId ?? sub,
    userAssignedIdentities: Object.keys(v.identity?.userAssignedIdentities ?? {}),
    identities: Object.entries(v.identity?.userAssignedIdentities ?? {}).map(([resourceId, x]) => ({
      resourceId,
      clientId: x?.clientId,
      principalId: x?.principalId,
    })),
  };
}

/** ARM's deletedVaults entry as the checks read it. */
export function deletedKeyVaultInfo(v: DeletedVault, sub: string, name: string): DeletedKeyVault {
  const p = v.properties;
  return {
    name: v.name ?? name,
    location: p?.location,
    vaultId: p?.vaultId,
    subscriptionId: sub,
    deletionDate: p?.deletionDate?.toISOString(),
    scheduledPurgeDate: p?.scheduledPurgeDate?.toISOString(),
    purgeProtectionEnabled: p?.purgeProtectionEnabled,
  };
}
