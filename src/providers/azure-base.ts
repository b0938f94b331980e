// The plumbing of AzureProvider: one SDK client per subscription and service, bare pipelines for ARM and Graph
// calls without an SDK client, the deadline and error mapping of every call, and the subscriptions to search.
import type { TokenCredential } from "@azure/core-auth";
import type { ContainerServiceClient } from "@azure/arm-containerservice";
import type { AuthorizationManagementClient } from "@azure/arm-authorization";
import type { KeyVaultManagementClient } from "@azure/arm-keyvault";
import type { ManagedServiceIdentityClient } from "@azure/arm-msi";
import type { HttpClient, Pipeline, PipelinePolicy } from "@azure/core-rest-pipeline";
import { VERSION } from "../version.js";
import { type AzureOperation, errorBodyPolicy, retryAfterCapPolicy, toAzureProviderError } from "./azure-errors.js";
import type { Environment } from "./environment.js";
import { ProviderError, withTimeout } from "./errors.js";
import type { DeletedKeyVault } from "../model/azure.js";
import { deletedKeyVaultInfo } from "./azure-model.js";
import { SUBSCRIPTIONS_API, az, loadLibraries, sharedCredential } from "./azure-model.js";

export class AzureClients {
  protected readonly clients = new Map<string, unknown>();
  protected subscriptions?: Promise<string[]>;
  protected armRaw?: { pipeline: Pipeline; client: HttpClient };
  protected graphRaw?: { pipeline: Pipeline; client: HttpClient };

  constructor(readonly env: Environment) {}

  protected get cloud() {
    return this.env.azure.cloud;
  }

  protected credential(): TokenCredential {
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

  protected policies(): { policy: PipelinePolicy; position: "perCall" | "perRetry" }[] {
    const policies: { policy: PipelinePolicy; position: "perCall" | "perRetry" }[] = [
      { policy: errorBodyPolicy, position: "perRetry" },
      { policy: retryAfterCapPolicy(this.env.timeoutMs), position: "perRetry" },
    ];
    if (this.env.agent) policies.push({ policy: az().pipeline.agentPolicy(this.env.agent), position: "perCall" });
    return policies;
  }

  protected pipelineOptions() {
    return {
      additionalPolicies: this.policies(),
      // A few quick retries: throttling answers carry Retry-After, which the SDK honours.
      retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
      userAgentOptions: { userAgentPrefix: `wi-doctor/${VERSION}` },
    };
  }

  protected client<T>(key: string, make: () => T): T {
    let c = this.clients.get(key) as T | undefined;
    if (!c) {
      c = make();
      this.clients.set(key, c);
    }
    return c;
  }

  protected aks(subscriptionId: string): ContainerServiceClient {
    return this.client(`aks:${subscriptionId}`, () => {
      const credential = this.credential();
      return new (az().aks.ContainerServiceClient)(credential, subscriptionId, {
        endpoint: this.cloud.armEndpoint,
        credentials: { scopes: [`${this.cloud.armEndpoint}/.default`] },
        ...this.pipelineOptions(),
      });
    });
  }

  protected msi(subscriptionId: string): ManagedServiceIdentityClient {
    return this.client(`msi:${subscriptionId}`, () => {
      const credential = this.credential();
      return new (az().msi.ManagedServiceIdentityClient)(credential, subscriptionId, {
        endpoint: this.cloud.armEndpoint,
        credentialScopes: [`${this.cloud.armEndpoint}/.default`],
        ...this.pipelineOptions(),
      });
    });
  }

  protected authorization(subscriptionId: string): AuthorizationManagementClient {
    return this.client(`auth:${subscriptionId}`, () => {
      const credential = this.credential();
      return new (az().authorization.AuthorizationManagementClient)(credential, subscriptionId, {
        endpoint: this.cloud.armEndpoint,
        credentialScopes: [`${this.cloud.armEndpoint}/.default`],
        ...this.pipelineOptions(),
      });
    });
  }

  protected keyVault(subscriptionId: string): KeyVaultManagementClient {
    return this.client(`kv:${subscriptionId}`, () => {
      const credential = this.credential();
      return new (az().keyVault.KeyVaultManagementClient)(credential, subscriptionId, {
        endpoint: this.cloud.armEndpoint,
        credentials: { scopes: [`${this.cloud.armEndpoint}/.default`] },
        ...this.pipelineOptions(),
      });
    });
  }

  protected rawClient(target: "arm" | "graph"): { pipeline: Pipeline; client: HttpClient } {
    if (target === "arm") {
      this.armRaw ??= this.rawPipeline(`${this.cloud.armEndpoint}/.default`);
      return this.armRaw;
    }
    this.graphRaw ??= this.rawPipeline(`${this.cloud.graphEndpoint}/.default`);
    return this.graphRaw;
  }

  protected rawPipeline(scope: string): { pipeline: Pipeline; client: HttpClient } {
    const { additionalPolicies, ...options } = this.pipelineOptions();
    const { createPipelineFromOptions, bearerTokenAuthenticationPolicy, createDefaultHttpClient } = az().pipeline;
    const pipeline = createPipelineFromOptions(options);
    // A bare pipeline does not read additionalPolicies (only SDK clients do), so add them here.
    for (const p of additionalPolicies) pipeline.addPolicy(p.policy);
    pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: this.credential(), scopes: scope }));
    return { pipeline, client: createDefaultHttpClient() };
  }

  /** Run one Azure call under the deadline, turning every failure into a ProviderError. */
  protected async call<T>(
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

  /** One ARM request by path (with its api-version) for the write tools: the answer's JSON, or null on 404. */
  armRequest(
    op: AzureOperation,
    what: string,
    path: string,
    init: { method: "GET" | "PUT" | "PATCH" | "DELETE"; body?: unknown },
    signal?: AbortSignal,
  ): Promise<unknown> {
    return this.rawRequest("arm", op, what, `${this.cloud.armEndpoint}${path}`, signal, init);
  }

  /** A GET (or other verb) on ARM or Graph without an SDK client; answers the parsed JSON, or null on 404. */
  protected async rawRequest(
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
  protected async searchSubscriptions<T>(
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

  /** A soft-deleted Key Vault of that name in any reachable subscription (null: none). */
  async findDeletedKeyVault(name: string, signal?: AbortSignal): Promise<DeletedKeyVault | null> {
    return this.searchSubscriptions(signal, (sub) =>
      this.call("vaults.read", `list deleted Key Vaults in subscription ${sub}`, signal, async (s) => {
        for await (const v of this.keyVault(sub).vaults.listDeleted({ abortSignal: s }))
          if (v.name?.toLowerCase() === name.toLowerCase()) return deletedKeyVaultInfo(v, sub, name);
        return null;
      }),
    );
  }

  protected async orNull<T>(fn: () => Promise<T>): Promise<T | null> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not-found") return null;
      throw err;
    }
  }
}
