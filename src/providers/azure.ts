// Azure: AKS clusters, managed identities and their federated credentials, role assignments, Key Vaults and
// scale sets through the Azure SDK management clients; app registrations through Microsoft Graph; and the
// Entra token endpoint for a workload identity exchange. The only Azure I/O in the project.
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import type { ContainerServiceClient, ManagedCluster } from "@azure/arm-containerservice";
import type { AuthorizationManagementClient, RoleAssignment } from "@azure/arm-authorization";
import type { KeyVaultManagementClient, Vault } from "@azure/arm-keyvault";
import type { ManagedServiceIdentityClient, Identity } from "@azure/arm-msi";
import type { HttpClient, Pipeline, PipelinePolicy } from "@azure/core-rest-pipeline";
import { VERSION } from "../version.js";
import { type AzureOperation, errorBodyPolicy, retryAfterCapPolicy, toAzureProviderError } from "./azure-errors.js";
import type { Environment } from "./environment.js";
import { ProviderError, withTimeout } from "./errors.js";
import { httpRequest } from "./http.js";
import { cacheReads, type ReadCache, readCacheOf } from "./read-cache.js";

export { forbiddenRemedy, toAzureProviderError } from "./azure-errors.js";

interface AzureLibraries {
  aks: typeof import("@azure/arm-containerservice");
  authorization: typeof import("@azure/arm-authorization");
  keyVault: typeof import("@azure/arm-keyvault");
  msi: typeof import("@azure/arm-msi");
  pipeline: typeof import("@azure/core-rest-pipeline");
}
let libraries: AzureLibraries | undefined;
let loading: Promise<AzureLibraries> | undefined;

