// The plumbing of KubeProvider: typed API clients made once per provider, and one call path that gives every
// request a deadline, cancellation, retries of reads, and errors mapped to ProviderErrors.
import type { ConfigurationOptions, HttpMethod } from "@kubernetes/client-node";
import type { Environment } from "./environment.js";
import { ProviderError, withTimeout } from "./errors.js";
import {
  libraryLoaded,
  type Apis,
  type Call,
  type KubeObjectRef,
  MAX_PAGES,
  MAX_RETRIES,
  PAGE_SIZE,
  READ_VERBS,
  backoff,
  describe,
  k8s,
  loadLibrary,
  rbacRemedy,
  retryable,
  reuseConnections,
  signalOptions,
  statusMessage,
} from "./kube-model.js";

export class KubeClients {
  protected apis?: Apis;
  protected readonly discovery = new Map<string, { name: string; kind: string; namespaced: boolean }[]>();

  constructor(protected readonly env: Environment) {}

  /** The name of the kube context in use, or undefined without a kubeconfig. */
  contextName(): string | undefined {
    return this.env.kubeconfig?.getCurrentContext() || undefined;
  }

  /** The arguments of the current user's exec credential plugin (e.g. `aws eks get-token --cluster-name …`). */
  execArgs(): string[] {
    const args = (this.env.kubeconfig?.getCurrentUser()?.exec as { args?: unknown } | undefined)?.args;
    return Array.isArray(args) ? args.filter((a): a is string => typeof a === "string") : [];
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  protected clients(): Apis {
    if (this.apis) return this.apis;
    const kc = this.env.kubeconfig;
    if (!kc?.getCurrentCluster()) {
      throw new ProviderError(
        "no-credential",
        this.env.kubeconfigProblem ?? "no kubeconfig with a current cluster",
        undefined,
        "point KUBECONFIG at a kubeconfig for the cluster (or pass --kubeconfig), and choose its context with --context",
      );
    }
    reuseConnections(kc);
    const {
      CoreV1Api,
      AppsV1Api,
      BatchV1Api,
      CustomObjectsApi,
      AdmissionregistrationV1Api,
      NetworkingV1Api,
      VersionApi,
    } = k8s();
    this.apis = {
      kc,
      core: kc.makeApiClient(CoreV1Api),
      apps: kc.makeApiClient(AppsV1Api),
      batch: kc.makeApiClient(BatchV1Api),
      custom: kc.makeApiClient(CustomObjectsApi),
      admission: kc.makeApiClient(AdmissionregistrationV1Api),
      networking: kc.makeApiClient(NetworkingV1Api),
      version: kc.makeApiClient(VersionApi),
      http: k8s().createConfiguration().httpApi,
    };
    return this.apis;
  }

  /** One request with the deadline, cancellation and error mapping every call gets. */
  protected call<T>(
    c: Call,
    signal: AbortSignal | undefined,
    fn: (apis: Apis, options: ConfigurationOptions, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const what = describe(c);
    if (!libraryLoaded()) return loadLibrary().then(() => this.call(c, signal, fn));
    let apis: Apis;
    try {
      apis = this.clients();
    } catch (err) {
      return Promise.reject(err);
    }
    return withTimeout(what, this.env.timeoutMs, signal, async (s) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await fn(apis, signalOptions(s), s);
        } catch (err) {
          const failure = this.toProviderError(err, c, s, signal);
          // Reads answered 429 or 5xx are tried again with backoff, inside the same overall deadline.
          if (!READ_VERBS.has(c.verb) || !retryable(failure) || attempt >= MAX_RETRIES || s.aborted) throw failure;
          await backoff(attempt, s);
        }
      }
    });
  }

  protected async getOrNull<T>(
    c: Call,
    signal: AbortSignal | undefined,
    fn: (apis: Apis, options: ConfigurationOptions) => Promise<T>,
  ): Promise<T | null> {
    try {
      return await this.call(c, signal, fn);
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not-found") return null;
      throw err;
    }
  }

  /** Every item of a list, one page of PAGE_SIZE at a time; each page has its own deadline. */
  protected async listAll<T>(
    c: Call,
    signal: AbortSignal | undefined,
    page: (
      apis: Apis,
      options: ConfigurationOptions,
      paging: { limit: number; _continue?: string },
    ) => Promise<{ items: T[]; metadata?: { _continue?: string; continue?: string } }>,
    pageSize = PAGE_SIZE,
  ): Promise<T[]> {
    const items: T[] = [];
    let token: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const list = await this.call(c, signal, (a, o) => page(a, o, { limit: pageSize, _continue: token }));
      if (!list || !Array.isArray(list.items)) {
        throw new ProviderError("invalid-response", `${describe(c)}: the answer is not a list`);
      }
      items.push(...list.items);
      const next = list.metadata?._continue ?? list.metadata?.continue;
      if (!next || next === token) return items;
      token = next;
    }
    throw new ProviderError("invalid-response", `${describe(c)}: more than ${MAX_PAGES} pages`);
  }

  /** A request no typed client covers, sent with the kubeconfig's TLS settings and credentials. */
  protected rawJson(
    c: Call,
    path: string,
    signal: AbortSignal | undefined,
    opts: { method?: HttpMethod; body?: string; contentType?: string; dryRun?: boolean } = {},
  ): Promise<unknown> {
    return this.call(c, signal, async (apis, _options, s) => {
      const cluster = apis.kc.getCurrentCluster();
      const ctx = new (k8s().ServerConfiguration)<Record<string, string>>(cluster?.server ?? "", {}).makeRequestContext(
        path,
        opts.method ?? ("GET" as HttpMethod),
      );
      ctx.setHeaderParam("Accept", "application/json, */*;q=0.8");
      if (opts.dryRun) ctx.setQueryParam("dryRun", "All");
      if (opts.body !== undefined) {
        ctx.setHeaderParam("Content-Type", opts.contentType ?? "application/json");
        ctx.setBody(opts.body);
      }
      await apis.kc.applySecurityAuthentication(ctx);
      ctx.setSignal(s);
      const res = await apis.http.send(ctx).toPromise();
      const text = await res.body.text();
      if (res.httpStatusCode < 200 || res.httpStatusCode > 299) {
        throw new (k8s().ApiException)(res.httpStatusCode, "request failed", text, res.headers);
      }
      try {
        return text ? JSON.parse(text) : undefined;
      } catch {
        throw new ProviderError("invalid-response", `${describe(c)}: the answer is not JSON`);
      }
    });
  }

  /** The resources of one group/version, from the API server's discovery (cached per provider). */
  protected async discover(
    groupVersion: string,
    signal?: AbortSignal,
  ): Promise<{ name: string; kind: string; namespaced: boolean }[]> {
    const cached = this.discovery.get(groupVersion);
    if (cached) return cached;
    const path = groupVersion.includes("/") ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
    let list: unknown;
    try {
      list = await this.rawJson({ verb: "get", resource: path, clusterScoped: true }, path, signal);
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not-found") return [];
      throw err;
    }
    const resources = ((list as { resources?: unknown })?.resources ?? []) as {
      name: string;
      kind: string;
      namespaced: boolean;
    }[];
    this.discovery.set(groupVersion, resources);
    return resources;
  }

  protected async objectPath(
    ref: KubeObjectRef,
    verb: string,
    withName: boolean,
    signal?: AbortSignal,
  ): Promise<{ path: string; call: Call }> {
    const resources = await this.discover(ref.apiVersion, signal);
    const r = resources.find((x) => x.kind === ref.kind && !x.name.includes("/"));
    if (!r) throw new ProviderError("not-found", `the cluster does not serve ${ref.kind} in ${ref.apiVersion}`);
    if (r.namespaced && !ref.namespace) {
      throw new ProviderError("not-found", `${ref.kind} "${ref.name}" is namespaced: give its namespace`);
    }
    const group = ref.apiVersion.includes("/") ? ref.apiVersion.slice(0, ref.apiVersion.indexOf("/")) : "";
    const parts = [ref.apiVersion.includes("/") ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`];
    if (r.namespaced) parts.push("namespaces", encodeURIComponent(ref.namespace as string));
    parts.push(r.name);
    if (withName) parts.push(encodeURIComponent(ref.name));
    return {
      path: parts.join("/"),
      call: {
        verb,
        resource: r.name,
        group: group || undefined,
        namespace: r.namespaced ? ref.namespace : undefined,
        name: ref.name,
        clusterScoped: !r.namespaced,
      },
    };
  }

  protected toProviderError(err: unknown, c: Call, own: AbortSignal, parent: AbortSignal | undefined): ProviderError {
    if (err instanceof ProviderError) return err;
    const what = describe(c);
    if (libraryLoaded() && err instanceof k8s().ApiException) {
      const code = err.code;
      const message = statusMessage(err.body);
      if (code === 401) {
        return new ProviderError(
          "unauthorized",
          `${what}: the API server rejected the credentials of kube context "${this.contextName() ?? "?"}" (401 Unauthorized)`,
          401,
          "refresh the kubeconfig credentials (e.g. az aks get-credentials, aws eks update-kubeconfig) or pick another context with --context",
        );
      }
      if (code === 403) {
        return new ProviderError("forbidden", message ?? `${what}: forbidden`, 403, rbacRemedy(c));
      }
      if (code === 404) return new ProviderError("not-found", message ?? `${what}: not found`, 404);
      if (code === 408 || code === 429 || code >= 500) {
        return new ProviderError("unavailable", `${what}: ${message ?? `HTTP ${code}`}`, code);
      }
      return new ProviderError("invalid-response", `${what}: ${message ?? `HTTP ${code}`}`, code);
    }
    const e = err as Error & { code?: string; type?: string };
    if (e?.name === "AbortError" || own.aborted) {
      return parent?.aborted
        ? new ProviderError("cancelled", `${what}: cancelled`)
        : new ProviderError("timeout", `${what}: no answer within ${this.env.timeoutMs} ms`);
    }
    if (e instanceof SyntaxError) return new ProviderError("invalid-response", `${what}: ${e.message}`);
    const server = this.env.kubeconfig?.getCurrentCluster()?.server ?? "the API server";
    return new ProviderError("unavailable", `${what}: cannot reach ${server}: ${e?.message ?? String(err)}`);
  }
}
