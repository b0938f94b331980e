// OIDC issuers and service-account tokens: fetch discovery and JWKS as Entra or STS would, verify, decode claims.
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import type { Environment } from "./environment.js";
import { ProviderError } from "./errors.js";
import { httpRequest } from "./http.js";

export interface TokenClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  iat?: number;
  nbf?: number;
}

/** Claims and key id of a JWT; the token itself never leaves this function's caller. */
export function decodeToken(token: string): { claims: TokenClaims; kid?: string } {
  const payload = decodeJwt(token);
  const header = decodeProtectedHeader(token);
  const { iss, sub, aud, exp, iat, nbf } = payload;
  return { claims: { iss, sub, aud, exp, iat, nbf }, kid: header.kid };
}

export interface IssuerVerification {
  discoveryIssuer?: string;
  jwksUri?: string;
  jwksKids: string[];
  signatureValid: boolean;
  problem?: string;
}

export async function fetchDiscovery(env: Environment, issuer: string, signal?: AbortSignal) {
  const url = `${issuer.replace(/\/?$/, "/")}.well-known/openid-configuration`;
  const res = await httpRequest(url, { agent: env.agent, timeoutMs: env.timeoutMs, signal });
  if (res.status !== 200 || !res.json || typeof res.json !== "object") {
    throw new ProviderError("unavailable", `GET ${url} answered HTTP ${res.status}`, res.status);
  }
  return res.json as { issuer?: string; jwks_uri?: string };
}

export async function fetchJwks(env: Environment, jwksUri: string, signal?: AbortSignal): Promise<JSONWebKeySet> {
  const res = await httpRequest(jwksUri, { agent: env.agent, timeoutMs: env.timeoutMs, signal });
  const body = res.json as JSONWebKeySet | undefined;
  if (res.status !== 200 || !body || !Array.isArray(body.keys)) {
    throw new ProviderError("unavailable", `GET ${jwksUri} answered HTTP ${res.status}`, res.status);
  }
  return body;
}

/** An issuer's published documents, as a relying party fetches them. */
export interface IssuerKeys {
  issuer: string;
  discovery: { issuer?: string; jwks_uri?: string };
  jwks: JSONWebKeySet;
}

/** Fetch an issuer's discovery document and then its JWKS (two dependent round trips). */
export async function fetchIssuerKeys(env: Environment, issuer: string, signal?: AbortSignal): Promise<IssuerKeys> {
  const discovery = await fetchDiscovery(env, issuer, signal);
  if (!discovery.jwks_uri) throw new ProviderError("invalid-response", "the discovery document has no jwks_uri");
  return { issuer, discovery, jwks: await fetchJwks(env, discovery.jwks_uri, signal) };
}

/**
 * Do what Entra (or STS) does with a presented token: read the issuer from the token, fetch its discovery
 * document and JWKS over public HTTPS, and verify the signature. Unreachable documents throw "unavailable".
 * Keys fetched ahead of time for the same issuer (`prefetched`) save those two round trips.
 */
export async function verifyWithIssuer(
  env: Environment,
  token: string,
  signal?: AbortSignal,
  prefetched?: Promise<IssuerKeys | undefined>,
): Promise<IssuerVerification> {
  const { claims, kid } = decodeToken(token);
  if (!claims.iss) throw new ProviderError("invalid-response", "the token has no iss claim");
  const early = prefetched ? await prefetched.catch(() => undefined) : undefined;
  const { discovery, jwks } = early?.issuer === claims.iss ? early : await fetchIssuerKeys(env, claims.iss, signal);
  const jwksKids = jwks.keys.map((k) => k.kid).filter((k): k is string => typeof k === "string");
  let signatureValid = false;
  let problem: string | undefined;
  try {
    await jwtVerify(token, createLocalJWKSet(jwks), { clockTolerance: 300 });
    signatureValid = true;
  } catch (err) {
    problem = (err as Error).message;
  }
  if (discovery.issuer && discovery.issuer !== claims.iss) {
    problem = `the discovery document's issuer ${discovery.issuer} differs from the token's ${claims.iss}`;
  }
  return {
    discoveryIssuer: discovery.issuer,
    jwksUri: discovery.jwks_uri,
    jwksKids,
    signatureValid,
    problem: kid && !jwksKids.includes(kid) ? `key ${kid} is not in the JWKS` : problem,
  };
}
