// Azure: AKS clusters, managed identities and their federated credentials, role assignments, Key Vaults and
// scale sets through the Azure SDK management clients; app registrations through Microsoft Graph; and the
// Entra token endpoint for a workload identity exchange. The only Azure I/O in the project.
import type { RoleAssignment } from "@azure/arm-authorization";
import type { Identity } from "@azure/arm-msi";
import type { Environment } from "./environment.js";
import { ProviderError } from "./errors.js";
import { exchangeWithEntra } from "./azure-exchange.js";
import { cacheReads, type ReadCache, readCacheOf } from "./read-cache.js";
import {
  COMPUTE_API,
  type ClusterInfo,
  type ExchangeResult,
  FIC_PAGE_SIZE,
  type FederatedCredentialInfo,
  type FederatedCredentialWrite,
  GUID,
  type IdentityInfo,
  type IdentityRef,
  type KeyVaultInfo,
  RESOURCE_GRAPH_API,
  ROLE_DEFINITION_TTL_MS,
  type RawVmss,
  type RoleAssignmentInfo,
  type RolePermissions,
  type VmssInfo,
  clusterInfo,
  ficInfo,
  graphEscape,
  identityInfo,
  keyVaultInfo,
  lower,
  parseResourceId,
  roleDefinitionCache,
  vmssInfo,
} from "./azure-model.js";

export { forbiddenRemedy, toAzureProviderError } from "./azure-errors.js";
import { AzureBindingReads } from "./azure-bindings.js";
export type { IdentityBindingInfo } from "./azure-bindings.js";

export {
  type ClusterInfo,
  type ExchangeResult,
  type FederatedCredentialInfo,
  type FederatedCredentialWrite,
  type IdentityInfo,
  type IdentityRef,
  type KeyVaultInfo,
  parseResourceId,
  type RoleAssignmentInfo,
  type VmssInfo,
} from "./azure-model.js";

export class AzureProvider extends AzureBindingReads {
  constructor(env: Environment) {
    super(env);
    // Within an audit, each identity, credential list and role list is read once.
    cacheReads(env, this, [
      "listSubscriptionIds",
      "findClusterByApiHost",
      "getCluster",
      "listIdentityBindings",
      "findIdentity",
      "findIdentityByPrincipalId",
      "listFederatedCredentials",
      "listRoleAssignments",
      "findKeyVault",
      "findDeletedKeyVault",
      "getKeyVault",
      "listVmss",
      "getVmss",
    ]);
  }

  // ------------------------------------------------------------------------------------------ clusters

  /**
   * The AKS cluster that serves an API server host (fqdn or privateFQDN), across the visible subscriptions.
   * Without a host match: the cluster named like the kube context (`az aks get-credentials` names contexts after
   * clusters, `-admin` for admin credentials), else the only visible cluster that reports no FQDN at all.
   */
  async findClusterByApiHost(host: string, signal?: AbortSignal, contextName?: string): Promise<ClusterInfo | null> {
    const wanted = lower(host).replace(/:\d+$/, "").replace(/\.$/, "");
    const all: { c: ClusterInfo; raw: { fqdn?: string; privateFqdn?: string; name?: string } }[] = [];
    const byHost = await this.searchSubscriptions(signal, (sub) =>
      this.call("clusters.read", `list AKS clusters in subscription ${sub}`, signal, async (s) => {
        for await (const c of this.aks(sub).managedClusters.list({ abortSignal: s })) {
          if (lower(c.fqdn) === wanted || lower(c.privateFqdn) === wanted) return clusterInfo(c, sub);
          all.push({ c: clusterInfo(c, sub), raw: c });
        }
        return null;
      }),
    );
    if (byHost) return byHost;
    const context = lower(contextName).replace(/-admin$/, "");
    const byName = context ? all.filter((x) => lower(x.raw.name) === context) : [];
    if (byName.length === 1) return byName[0].c;
    const withoutFqdn = all.filter((x) => !x.raw.fqdn && !x.raw.privateFqdn);
    return all.length === 1 && withoutFqdn.length === 1 ? withoutFqdn[0].c : null;
  }

