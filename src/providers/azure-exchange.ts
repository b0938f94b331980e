// The Entra token endpoint: a service-account token presented as a client assertion, as the workload would.
import type { ExchangeResult } from "./azure-model.js";
import type { Environment } from "./environment.js";
import { ProviderError, withTimeout } from "./errors.js";
import { httpRequest } from "./http.js";

/**
 * Present a service-account token to the Entra token endpoint as the workload would. Answers success (and
 * the lifetime only) or Entra's decoded error; the access token itself is dropped unread.
 */
export async function exchangeWithEntra(
  env: Environment,
  input: { tenantId: string; clientId: string; assertion: string; scope?: string },
  signal?: AbortSignal,
): Promise<ExchangeResult> {
  const url = `${env.azure.cloud.authorityHost}/${encodeURIComponent(input.tenantId)}/oauth2/v2.0/token`;
  const body = new URLSearchParams({
    client_id: input.clientId,
    scope: input.scope ?? `${env.azure.cloud.armEndpoint}/.default`,
    grant_type: "client_credentials",
    client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    client_assertion: input.assertion,
  }).toString();
  const res = await withTimeout("token exchange", env.timeoutMs, signal, (s) =>
    httpRequest(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body,
      agent: env.agent,
      timeoutMs: env.timeoutMs,
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
