// OIDC issuers and service-account tokens: fetch discovery and JWKS as Entra or STS would, verify, decode claims.
import { createHash } from "node:crypto";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import type { Environment } from "./environment.js";
import { ProviderError } from "./errors.js";
import { httpRequest } from "./http.js";
import { readCacheOf } from "./read-cache.js";
import {
  checkIssuerUrl,
  checkJwksUrl,
  couldNotFetch,
  liveAgent,
  MAX_ISSUER_DOCUMENT_BYTES,
  type OutboundOptions,
} from "./outbound.js";

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

/** The outbound policy for issuer documents in this environment; the simulated world allows its loopback hosts. */
function issuerPolicy(env: Environment): OutboundOptions {
  return { allowPrivate: env.mode === "simulated" || env.allowPrivateIssuer === true };
}

/** Issuer documents: through the simulator's agent, or the live agent that refuses private DNS answers. */
function issuerFetch(env: Environment, url: string, signal?: AbortSignal) {
  return httpRequest(url, {
    agent: env.agent ?? liveAgent(!issuerPolicy(env).allowPrivate),
    timeoutMs: env.timeoutMs,
    signal,
    maxBytes: MAX_ISSUER_DOCUMENT_BYTES,
    retries: 2,
    headers: { accept: "application/json" },
  });
}

export async function fetchDiscovery(env: Environment, issuer: string, signal?: AbortSignal) {
  checkIssuerUrl(issuer, issuerPolicy(env));
  const url = `${issuer.replace(/\/?$/, "/")}.well-known/openid-configuration`;
  const res = await issuerFetch(env, url, signal);
  if (res.status !== 200) throw couldNotFetch(url, `HTTP ${res.status}`, res.status);
  if (!res.json || typeof res.json !== "object")
    throw couldNotFetch(url, "the answer is not a JSON object", res.status);
  const doc = res.json as { issuer?: unknown; jwks_uri?: unknown };
  return {
    issuer: typeof doc.issuer === "string" ? doc.issuer : undefined,
    jwks_uri: typeof doc.jwks_uri === "string" ? doc.jwks_uri : undefined,
  };
}

export async function fetchJwks(
  env: Environment,
  jwksUri: string,
  signal?: AbortSignal,
  issuer?: string,
): Promise<JSONWebKeySet> {
  if (issuer) checkJwksUrl(jwksUri, issuer, issuerPolicy(env));
  else checkIssuerUrl(jwksUri, issuerPolicy(env));
  const res = await issuerFetch(env, jwksUri, signal);
  const body = res.json as JSONWebKeySet | undefined;
  if (res.status !== 200) throw couldNotFetch(jwksUri, `HTTP ${res.status}`, res.status);
  if (!body || !Array.isArray(body.keys)) throw couldNotFetch(jwksUri, "the answer is not a JWKS", res.status);
  return { keys: body.keys.filter((k) => k && typeof k === "object").slice(0, 100) };
}

/** An issuer's published documents, as a relying party fetches them. */
export interface IssuerKeys {
  issuer: string;
  discovery: { issuer?: string; jwks_uri?: string };
  jwks: JSONWebKeySet;
}

/** Fetch an issuer's discovery document and then its JWKS (two dependent round trips). */
export function fetchIssuerKeys(env: Environment, issuer: string, signal?: AbortSignal): Promise<IssuerKeys> {
  // In an audit every service account's token names the same issuer: its documents are fetched once.
  const cache = readCacheOf(env);
  if (cache) return cache.once(`issuerKeys:${issuer}`, () => fetchIssuerKeysNow(env, issuer, signal));
  return fetchIssuerKeysNow(env, issuer, signal);
}

async function fetchIssuerKeysNow(env: Environment, issuer: string, signal?: AbortSignal): Promise<IssuerKeys> {
  const discovery = await fetchDiscovery(env, issuer, signal);
  if (!discovery.jwks_uri) throw new ProviderError("invalid-response", "the discovery document has no jwks_uri");
  return { issuer, discovery, jwks: await fetchJwks(env, discovery.jwks_uri, signal, issuer) };
}

/**
 * Do what Entra (or STS) does with a presented token: read the issuer from the token, fetch its discovery
 * document and JWKS over public HTTPS, and verify the signature. Unreachable documents throw "unavailable".
 * Keys fetched ahead of time for the same issuer (`prefetched`) save those two round trips.
 */
export function verifyWithIssuer(
  env: Environment,
  token: string,
  signal?: AbortSignal,
  prefetched?: Promise<IssuerKeys | undefined>,
): Promise<IssuerVerification> {
  // In an audit the first pass shares one token per audience: it is verified once (keyed by its digest).
  const cache = readCacheOf(env);
  if (!cache) return verifyNow(env, token, signal, prefetched);
  const digest = createHash("sha256").update(token).digest("base64url");
  return cache.once(`verifyWithIssuer:${digest}`, () => verifyNow(env, token, signal, prefetched));
}

async function verifyNow(
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