  async getCluster(
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    signal?: AbortSignal,
  ): Promise<ClusterInfo | null> {
    return this.orNull(() =>
      this.call("clusters.read", `read AKS cluster ${resourceGroup}/${name}`, signal, async (s) =>
        clusterInfo(
          await this.aks(subscriptionId).managedClusters.get(resourceGroup, name, { abortSignal: s }),
          subscriptionId,
        ),
      ),
    );
  }

  // ------------------------------------------------------------------------------------------ identities

  /** A user-assigned identity (by name, resource id or client id), or an app registration (by client id). */
  async findIdentity(ref: IdentityRef, signal?: AbortSignal): Promise<IdentityInfo | null> {
    if ("resourceId" in ref) {
      const parts = parseResourceId(ref.resourceId);
      if (!parts || lower(parts.provider) !== "microsoft.managedidentity/userassignedidentities") return null;
      return this.getIdentity(parts.subscriptionId, parts.resourceGroup, parts.name, signal);
    }
    if ("name" in ref) {
      if (ref.subscriptionId) return this.getIdentity(ref.subscriptionId, ref.resourceGroup, ref.name, signal);
      return this.searchSubscriptions(signal, (sub) => this.getIdentity(sub, ref.resourceGroup, ref.name, signal));
    }
    const cache = readCacheOf(this.env);
    // An audit looks up many identities: every identity of the subscriptions is listed once and indexed.
    if (cache) return this.findInIdentityIndex(cache, "clientId", ref.clientId, signal);
    try {
      const direct = await this.queryIdentity("clientId", ref.clientId, signal);
      if (direct) return direct;
    } catch {
      /* the listing below answers instead */
    }
    // Not a managed identity (or Resource Graph could not say): an app registration?
    let appFailure: unknown;
    try {
      const app = await this.findApplication(ref.clientId, signal);
      if (app) return app;
    } catch (err) {
      appFailure = err;
    }
    // Resource Graph refused, failed, or has not indexed the identity yet (a new identity can take a while to
    // appear there): list the managed identities of every subscription.
    const managed = await this.listIdentitiesMatching("clientId", ref.clientId, signal);
    if (managed) return managed;
    // The listing answered for every subscription: only an unanswered app lookup leaves "not found" open.
    if (appFailure) throw appFailure;
    return null;
  }

  /**
   * The direct lookup: one Azure Resource Graph query for the user-assigned identity with this client (or
   * principal) id across the visible subscriptions, answered with the identity's id, name and properties. It uses
   * the ARM token the other reads share. Null when Resource Graph holds no such identity.
   */
  private async queryIdentity(
    key: "clientId" | "principalId",
    value: string,
    signal?: AbortSignal,
  ): Promise<IdentityInfo | null> {
    if (!GUID.test(value.trim())) return null;
    const subscriptions = await this.listSubscriptionIds(signal);
    if (!subscriptions.length) return null;
    const query = [
      "resources",
      "where type =~ 'microsoft.managedidentity/userassignedidentities'",
      `where properties.${key} =~ '${lower(value.trim())}'`,
      "project id, name, properties",
    ].join(" | ");
    const answer = (await this.rawRequest(
      "arm",
      "identities.read",
      `look up the managed identity with ${key} ${value} (Azure Resource Graph)`,
      `${this.cloud.armEndpoint}/providers/Microsoft.ResourceGraph/resources?api-version=${RESOURCE_GRAPH_API}`,
      signal,
      { method: "POST", body: { subscriptions, query, options: { resultFormat: "objectArray" } } },
    )) as { data?: Identity[] } | null;
    const row = Array.isArray(answer?.data) ? answer.data[0] : undefined;
    return row ? identityInfo({ ...row, ...(row as { properties?: object }).properties } as Identity) : null;
  }

  /** The listing fallback: every managed identity of every subscription, until one matches. */
  private listIdentitiesMatching(
    key: "clientId" | "principalId",
    value: string,
    signal?: AbortSignal,
  ): Promise<IdentityInfo | null> {
    const wanted = lower(value);
    return this.searchSubscriptions(signal, (sub) =>
      this.call("identities.read", `list managed identities in subscription ${sub}`, signal, async (s) => {
        for await (const i of this.msi(sub).userAssignedIdentities.listBySubscription({ abortSignal: s })) {
          if (lower(i[key]) === wanted) return identityInfo(i);
        }
        return null;
      }),
    );
  }

