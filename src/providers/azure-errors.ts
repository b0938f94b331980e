// How an Azure SDK, Graph or credential failure becomes a ProviderError, and which role grants a refused call.
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { ProviderError, type ProviderErrorKind } from "./errors.js";

type ServiceError = { code?: string; message?: string };

/** Error bodies by request: some SDK paths throw a generic message and keep only the request. */
const errorBodies = new WeakMap<object, ServiceError>();

/** Remembers ARM's own error explanation for each failed request, so the ProviderError can quote it. */
export const errorBodyPolicy: PipelinePolicy = {
  name: "wiDoctorErrorBody",
  async sendRequest(request, next) {
    const response = await next(request);
    if (response.status >= 400 && response.bodyAsText) {
      try {
        const error = (JSON.parse(response.bodyAsText) as { error?: ServiceError }).error;
        if (error?.message) errorBodies.set(request, error);
      } catch {
        /* not JSON: nothing to quote */
      }
    }
    return response;
  },
};

export type AzureOperation =
  | "subscriptions"
  | "clusters.read"
  | "identities.read"
  | "fics.read"
  | "fics.write"
  | "roleAssignments.read"
  | "roleAssignments.write"
  | "roleDefinitions.read"
  | "vaults.read"
  | "vaults.write"
  | "vmss.read"
  | "graph.read"
  | "graph.write";

/** What to grant so a refused call succeeds next time. */
export function forbiddenRemedy(op: AzureOperation): string {
  switch (op) {
    case "subscriptions":
      return "grant Reader on the subscription (or name the subscription explicitly)";
    case "clusters.read":
      return "grant Reader on the subscription or on the cluster's resource group (Microsoft.ContainerService/managedClusters/read)";
    case "identities.read":
      return "grant Reader (or Managed Identity Operator) on the identity's resource group or subscription (Microsoft.ManagedIdentity/userAssignedIdentities/read)";
    case "fics.read":
      return "grant Reader on the managed identity (Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read)";
    case "fics.write":
      return "grant Managed Identity Contributor on the managed identity (Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write)";
    case "roleAssignments.read":
      return "grant Reader on the subscription (Microsoft.Authorization/roleAssignments/read)";
    case "roleAssignments.write":
      return "grant User Access Administrator or Role Based Access Control Administrator on the scope (Microsoft.Authorization/roleAssignments/write)";
    case "roleDefinitions.read":
      return "grant Reader on the subscription (Microsoft.Authorization/roleDefinitions/read)";
    case "vaults.read":
      return "grant Reader on the Key Vault or its resource group (Microsoft.KeyVault/vaults/read)";
    case "vaults.write":
      return "grant Key Vault Contributor on the Key Vault (Microsoft.KeyVault/vaults/write, vaults/accessPolicies/write)";
    case "vmss.read":
      return "grant Reader on the node resource group (Microsoft.Compute/virtualMachineScaleSets/read)";
    case "graph.read":
      return "grant the Microsoft Graph permission Application.Read.All (or sign in as a user who can read app registrations)";
    case "graph.write":
      return "grant the Microsoft Graph permission Application.ReadWrite.OwnedBy (and own the app registration) or Application.ReadWrite.All";
  }
}

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  errorResponse?: { error?: string; errorDescription?: string };
  details?: unknown;
  request?: object;
  response?: { bodyAsText?: string | null };
}

/** The service's own explanation ({"error": {"code", "message"}}), which some SDK errors replace with their own. */
function serviceError(e: ErrorLike): ServiceError | undefined {
  const remembered = e.request ? errorBodies.get(e.request) : undefined;
  if (remembered) return remembered;
  const fromDetails = (e.details as { error?: ServiceError } | undefined)?.error;
  if (fromDetails?.message) return fromDetails;
  try {
    const body = JSON.parse(e.response?.bodyAsText ?? "") as { error?: ServiceError };
    return body.error?.message ? body.error : undefined;
  } catch {
    return undefined;
  }
}

/** The first line of an Entra error description: the AADSTS code and its text, without trace ids. */
function firstLine(text: string): string {
  return text
    .split(/\r?\n/)[0]
    .replace(/\s+Trace ID:.*$/, "")
    .trim();
}

export function toAzureProviderError(what: string, err: unknown, op: AzureOperation): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = (err ?? {}) as ErrorLike;
  const message = firstLine(e.message ?? String(err));
  if (e.name === "CredentialUnavailableError" || e.name === "AggregateAuthenticationError") {
    return new ProviderError(
      "no-credential",
      `${what}: no Azure credential is available (${message})`,
      undefined,
      "sign in with `az login`, or set AZURE_CLIENT_ID and AZURE_TENANT_ID with a client secret or federated token",
    );
  }
  if (e.name === "AuthenticationError") {
    const description = e.errorResponse?.errorDescription ? firstLine(e.errorResponse.errorDescription) : message;
    return new ProviderError(
      "unauthorized",
      `${what}: the Azure credential was rejected: ${description}`,
      401,
      "sign in again (`az login`) or fix the credential's client id, tenant and secret",
    );
  }
  if (e.name === "AbortError") return new ProviderError("cancelled", `${what}: cancelled`);
  const status = e.statusCode;
  const service = serviceError(e);
  const text = service?.message ? firstLine(service.message) : message;
  const code = service?.code ?? e.code;
  const detail = code && !text.includes(code) ? `${code}: ${text}` : text;
  if (status === undefined) {
    const kind: ProviderErrorKind = e.code === "PARSE_ERROR" ? "invalid-response" : "unavailable";
    return new ProviderError(kind, `${what}: ${detail}`);
  }
  if (status === 401) {
    return new ProviderError(
      "unauthorized",
      `${what}: ${detail}`,
      status,
      "sign in again (`az login`); the token was not accepted",
    );
  }
  if (status === 403) return new ProviderError("forbidden", `${what}: ${detail}`, status, forbiddenRemedy(op));
  if (status === 404) return new ProviderError("not-found", `${what}: ${detail}`, status);
  if (status === 408 || status === 429 || status >= 500)
    return new ProviderError("unavailable", `${what}: ${detail}`, status);
  if (status >= 200 && status < 300) return new ProviderError("invalid-response", `${what}: ${detail}`, status);
  return new ProviderError("invalid-response", `${what}: HTTP ${status} ${detail}`, status);
}

/**
 * A Retry-After longer than the call's deadline would only make the SDK sleep past it (and keep the process
 * alive after the answer is given up): drop it, so the retry policy's own short backoff applies and the call
 * fails as throttled within the deadline.
 */
export function retryAfterCapPolicy(maxMs: number): PipelinePolicy {
  return {
    name: "wiDoctorRetryAfterCap",
    async sendRequest(request, next) {
      const response = await next(request);
      if (response.status !== 429 && response.status < 500) return response;
      for (const name of ["retry-after-ms", "x-ms-retry-after-ms", "retry-after"]) {
        const v = response.headers.get(name);
        if (v === undefined) continue;
        const ms =
          name === "retry-after" ? (/^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v) - Date.now()) : Number(v);
        if (!(ms <= maxMs / 2)) response.headers.delete(name);
      }
      return response;
    },
  };
}
