// Plain HTTPS for the few calls no SDK covers (OIDC discovery and JWKS, the token endpoint).
import type { Agent } from "node:https";
import { request } from "node:https";
import { deadline, ProviderError } from "./errors.js";
import { couldNotFetch } from "./outbound.js";

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json?: unknown;
}

export interface HttpOptions {
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  agent?: Agent;
  /** The overall deadline, retries included. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Refuse bodies larger than this (bytes). */
  maxBytes?: number;
  /** Retries after a 429 or 5xx answer or a dropped connection, with backoff, inside the deadline. Default 0. */
  retries?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** Seconds or an HTTP date in Retry-After, as milliseconds; undefined when absent or unreadable. */
function retryAfterMs(value: string | string[] | undefined): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d{1,9}$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export async function httpRequest(url: string, opts: HttpOptions): Promise<HttpResponse> {
  const u = new URL(url);
  if (u.protocol !== "https:") throw couldNotFetch(url, "only https URLs are fetched");
  const { signal, release } = deadline(opts.timeoutMs, opts.signal);
  const started = Date.now();
  const retries = Math.max(0, Math.min(opts.retries ?? 0, 5));
  try {
    for (let attempt = 0; ; attempt++) {
      let res: HttpResponse | undefined;
      let failure: ProviderError | undefined;
      try {
        res = await once(u, opts, signal);
      } catch (err) {
        if (!(err instanceof ProviderError) || err.kind !== "unavailable" || err.status !== undefined) throw err;
        failure = err;
      }
      const retryable = failure !== undefined || (res !== undefined && (res.status === 429 || res.status >= 500));
      if (!retryable || attempt >= retries) {
        if (failure) throw failure;
        return res as HttpResponse;
      }
      // Exponential backoff with jitter; a Retry-After longer than what is left of the deadline ends the retries.
      const backoff = 200 * 2 ** attempt * (0.5 + Math.random() / 2);
      const wait = retryAfterMs(res?.headers["retry-after"]) ?? backoff;
      const left = opts.timeoutMs - (Date.now() - started);
      if (wait >= left - 50) {
        if (failure) throw failure;
        return res as HttpResponse;
      }
      await sleep(wait, signal);
      if (signal.aborted) throw abortError(url, opts);
    }
  } finally {
    release();
  }
}

function abortError(url: string, opts: HttpOptions): ProviderError {
  return opts.signal?.aborted
    ? new ProviderError("cancelled", `${new URL(url).host}: cancelled`)
    : new ProviderError("timeout", `could not fetch ${new URL(url).host} (no answer within ${opts.timeoutMs} ms)`);
}

/** One request. Network failures say only that the connection failed: the precise error would be a port oracle. */
function once(u: URL, opts: HttpOptions, signal: AbortSignal): Promise<HttpResponse> {
  const url = u.toString();
  const max = opts.maxBytes ?? 4 * 1024 * 1024;
  return new Promise<HttpResponse>((resolve, reject) => {
    if (signal.aborted) return reject(abortError(url, opts));
    const req = request(
      u,
      { method: opts.method ?? "GET", headers: opts.headers, agent: opts.agent, signal },
      (res) => {
        const declared = Number(res.headers["content-length"]);
        if (Number.isFinite(declared) && declared > max) {
          req.destroy(couldNotFetch(url, `the answer is larger than ${max} bytes`, res.statusCode));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > max) {
            req.destroy(couldNotFetch(url, `the answer is larger than ${max} bytes`, res.statusCode));
            return;
          }
          chunks.push(c);
        });
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on("error", () => reject(couldNotFetch(url, "the connection failed")));
      },
    );
    req.on("error", (err: Error & { code?: string }) => {
      if (err instanceof ProviderError) return reject(err);
      if (signal.aborted) return reject(abortError(url, opts));
      if (err.code === "EWIDOCTORBLOCKED") {
        return reject(
          new ProviderError(
            "unavailable",
            `could not fetch ${u.host} (${err.message}; pass --allow-private-issuer to allow it)`,
            0,
          ),
        );
      }
      reject(couldNotFetch(url, "the connection failed"));
    });
    if (opts.body) req.write(opts.body);
    req.end();
  });
}
