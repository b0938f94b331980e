// The Azure side of a capture, read through the Azure provider: what the captured objects point at (identities and
// their federated credentials, role assignments, key vaults, scale sets). Reads only; a failed read is a note, never
// an abort. The AWS side is in aws.ts.
import { decodeJwt } from "jose";
import type { AzureProvider, ClusterInfo, IdentityInfo, KeyVaultInfo } from "../providers/azure.js";
import { parseResourceId } from "../providers/azure-model.js";
import type { DeletedKeyVault } from "../model/azure.js";
import type { RawObject } from "../providers/kube-raw.js";

export type Notes = string[];

export async function attempt<T>(notes: Notes, what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    notes.push(`${what}: ${(err as Error).message.split("\n")[0]}`);
    return undefined;
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface PodLike {
  spec?: {
    containers?: { env?: { name?: string; value?: string }[] }[];
    volumes?: { csi?: { volumeAttributes?: Record<string, string> } }[];
  };
}

function podSpecs(objects: RawObject[]): PodLike["spec"][] {
  const out: PodLike["spec"][] = [];
  for (const o of objects) {
    const spec = o.spec as Record<string, unknown> | undefined;
    if (o.kind === "Pod") out.push(spec as PodLike["spec"]);
    const t = (spec?.template ?? (spec?.jobTemplate as { spec?: { template?: unknown } })?.spec?.template) as
      | { spec?: PodLike["spec"] }
      | undefined;
    if (t?.spec) out.push(t.spec);
  }
  return out;
}

export function envValues(objects: RawObject[], name: string): string[] {
  const out: string[] = [];
  for (const spec of podSpecs(objects)) {
    for (const c of spec?.containers ?? [])
      for (const e of c.env ?? []) if (e.name === name && e.value) out.push(e.value);
  }
  return out;
}

export const annotation = (o: RawObject, key: string) =>
  (o.metadata?.annotations as Record<string, string> | undefined)?.[key];

/** Client ids, resource ids and tenants the captured objects name. */
function azureReferences(objects: RawObject[]) {
  const clientIds = new Set<string>();
  const resourceIds = new Set<string>();
  const tenants = new Set<string>();
  const vaults = new Set<string>();
  for (const o of objects) {
    if (o.kind === "ServiceAccount") {
      const id = annotation(o, "azure.workload.identity/client-id");
      if (id) clientIds.add(id.trim());
      const t = annotation(o, "azure.workload.identity/tenant-id");
      if (t) tenants.add(t.trim());
    }
    if (o.kind === "SecretProviderClass") {
      const p = ((o.spec as { parameters?: Record<string, string> })?.parameters ?? {}) as Record<string, string>;
      if (p.clientID) clientIds.add(p.clientID.trim());
      if (p.userAssignedIdentityID) clientIds.add(p.userAssignedIdentityID.trim());
      if (p.keyvaultName) vaults.add(p.keyvaultName.trim());
      if (p.tenantId) tenants.add(p.tenantId.trim());
    }
    if (o.kind === "AzureIdentity") {
      const s = (o.spec ?? {}) as Record<string, string | null | undefined>;
      const id = s.clientID ?? s.ClientID;
      const rid = s.resourceID ?? s.ResourceID;
      const tid = s.tenantID ?? s.TenantID;
      if (typeof id === "string" && id) clientIds.add(id.trim());
      if (typeof rid === "string" && rid) resourceIds.add(rid.trim());
      if (typeof tid === "string" && tid) tenants.add(tid.trim());
    }
  }
  for (const v of envValues(objects, "AZURE_CLIENT_ID")) clientIds.add(v.trim());
  for (const v of envValues(objects, "AZURE_TENANT_ID")) tenants.add(v.trim());
  return { clientIds, resourceIds, tenants, vaults };
}

export interface AzureCapture {
  section?: Record<string, unknown>;
  notes: Notes;
}

/** A managed cluster as the scenario format writes it. */
function clusterSection(cluster: ClusterInfo): Record<string, unknown> {
  return {
    name: cluster.name,
    resourceGroup: cluster.resourceGroup,
    location: cluster.location,
    ...(cluster.fqdn ? { fqdn: cluster.fqdn } : {}),
    ...(cluster.privateFQDN ? { privateFQDN: cluster.privateFQDN } : {}),
    ...(cluster.nodeResourceGroup ? { nodeResourceGroup: cluster.nodeResourceGroup } : {}),
    oidcIssuerProfile: {
      enabled: cluster.oidcIssuerEnabled,
      ...(cluster.issuerUrl ? { issuerURL: cluster.issuerUrl } : {}),
    },
    securityProfile: { workloadIdentity: { enabled: cluster.workloadIdentityEnabled } },
    agentPoolProfiles: cluster.agentPoolSubnetIds.map((id, i) => ({ name: `pool${i + 1}`, vnetSubnetID: id })),
    ...(cluster.identityPrincipalId
      ? { identity: { type: "SystemAssigned", principalId: cluster.identityPrincipalId } }
      : {}),
    ...(cluster.kubeletIdentity ? { kubeletIdentity: cluster.kubeletIdentity } : {}),
  };
}

/** A key vault as the scenario format writes it: network rules and access policies. */
function keyVaultSection(kv: KeyVaultInfo): Record<string, unknown> {
  return {
    name: kv.name,
    resourceGroup: kv.resourceGroup ?? "unknown",
    ...(kv.tenantId ? { tenantId: kv.tenantId } : {}),
    enableRbacAuthorization: kv.enableRbacAuthorization,
    ...(kv.publicNetworkAccess ? { publicNetworkAccess: kv.publicNetworkAccess } : {}),
    ...(kv.networkAcls
      ? {
          networkAcls: {
            defaultAction: kv.networkAcls.defaultAction ?? "Allow",
            bypass: kv.networkAcls.bypass ?? "AzureServices",
            virtualNetworkRules: kv.networkAcls.virtualNetworkRules,
            ipRules: kv.networkAcls.ipRules,
          },
        }
      : {}),
    accessPolicies: kv.accessPolicies.map((p) => ({
      objectId: p.objectId,
      ...(p.tenantId ? { tenantId: p.tenantId } : {}),
      permissions: p.permissions,
    })),
  };
}

/** A soft-deleted key vault as the scenario format writes it (its resource group is in the original vault id). */
function deletedKeyVaultSection(kv: DeletedKeyVault): Record<string, unknown> {
  return {
    name: kv.name,
    resourceGroup: (kv.vaultId && parseResourceId(kv.vaultId)?.resourceGroup) || "unknown",
    ...(kv.location ? { location: kv.location } : {}),
    ...(kv.deletionDate ? { deletionDate: kv.deletionDate } : {}),
    ...(kv.scheduledPurgeDate ? { scheduledPurgeDate: kv.scheduledPurgeDate } : {}),
    ...(kv.purgeProtectionEnabled !== undefined ? { purgeProtectionEnabled: kv.purgeProtectionEnabled } : {}),
  };
}

/** The key vaults the objects name, and those of them that are soft-deleted. */
async function captureKeyVaults(azure: AzureProvider, names: Iterable<string>, notes: Notes) {
  const keyVaults: Record<string, unknown>[] = [];
  const deletedKeyVaults: Record<string, unknown>[] = [];
  for (const name of names) {
    const kv = await attempt(notes, `key vault ${name}`, () => azure.findKeyVault(name));
    if (kv) keyVaults.push(keyVaultSection(kv));
    else if (kv === null) {
      // Not in the vault list: a soft-deleted vault keeps its name until it is purged.
      const gone = await attempt(notes, `deleted key vault ${name}`, () => azure.findDeletedKeyVault(name));
      if (gone) deletedKeyVaults.push(deletedKeyVaultSection(gone));
    }
  }
  return { keyVaults, deletedKeyVaults };
}

/** The cluster's identity bindings, and the resource ids of the identities they bind (captured like the others). */
async function identityBindings(azure: AzureProvider, cluster: ClusterInfo, notes: Notes) {
  const list = (await attempt(notes, "identity bindings", () => azure.listIdentityBindings(cluster))) ?? [];
  return list.map((b) => ({
    section: {
      name: b.name,
      identity: b.identityResourceId,
      ...(b.provisioningState ? { provisioningState: b.provisioningState } : {}),
      ...(b.issuerUrl ? { issuerUrl: b.issuerUrl } : {}),
    },
    resourceId: b.identityResourceId,
  }));
}

/**
 * aad-pod-identity: MIC acts as the kubelet (or cluster) identity, whose role assignments decide whether it can
 * assign identities to the nodes.
 */
async function operatorAssignments(azure: AzureProvider, cluster: ClusterInfo, notes: Notes) {
  const out: Record<string, unknown>[] = [];
  const operators = [cluster.kubeletIdentity?.objectId, cluster.identityPrincipalId].filter((x): x is string => !!x);
  for (const principalId of operators) {
    const assignments =
      (await attempt(notes, `role assignments of ${principalId}`, () => azure.listRoleAssignments(principalId))) ?? [];
    for (const a of assignments) out.push({ principalId, roleDefinitionName: a.roleName, scope: a.scope });
  }
  return out;
}

export async function captureAzure(
  azure: AzureProvider,
  objects: RawObject[],
  apiServerHost: string,
  contextName: string | undefined,
  opts: { credentialAvailable: boolean; subscriptionIds?: string[]; tokenFor?: () => Promise<string | undefined> },
): Promise<AzureCapture> {
  const notes: Notes = [];
  const refs = azureReferences(objects);
  const section: Record<string, unknown> = { credentialAvailable: opts.credentialAvailable };
  let tenantId = [...refs.tenants].find((t) => GUID.test(t));
  let subscriptionId = opts.subscriptionIds?.[0];
  if (!opts.credentialAvailable) {
    if (!tenantId || !subscriptionId) notes.push("no Azure credential: the Azure side is not captured");
    Object.assign(section, {
      tenantId: tenantId ?? "00000000-0000-0000-0000-000000000000",
      subscriptionId: subscriptionId ?? "00000000-0000-0000-0000-000000000000",
    });
    return { section, notes };
  }
  const token = await attempt(notes, "Azure token", async () => opts.tokenFor?.());
  if (token) {
    // Only the tenant id is read from the token; the token itself is dropped here.
    const tid = decodeJwt(token).tid;
    if (typeof tid === "string") tenantId = tid;
  }
  const cluster = await attempt(notes, "AKS cluster", () =>
    azure.findClusterByApiHost(apiServerHost, undefined, contextName),
  );
  const boundIds: string[] = [];
  if (cluster) {
    subscriptionId = cluster.subscriptionId;
    const bindings = await identityBindings(azure, cluster, notes);
    for (const b of bindings) if (b.resourceId) boundIds.push(b.resourceId);
    section.managedClusters = [{ ...clusterSection(cluster), identityBindings: bindings.map((b) => b.section) }];
  }
  const found: IdentityInfo[] = [];
  for (const clientId of refs.clientIds) {
    if (!GUID.test(clientId)) continue;
    const id = await attempt(notes, `identity ${clientId}`, () => azure.findIdentity({ clientId }));
    if (id) found.push(id);
  }
  for (const resourceId of new Set([...refs.resourceIds, ...boundIds])) {
    const id = await attempt(notes, `identity ${resourceId}`, () => azure.findIdentity({ resourceId }));
    if (id && !found.some((f) => f.clientId === id.clientId)) found.push(id);
  }
  const identities: Record<string, unknown>[] = [];
  const applications: Record<string, unknown>[] = [];
  const roleAssignments: Record<string, unknown>[] = [];
  for (const id of found) {
    const fics =
      (await attempt(notes, `federated credentials of ${id.name}`, () => azure.listFederatedCredentials(id))) ?? [];
    const federatedIdentityCredentials = fics.map((f) => ({
      name: f.name,
      issuer: f.issuer,
      subject: f.subject,
      audiences: f.audiences,
    }));
    if (id.kind === "managedIdentity") {
      identities.push({
        name: id.name,
        resourceGroup: id.resourceGroup ?? "unknown",
        clientId: id.clientId,
        principalId: id.principalId,
        ...(id.tenantId && id.tenantId !== tenantId ? { tenantId: id.tenantId } : {}),
        ...(id.subscriptionId && id.subscriptionId !== subscriptionId ? { subscriptionId: id.subscriptionId } : {}),
        federatedIdentityCredentials,
      });
    } else {
      applications.push({
        appId: id.clientId,
        displayName: id.name,
        objectId: id.objectId ?? id.principalId,
        servicePrincipalObjectId: id.principalId,
        federatedIdentityCredentials,
      });
    }
    tenantId ??= id.tenantId;
    subscriptionId ??= id.subscriptionId;
    const assignments =
      (await attempt(notes, `role assignments of ${id.name}`, () => azure.listRoleAssignments(id.principalId))) ?? [];
    for (const a of assignments)
      roleAssignments.push({ principalId: id.principalId, roleDefinitionName: a.roleName, scope: a.scope });
  }
  const usesPodIdentity = refs.resourceIds.size > 0 || objects.some((o) => o.kind === "AzureIdentity");
  if (usesPodIdentity && cluster) roleAssignments.push(...(await operatorAssignments(azure, cluster, notes)));
  const { keyVaults, deletedKeyVaults } = await captureKeyVaults(azure, refs.vaults, notes);
  const vmss: Record<string, unknown>[] = [];
  if (cluster?.nodeResourceGroup && usesPodIdentity) {
    const sets =
      (await attempt(notes, "scale sets", () =>
        azure.listVmss(cluster.subscriptionId, cluster.nodeResourceGroup as string),
      )) ?? [];
    for (const s of sets)
      vmss.push({ name: s.name, resourceGroup: s.resourceGroup, userAssignedIdentities: s.userAssignedIdentities });
  }
  Object.assign(section, {
    tenantId: tenantId ?? "00000000-0000-0000-0000-000000000000",
    subscriptionId: subscriptionId ?? "00000000-0000-0000-0000-000000000000",
    userAssignedIdentities: identities,
    applications,
    roleAssignments,
    keyVaults,
    deletedKeyVaults,
    virtualMachineScaleSets: vmss,
  });
  const vaultTenants = keyVaults.map((k) => k.tenantId).filter((t): t is string => typeof t === "string");
  const others = [...new Set([...refs.tenants, ...vaultTenants])].filter((t) => GUID.test(t) && t !== tenantId);
  if (others.length) section.otherTenants = others;
  return { section, notes };
}