  /** Every managed identity of the visible subscriptions, listed once per read cache (an audit). */
  private identityIndex(cache: ReadCache, signal?: AbortSignal): Promise<IdentityInfo[]> {
    return cache.once("AzureProvider.identityIndex", async () => {
      const subs = await this.listSubscriptionIds(signal);
      const lists = await Promise.all(
        subs.map((sub) =>
          this.call("identities.read", `list managed identities in subscription ${sub}`, signal, async (s) => {
            const out: IdentityInfo[] = [];
            for await (const i of this.msi(sub).userAssignedIdentities.listBySubscription({ abortSignal: s })) {
              out.push(identityInfo(i));
            }
            return out;
          }),
        ),
      );
      return lists.flat();
    });
  }

  private async findInIdentityIndex(
    cache: ReadCache,
    key: "clientId" | "principalId",
    value: string,
    signal?: AbortSignal,
  ): Promise<IdentityInfo | null> {
    const found = (await this.identityIndex(cache, signal)).find((i) => lower(i[key]) === lower(value));
    if (found || key === "principalId") return found ?? null;
    return this.findApplication(value, signal);
  }

  /**
   * The user-assigned identity whose principal (object) id this is: people often paste the object id where the
   * client id belongs, and this names the identity they meant.
   */
  async findIdentityByPrincipalId(principalId: string, signal?: AbortSignal): Promise<IdentityInfo | null> {
    const cache = readCacheOf(this.env);
    if (cache) return this.findInIdentityIndex(cache, "principalId", principalId, signal);
    try {
      const direct = await this.queryIdentity("principalId", principalId, signal);
      if (direct) return direct;
    } catch {
      /* the listing below answers, or fails with its own reason */
    }
    return this.listIdentitiesMatching("principalId", principalId, signal);
  }

  private getIdentity(
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    signal?: AbortSignal,
  ): Promise<IdentityInfo | null> {
    return this.orNull(() =>
      this.call("identities.read", `read managed identity ${resourceGroup}/${name}`, signal, async (s) =>
        identityInfo(
          await this.msi(subscriptionId).userAssignedIdentities.get(resourceGroup, name, { abortSignal: s }),
        ),
      ),
    );
  }

  private graphUrl(path: string): string {
    return `${this.cloud.graphEndpoint}/v1.0${path}`;
  }

  private async findApplication(appId: string, signal?: AbortSignal): Promise<IdentityInfo | null> {
    const filter = encodeURIComponent(`appId eq '${graphEscape(appId)}'`);
    const [apps, sps] = await Promise.all([
      this.rawRequest(
        "graph",
        "graph.read",
        "look up the app registration",
        this.graphUrl(`/applications?$filter=${filter}`),
        signal,
      ),
      this.rawRequest(
        "graph",
        "graph.read",
        "look up the service principal",
        this.graphUrl(`/servicePrincipals?$filter=${filter}`),
        signal,
      ),
    ]);
    const app = (apps as { value?: { id: string; appId: string; displayName?: string }[] } | null)?.value?.[0];
    const sp = (
      sps as { value?: { id: string; appOwnerOrganizationId?: string | null; servicePrincipalType?: string }[] } | null
    )?.value?.[0];
    if (!app) return null;
    return {
      kind: "application",
      name: app.displayName ?? app.appId,
      clientId: app.appId,
      principalId: sp?.id ?? "",
      tenantId: sp?.appOwnerOrganizationId ?? "",
      objectId: app.id,
    };
  }

  // ------------------------------------------------------------------------------------------ federated credentials

