// Raw reads from the Kubernetes API (objects exactly as `kubectl get -o json` shows them), for capturing a
// namespace into a scenario. Read-only; every call has the environment's deadline.
import { Agent, request } from "node:https";
import type { Environment } from "./environment.js";
import { ProviderError } from "./errors.js";
import { sharedKubeAgent, TLS_KEYS } from "./kube-agents.js";

export type RawObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown>;
  [k: string]: unknown;
};

export interface RawResult {
  status: number;
  body: unknown;
}

/** Connections a capture opens to the API server at most; further reads wait for one (a capture lists dozens). */
const MAX_CONNECTIONS = 8;

function agentFor(url: URL, opts: Record<string, unknown>): Agent {
  const tls = Object.fromEntries(TLS_KEYS.filter((k) => opts[k] !== undefined).map((k) => [k, opts[k]]));
  return sharedKubeAgent("raw", url.href, tls, (o) => new Agent({ ...o, maxSockets: MAX_CONNECTIONS }));
}

/** GET a path on the current context's API server; the answer's status and parsed JSON body. */
export async function kubeGetRaw(env: Environment, path: string, signal?: AbortSignal): Promise<RawResult> {
  const kc = env.kubeconfig;
  if (!kc) throw new ProviderError("no-credential", env.kubeconfigProblem ?? "no kubeconfig is available");
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new ProviderError("no-credential", "the kubeconfig has no current cluster");
  const opts: Record<string, unknown> = { headers: {} };
  await kc.applyToHTTPSOptions(opts as never);
  if (cluster.tlsServerName) opts.servername = cluster.tlsServerName;
  // The server URL may carry a path prefix (a cluster behind a proxy such as Rancher's): the API path goes under it.
  const url = new URL(cluster.server.replace(/\/+$/, "") + path);
  return new Promise<RawResult>((resolve, reject) => {
    const req = request(
      url,
      {
        ...(opts as object),
        agent: url.protocol === "https:" ? agentFor(url, opts) : undefined,
        method: "GET",
        timeout: env.timeoutMs,
        signal,
        headers: { ...(opts.headers as object), accept: "application/json" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            /* keep the text */
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () =>
      req.destroy(new ProviderError("timeout", `${url.pathname}: no answer within ${env.timeoutMs} ms`)),
    );
    req.on("error", (err) =>
      reject(err instanceof ProviderError ? err : new ProviderError("unavailable", `${url.pathname}: ${err.message}`)),
    );
    req.end();
  });
}

/** List a resource (a path such as /api/v1/namespaces/x/pods); items carry their apiVersion and kind. */
export async function kubeListRaw(
  env: Environment,
  path: string,
  signal?: AbortSignal,
): Promise<{ items: RawObject[]; status: number }> {
  const r = await kubeGetRaw(env, path, signal);
  if (r.status !== 200) return { items: [], status: r.status };
  const list = r.body as { apiVersion?: string; kind?: string; items?: RawObject[] };
  const kind = String(list.kind ?? "").replace(/List$/, "");
  const items = (list.items ?? []).map((o) => ({
    apiVersion: o.apiVersion ?? list.apiVersion,
    kind: o.kind ?? kind,
    ...o,
  }));
  return { items, status: 200 };
}