/** The Azure SDK packages load on the first Azure call (they are large), so listing tools never pays for them. */
function loadLibraries(): Promise<AzureLibraries> {
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
function az(): AzureLibraries {
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

export interface KeyVaultInfo {
  id: string;
  name: string;
  resourceGroup?: string;
  subscriptionId?: string;
  tenantId?: string;
  enableRbacAuthorization: boolean;
  publicNetworkAccess?: string;
  networkAcls?: {
    defaultAction?: string;
    bypass?: string;
    virtualNetworkRules: { id: string }[];
    ipRules: { value: string }[];
  };
  accessPolicies: {
    objectId: string;
    tenantId?: string;
    permissions: { secrets?: string[]; keys?: string[]; certificates?: string[] };
  }[];
}

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
const SUBSCRIPTIONS_API = "2022-12-01";
const COMPUTE_API = "2024-07-01";
const RESOURCE_GRAPH_API = "2022-10-01";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The most federated credentials one identity can hold, so one page always carries them all. */
const FIC_PAGE_SIZE = 20;

const lower = (s: string | undefined) => (s ?? "").toLowerCase();

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
const TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;
const sharedCredentials = new WeakMap<TokenCredential, TokenCredential>();

interface RolePermissions {
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
const ROLE_DEFINITION_TTL_MS = 10 * 60 * 1000;
/**
 * Role definitions change rarely: keep what was read, per credential (one world, one operator), for a while.
 * Only answers are kept; a request still in flight belongs to the call that made it (it may be cancelled).
 */
const roleDefinitionCache = new WeakMap<object, Map<string, { until: number; value: RolePermissions }>>();

/**
 * One credential per underlying credential for every provider and SDK client: concurrent first calls share one
 * token request instead of each asking the authority, and a token is reused until it nears expiry.
 */
function sharedCredential(credential: TokenCredential): TokenCredential {
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

function graphEscape(value: string): string {
  return value.replace(/'/g, "''");
}

export class AzureProvider {
  private readonly clients = new Map<string, unknown>();
  private subscriptions?: Promise<string[]>;
  private armRaw?: { pipeline: Pipeline; client: HttpClient };
  private graphRaw?: { pipeline: Pipeline; client: HttpClient };

  constructor(readonly env: Environment) {
    // Within an audit, each identity, credential list and role list is read once.
    cacheReads(env, this, [
      "listSubscriptionIds",
      "findClusterByApiHost",
      "getCluster",
      "findIdentity",
      "findIdentityByPrincipalId",
      "listFederatedCredentials",
      "listRoleAssignments",
      "findKeyVault",
      "getKeyVault",
      "listVmss",
      "getVmss",
    ]);
  }

  private get cloud() {
    return this.env.azure.cloud;
  }

  private credential(): TokenCredential {
    const c = this.env.azure.credential;
    if (!c) {
      throw new ProviderError(
        "no-credential",
        this.env.azure.credentialProblem ?? "no Azure credential is available",
        undefined,
        "sign in with `az login`, or set AZURE_CLIENT_ID and AZURE_TENANT_ID with a client secret or federated token",
      );
    }
    return sharedCredential(c);
  }

  /**
   * Fetch the ARM token the SDK clients will use, so it is ready (and shared) before the first lookups start.
   * Failures are left for the calls that need the token to report.
   */
  async warmUp(signal?: AbortSignal): Promise<void> {
    if (!this.env.azure.credential) return;
    try {
      await withTimeout("Azure sign-in", this.env.timeoutMs, signal, () =>
        this.credential().getToken(`${this.cloud.armEndpoint}/.default`, { enableCae: true }),
      );
    } catch {
      /* the calls that need the token report the failure with their own context */
    }
  }

  private policies(): { policy: PipelinePolicy; position: "perCall" | "perRetry" }[] {
    const policies: { policy: PipelinePolicy; position: "perCall" | "perRetry" }[] = [
      { policy: errorBodyPolicy, position: "perRetry" },
      { policy: retryAfterCapPolicy(this.env.timeoutMs), position: "perRetry" },
    ];
    if (this.env.agent) policies.push({ policy: az().pipeline.agentPolicy(this.env.agent), position: "perCall" });
    return policies;
  }

  private pipelineOptions() {
    return {
      additionalPolicies: this.policies(),
      // A few quick retries: throttling answers carry Retry-After, which the SDK honours.
      retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
      userAgentOptions: { userAgentPrefix: `wi-doctor/${VERSION}` },
    };
  }

  private client<T>(key: string, make: () => T): T {
    let c = this.clients.get(key) as T | undefined;
    if (!c) {
      c = make();
      this.clients.set(key, c);
    }
    return c;
  }

  private aks(subscriptionId: string): ContainerServiceClient {
    return this.client(`aks:${subscriptionId}`, () => {
      const credential = this.credential();
      return new (az().aks.ContainerServiceClient)(credential, subscriptionId, {
        endpoint: this.cloud.armEndpoint,
        credentials: { scopes: [`${this.cloud.armEndpoint}/.default`] },
        ...this.pipelineOptions(),
      });
    });
  }

  private msi(subscriptionId: string): ManagedServiceIdentityClient {
    return this.client(`msi:${subscriptionId}`, () => {
      const credential = this.credential();
      return new (az().msi.ManagedServiceIdentityClient)(credential, subscriptionId, {
        endpoint: this.cloud.armEndpoint,
        credentialScopes: [`${this.cloud.armEndpoint}/.default`],
        ...this.pipelineOptions(),
      });
    });
  }

  private authorization(subscriptionId: string): AuthorizationManagementClient {
    return this.client(`auth:${subscriptionId}`, () => {
      const credential = this.credential();
      return new (az().authorization.AuthorizationManagementClient)(credential, subscriptionId, {
        endpoint: this.cloud.armEndpoint,
        credentialScopes: [`${this.cloud.armEndpoint}/.default`],
        ...this.pipelineOptions(),
      });
    });
  }

  private keyVault(subscriptionId: string): KeyVaultManagementClient {
    return this.client(`kv:${subscriptionId}`, () => {
      const credential = this.credential();
      return new (az().keyVault.KeyVaultManagementClient)(credential, subscriptionId, {
        endpoint: this.cloud.armEndpoint,
        credentials: { scopes: [`${this.cloud.armEndpoint}/.default`] },
        ...this.pipelineOptions(),
      });
    });
  }

  private rawClient(target: "arm" | "graph"): { pipeline: Pipeline; client: HttpClient } {
    if (target === "arm") {
      this.armRaw ??= this.rawPipeline(`${this.cloud.armEndpoint}/.default`);
      return this.armRaw;
    }
    this.graphRaw ??= this.rawPipeline(`${this.cloud.graphEndpoint}/.default`);
    return this.graphRaw;
  }

  private rawPipeline(scope: string): { pipeline: Pipeline; client: HttpClient } {
    const { additionalPolicies, ...options } = this.pipelineOptions();
    const { createPipelineFromOptions, bearerTokenAuthenticationPolicy, createDefaultHttpClient } = az().pipeline;
    const pipeline = createPipelineFromOptions(options);
    // A bare pipeline does not read additionalPolicies (only SDK clients do), so add them here.
    for (const p of additionalPolicies) pipeline.addPolicy(p.policy);
    pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: this.credential(), scopes: scope }));
    return { pipeline, client: createDefaultHttpClient() };
  }

  /** Run one Azure call under the deadline, turning every failure into a ProviderError. */
  private async call<T>(
    op: AzureOperation,
    what: string,
    signal: AbortSignal | undefined,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    try {
      await loadLibraries();
      return await withTimeout(what, this.env.timeoutMs, signal, fn);
    } catch (err) {
      throw toAzureProviderError(what, err, op);
    }
  }

  /** A GET (or other verb) on ARM or Graph without an SDK client; answers the parsed JSON, or null on 404. */
  private async rawRequest(
    target: "arm" | "graph",
    op: AzureOperation,
    what: string,
    url: string,
    signal: AbortSignal | undefined,
    init: { method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"; body?: unknown } = {},
  ): Promise<unknown> {
    return this.call(op, what, signal, async (s) => {
      const raw = this.rawClient(target);
      const { createHttpHeaders, createPipelineRequest } = az().pipeline;
      const headers = createHttpHeaders({ accept: "application/json" });
      if (init.body !== undefined) headers.set("content-type", "application/json");
      const request = createPipelineRequest({
        url,
        method: init.method ?? "GET",
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        abortSignal: s,
        timeout: this.env.timeoutMs,
      });
      const response = await raw.pipeline.sendRequest(raw.client, request);
      const text = response.bodyAsText ?? "";
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      if (response.status === 404) return null;
      if (response.status >= 400) {
        const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
        throw Object.assign(new Error(e?.message ?? `HTTP ${response.status}`), {
          statusCode: response.status,
          code: e?.code,
        });
      }
      if (text && json === undefined) {
        throw new ProviderError("invalid-response", `${what}: the answer is not valid JSON`, response.status);
      }
      return json ?? {};
    });
  }

  /** One ARM request by path (with its api-version) for the write tools: the answer's JSON, or null on 404. */
  armRequest(
    op: AzureOperation,
    what: string,
    path: string,
    init: { method: "GET" | "PUT" | "PATCH"; body?: unknown },
    signal?: AbortSignal,
  ): Promise<unknown> {
    return this.rawRequest("arm", op, what, `${this.cloud.armEndpoint}${path}`, signal, init);
  }

  // ------------------------------------------------------------------------------------------ subscriptions

  /** The subscriptions to search: the configured ones, or every subscription the credential can see. */
  listSubscriptionIds(signal?: AbortSignal): Promise<string[]> {
    if (this.env.azure.subscriptionIds?.length) return Promise.resolve([...this.env.azure.subscriptionIds]);
    this.subscriptions ??= (async () => {
      const ids: string[] = [];
      let url: string | undefined = `${this.cloud.armEndpoint}/subscriptions?api-version=${SUBSCRIPTIONS_API}`;
      while (url) {
        const page = (await this.rawRequest("arm", "subscriptions", "list subscriptions", url, signal)) as {
          value?: { subscriptionId?: string; state?: string }[];
          nextLink?: string;
        } | null;
        for (const s of page?.value ?? []) if (s.subscriptionId && s.state !== "Disabled") ids.push(s.subscriptionId);
        url = page?.nextLink;
      }
      return ids;
    })();
    const p = this.subscriptions;
    p.catch(() => {
      if (this.subscriptions === p) this.subscriptions = undefined;
    });
    return p;
  }

  /**
   * Search every subscription and keep what `pick` finds. Subscriptions that failed only matter when nothing
   * was found: then the first failure is thrown, because "not found" could not be concluded.
   */
  private async searchSubscriptions<T>(
    signal: AbortSignal | undefined,
    each: (sub: string) => Promise<T | null>,
  ): Promise<T | null> {
    const subs = await this.listSubscriptionIds(signal);
    const results = await Promise.allSettled(subs.map((s) => each(s)));
    for (const r of results) if (r.status === "fulfilled" && r.value !== null) return r.value as T;
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) throw failure.reason;
    return null;
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

  private async orNull<T>(fn: () => Promise<T>): Promise<T | null> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not-found") return null;
      throw err;
    }
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
  async exchangeToken(
    input: { tenantId: string; clientId: string; assertion: string; scope?: string },
    signal?: AbortSignal,
  ): Promise<ExchangeResult> {
    const url = `${this.cloud.authorityHost}/${encodeURIComponent(input.tenantId)}/oauth2/v2.0/token`;
    const body = new URLSearchParams({
      client_id: input.clientId,
      scope: input.scope ?? `${this.cloud.armEndpoint}/.default`,
      grant_type: "client_credentials",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: input.assertion,
    }).toString();
    const res = await withTimeout("token exchange", this.env.timeoutMs, signal, (s) =>
      httpRequest(url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body,
        agent: this.env.agent,
        timeoutMs: this.env.timeoutMs,
        signal: s,
        maxBytes: 256 * 1024,
      }),
    );
    const json = res.json as Record<string, unknown> | undefined;
    if (res.status === 200) {
      if (!json || typeof json.access_token !== "string") {
        throw new ProviderError("invalid-response", "the token endpoint answered 200 without a token", res.status);
      }
      return {
        ok: true,
        expiresIn: typeof json.expires_in === "number" ? json.expires_in : Number(json.expires_in) || undefined,
      };
    }
    if (!json || typeof json.error !== "string") {
      throw new ProviderError(
        res.status >= 500 || res.status === 429 ? "unavailable" : "invalid-response",
        `the token endpoint answered HTTP ${res.status} without an OAuth error body`,
        res.status,
      );
    }
    const description = typeof json.error_description === "string" ? json.error_description : "";
    const codes = Array.isArray(json.error_codes)
      ? json.error_codes.filter((c): c is number => typeof c === "number")
      : [...description.matchAll(/AADSTS(\d+)/g)].map((m) => Number(m[1]));
    return {
      ok: false,
      httpStatus: res.status,
      error: json.error,
      errorCodes: codes,
      description,
      traceId: typeof json.trace_id === "string" ? json.trace_id : undefined,
      correlationId: typeof json.correlation_id === "string" ? json.correlation_id : undefined,
      timestamp: typeof json.timestamp === "string" ? json.timestamp : undefined,
    };
  }
}

// ---------------------------------------------------------------------------------------------- mapping

function clusterInfo(c: ManagedCluster, fallbackSub: string): ClusterInfo {
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
    identityPrincipalId: c.identity?.principalId,
    kubeletIdentity:
      kubelet?.clientId && kubelet.objectId
        ? { clientId: kubelet.clientId, objectId: kubelet.objectId, resourceId: kubelet.resourceId }
        : undefined,
  };
}

function identityInfo(i: Identity): IdentityInfo {
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

function ficInfo(f: {
  name?: string;
  issuer?: string;
  subject?: string;
  audiences?: string[];
}): FederatedCredentialInfo {
  return { name: f.name ?? "", issuer: f.issuer ?? "", subject: f.subject ?? "", audiences: [...(f.audiences ?? [])] };
}

function keyVaultInfo(v: Vault, fallbackSub: string): KeyVaultInfo {
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

interface RawVmss {
  id?: string;
  name?: string;
  identity?: { userAssignedIdentities?: Record<string, { clientId?: string; principalId?: string }> };
}

function vmssInfo(v: RawVmss, sub: string, resourceGroup: string): VmssInfo {
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