  async listFederatedCredentials(identity: IdentityInfo, signal?: AbortSignal): Promise<FederatedCredentialInfo[]> {
    if (identity.kind === "application") {
      const page = (await this.rawRequest(
        "graph",
        "graph.read",
        `list federated credentials of app ${identity.name}`,
        this.appFicUrl(identity),
        signal,
      )) as { value?: FederatedCredentialInfo[] } | null;
      if (page === null)
        throw new ProviderError("not-found", `app registration ${identity.clientId} does not exist`, 404);
      return (page.value ?? []).map(ficInfo);
    }
    const { subscriptionId, resourceGroup } = this.managedCoordinates(identity);
    return this.call("fics.read", `list federated credentials of ${identity.name}`, signal, async (s) => {
      const out: FederatedCredentialInfo[] = [];
      for await (const f of this.msi(subscriptionId).federatedIdentityCredentials.list(resourceGroup, identity.name, {
        top: FIC_PAGE_SIZE,
        abortSignal: s,
      })) {
        out.push(ficInfo(f));
      }
      return out;
    });
  }

  private appFicUrl(identity: IdentityInfo): string {
    return identity.objectId
      ? this.graphUrl(`/applications/${identity.objectId}/federatedIdentityCredentials`)
      : this.graphUrl(`/applications(appId='${graphEscape(identity.clientId)}')/federatedIdentityCredentials`);
  }

  /** Graph addresses a federated credential by id or, with this form, by its name. */
  private appFicByName(identity: IdentityInfo, name: string): string {
    return `${this.appFicUrl(identity)}(name='${encodeURIComponent(graphEscape(name))}')`;
  }

  private managedCoordinates(identity: IdentityInfo): { subscriptionId: string; resourceGroup: string } {
    const parts = identity.resourceId ? parseResourceId(identity.resourceId) : undefined;
    const subscriptionId = identity.subscriptionId ?? parts?.subscriptionId;
    const resourceGroup = identity.resourceGroup ?? parts?.resourceGroup;
    if (!subscriptionId || !resourceGroup) {
      throw new ProviderError(
        "not-found",
        `managed identity ${identity.name}: subscription and resource group are unknown`,
      );
    }
    return { subscriptionId, resourceGroup };
  }

  private ficArmUrl(identity: IdentityInfo, name: string): string {
    const { subscriptionId, resourceGroup } = this.managedCoordinates(identity);
    return `${this.cloud.armEndpoint}/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${identity.name}/federatedIdentityCredentials/${encodeURIComponent(name)}`;
  }

  /** Create the credential, or update the one with the same name. With dryRun, only say what would be sent. */
  async createOrUpdateFederatedCredential(
    identity: IdentityInfo,
    fic: FederatedCredentialInfo,
    opts: { dryRun: boolean },
    signal?: AbortSignal,
  ): Promise<FederatedCredentialWrite> {
    const existing = (await this.listFederatedCredentials(identity, signal)).find((f) => f.name === fic.name);
    const action = existing ? "update" : "create";
    const audiences = [...fic.audiences];
    if (identity.kind === "managedIdentity") {
      const request = {
        method: "PUT" as const,
        url: this.ficArmUrl(identity, fic.name),
        body: { properties: { issuer: fic.issuer, subject: fic.subject, audiences } },
      };
      if (opts.dryRun) return { dryRun: true, action, request };
      const { subscriptionId, resourceGroup } = this.managedCoordinates(identity);
      const written = await this.call("fics.write", `write federated credential ${fic.name}`, signal, (s) =>
        this.msi(subscriptionId).federatedIdentityCredentials.createOrUpdate(
          resourceGroup,
          identity.name,
          fic.name,
          { issuer: fic.issuer, subject: fic.subject, audiences },
          { abortSignal: s },
        ),
      );
      return { dryRun: false, action, request, credential: ficInfo(written) };
    }
    const base = this.appFicUrl(identity);
    const body = { name: fic.name, issuer: fic.issuer, subject: fic.subject, audiences };
    const request = existing
      ? {
          method: "PATCH" as const,
          url: this.appFicByName(identity, fic.name),
          body: { issuer: fic.issuer, subject: fic.subject, audiences },
        }
      : { method: "POST" as const, url: base, body };
    if (opts.dryRun) return { dryRun: true, action, request };
    await this.rawRequest("graph", "graph.write", `write federated credential ${fic.name}`, request.url, signal, {
      method: request.method,
      body: request.body,
    });
    return {
      dryRun: false,
      action,
      request,
      credential: { name: fic.name, issuer: fic.issuer, subject: fic.subject, audiences },
    };
  }

