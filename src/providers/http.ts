// Plain HTTPS for the few calls no SDK covers (OIDC discovery and JWKS, the token endpoint).
import type { Agent } from "node:https";
import { request } from "node:https";
import { deadline, ProviderError } from "./errors.js";

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
  timeoutMs: number;
  signal?: AbortSignal;
  /** Refuse bodies larger than this (bytes). */
  maxBytes?: number;
}

export async function httpRequest(url: string, opts: HttpOptions): Promise<HttpResponse> {
  const u = new URL(url);
  if (u.protocol !== "https:") throw new ProviderError("invalid-response", `refusing non-HTTPS URL ${url}`);
  const { signal, release } = deadline(opts.timeoutMs, opts.signal);
  const max = opts.maxBytes ?? 4 * 1024 * 1024;
  const pending = new Promise<HttpResponse>((resolve, reject) => {
    const req = request(
      u,
      { method: opts.method ?? "GET", headers: opts.headers, agent: opts.agent, signal },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > max) {
            req.destroy(new ProviderError("invalid-response", `${url}: body larger than ${max} bytes`));
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
        res.on("error", reject);
      },
    );
    req.on("error", (err: Error & { code?: string }) => {
      if (err instanceof ProviderError) return reject(err);
      if (signal.aborted) {
        return reject(
          opts.signal?.aborted
            ? new ProviderError("cancelled", `${url}: cancelled`)
            : new ProviderError("timeout", `${url}: no answer within ${opts.timeoutMs} ms`),
        );
      }
      reject(new ProviderError("unavailable", `${url}: ${err.code ?? ""} ${err.message}`.trim()));
    });
    if (opts.body) req.write(opts.body);
    req.end();
  });
  return pending.finally(release);
}