  async deleteFederatedCredential(
    identity: IdentityInfo,
    name: string,
    opts: { dryRun: boolean },
    signal?: AbortSignal,
  ): Promise<FederatedCredentialWrite> {
    const existing = (await this.listFederatedCredentials(identity, signal)).find((f) => f.name === name);
    if (!existing) return { dryRun: opts.dryRun, action: "none" };
    const url =
      identity.kind === "managedIdentity" ? this.ficArmUrl(identity, name) : this.appFicByName(identity, name);
    const request = { method: "DELETE" as const, url };
    if (opts.dryRun) return { dryRun: true, action: "delete", request, credential: existing };
    if (identity.kind === "managedIdentity") {
      const { subscriptionId, resourceGroup } = this.managedCoordinates(identity);
      await this.call("fics.write", `delete federated credential ${name}`, signal, (s) =>
        this.msi(subscriptionId).federatedIdentityCredentials.delete(resourceGroup, identity.name, name, {
          abortSignal: s,
        }),
      );
    } else {
      await this.rawRequest("graph", "graph.write", `delete federated credential ${name}`, url, signal, {
        method: "DELETE",
      });
    }
    return { dryRun: false, action: "delete", request, credential: existing };
  }

  // ------------------------------------------------------------------------------------------ role assignments

  /** Every role assignment of the principal (inherited, direct and below) with the role's permissions resolved. */
  async listRoleAssignments(principalId: string, signal?: AbortSignal): Promise<RoleAssignmentInfo[]> {
    const cache = readCacheOf(this.env);
    // An audit asks for many principals: each subscription's assignments are listed once, then filtered here.
    const lists = cache
      ? await cache.once("AzureProvider.roleAssignmentIndex", () => this.listAssignments(undefined, signal))
      : await this.listAssignments(principalId, signal);
    const seen = new Set<string>();
    const unique = lists.filter(({ a }) => {
      const key = lower(a.id);
      if (!a.id || seen.has(key)) return false;
      seen.add(key);
      return lower(a.principalId) === lower(principalId);
    });
    return Promise.all(
      unique.map(async ({ a, sub }) => {
        const roleDefinitionId = a.roleDefinitionId ?? "";
        const role = await this.roleDefinition(roleDefinitionId, sub, signal);
        return { id: a.id ?? "", scope: a.scope ?? "", roleDefinitionId, ...role };
      }),
    );
  }

  /** The role assignments of every visible subscription: those of one principal, or all of them. */
  private async listAssignments(principalId: string | undefined, signal?: AbortSignal) {
    const subs = await this.listSubscriptionIds(signal);
    const lists = await Promise.all(
      subs.map((sub) =>
        this.call("roleAssignments.read", `list role assignments in subscription ${sub}`, signal, async (s) => {
          const out: { a: RoleAssignment; sub: string }[] = [];
          // The SDK writes "/{scope}/…": the scope goes without its own leading slash.
          for await (const a of this.authorization(sub).roleAssignments.listForScope(`subscriptions/${sub}`, {
            filter: principalId ? `assignedTo('${principalId}')` : undefined,
            abortSignal: s,
          })) {
            out.push({ a, sub });
          }
          return out;
        }),
      ),
    );
    return lists.flat();
  }

  private readonly roleDefinitionsInFlight = new Map<string, Promise<RolePermissions>>();

  private roleDefinition(roleDefinitionId: string, sub: string, signal?: AbortSignal): Promise<RolePermissions> {
    const id = lower(roleDefinitionId.split("/").pop());
    const key = `${lower(this.cloud.armEndpoint)}|${id}`;
    const owner = (this.env.azure.credential ?? this) as object;
    const known = roleDefinitionCache.get(owner) ?? new Map<string, { until: number; value: RolePermissions }>();
    roleDefinitionCache.set(owner, known);
    const held = known.get(key);
    if (held && held.until > Date.now()) return Promise.resolve(held.value);
    const pending = this.roleDefinitionsInFlight.get(key);
    if (pending) return pending;
    const definition = this.call("roleDefinitions.read", `read role definition ${id}`, signal, async (s) => {
      const d = await this.authorization(sub).roleDefinitions.getById(roleDefinitionId.replace(/^\/+/, ""), {
        abortSignal: s,
      });
      const perms = d.permissions ?? [];
      return {
        roleName: d.roleName ?? id,
        actions: perms.flatMap((x) => x.actions ?? []),
        dataActions: perms.flatMap((x) => x.dataActions ?? []),
        notActions: perms.flatMap((x) => x.notActions ?? []),
        notDataActions: perms.flatMap((x) => x.notDataActions ?? []),
      };
    });
    this.roleDefinitionsInFlight.set(key, definition);
    definition.then(
      (value) => known.set(key, { until: Date.now() + ROLE_DEFINITION_TTL_MS, value }),
      () => undefined,
    );
    definition.finally(() => this.roleDefinitionsInFlight.delete(key)).catch(() => undefined);
    return definition;
  }

  // ------------------------------------------------------------------------------------------ key vaults

  async findKeyVault(name: string, signal?: AbortSignal): Promise<KeyVaultInfo | null> {
    return this.searchSubscriptions(signal, (sub) =>
      this.call("vaults.read", `list Key Vaults in subscription ${sub}`, signal, async (s) => {
        for await (const v of this.keyVault(sub).vaults.listBySubscription({ abortSignal: s })) {
          if (lower(v.name) === lower(name)) return keyVaultInfo(v, sub);
        }
        return null;
      }),
    );
  }

  async getKeyVault(
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    signal?: AbortSignal,
  ): Promise<KeyVaultInfo | null> {
    return this.orNull(() =>
      this.call("vaults.read", `read Key Vault ${name}`, signal, async (s) =>
        keyVaultInfo(
          await this.keyVault(subscriptionId).vaults.get(resourceGroup, name, { abortSignal: s }),
          subscriptionId,
        ),
      ),
    );
  }

  // ------------------------------------------------------------------------------------------ scale sets

  /** The VM scale sets of a resource group (on AKS: the node resource group) with their assigned identities. */
  async listVmss(subscriptionId: string, resourceGroup: string, signal?: AbortSignal): Promise<VmssInfo[]> {
    const out: VmssInfo[] = [];
    let url: string | undefined =
      `${this.cloud.armEndpoint}/subscriptions/${subscriptionId}/resourceGroups/${encodeURIComponent(resourceGroup)}/providers/Microsoft.Compute/virtualMachineScaleSets?api-version=${COMPUTE_API}`;
    while (url) {
      const page = (await this.rawRequest("arm", "vmss.read", `list scale sets in ${resourceGroup}`, url, signal)) as {
        value?: RawVmss[];
        nextLink?: string;
      } | null;
      if (page === null) {
        throw new ProviderError(
          "not-found",
          `list scale sets in ${resourceGroup}: the resource group does not exist`,
          404,
        );
      }
      out.push(...(page.value ?? []).map((v) => vmssInfo(v, subscriptionId, resourceGroup)));
      url = page.nextLink;
    }
    return out;
  }

  async getVmss(
    subscriptionId: string,
    resourceGroup: string,
    name: string,
    signal?: AbortSignal,
  ): Promise<VmssInfo | null> {
    const url = `${this.cloud.armEndpoint}/subscriptions/${subscriptionId}/resourceGroups/${encodeURIComponent(resourceGroup)}/providers/Microsoft.Compute/virtualMachineScaleSets/${encodeURIComponent(name)}?api-version=${COMPUTE_API}`;
    const v = (await this.rawRequest("arm", "vmss.read", `read scale set ${name}`, url, signal)) as RawVmss | null;
    return v ? vmssInfo(v, subscriptionId, resourceGroup) : null;
  }

  // ------------------------------------------------------------------------------------------ token exchange

  /**
   * Present a service-account token to the Entra token endpoint as the workload would. Answers success (and
   * the lifetime only) or Entra's decoded error; the access token itself is dropped unread.
   */
  exchangeToken(
    input: { tenantId: string; clientId: string; assertion: string; scope?: string },
    signal?: AbortSignal,
  ): Promise<ExchangeResult> {
    return exchangeWithEntra(this.env, input, signal);
  }
}
