// The outbound-request policy: which URLs wi-doctor may fetch on the say-so of data it does not control (the
// cluster's issuer URL, the jwks_uri in a discovery document), and how every live request finds its proxy.
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { ClientRequest } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { BlockList, isIP } from "node:net";
import { Agent as BaseAgent, type AgentConnectOpts } from "agent-base";
import { HttpsProxyAgent } from "https-proxy-agent";
import { getProxyForUrl } from "proxy-from-env";
import { ProviderError } from "./errors.js";

/** Bytes an issuer document may have: real discovery documents and JWKS are a few kilobytes. */
export const MAX_ISSUER_DOCUMENT_BYTES = 512 * 1024;

const metadata = new BlockList();
metadata.addAddress("169.254.169.254", "ipv4");
metadata.addAddress("fd00:ec2::254", "ipv6");

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");

const linkLocal = new BlockList();
linkLocal.addSubnet("169.254.0.0", 16, "ipv4");
linkLocal.addSubnet("fe80::", 10, "ipv6");

/** Private, shared, reserved and multicast ranges: nothing an internet-facing issuer lives in. */
const privateRanges = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  privateRanges.addSubnet(net, bits, "ipv4");
}
privateRanges.addAddress("::", "ipv6");
privateRanges.addSubnet("fc00::", 7, "ipv6");
privateRanges.addSubnet("ff00::", 8, "ipv6");

/** Why an IP address may not be fetched, or undefined when it is a public address. */
export function blockedAddressReason(address: string): string | undefined {
  let ip = address.replace(/^\[|\]$/g, "").toLowerCase();
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) is the IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) ip = mapped[1];
  const family = isIP(ip);
  if (family === 0) return undefined;
  const type = family === 4 ? "ipv4" : "ipv6";
  if (metadata.check(ip, type)) return "a cloud metadata address";
  if (loopback.check(ip, type)) return "a loopback address";
  if (linkLocal.check(ip, type)) return "a link-local address";
  if (privateRanges.check(ip, type)) return "a private or reserved address";
  return undefined;
}

/** Host names that are loopback by definition. */
function blockedNameReason(host: string): string | undefined {
  const h = host.toLowerCase().replace(/\.$/, "");
  if (h === "localhost" || h.endsWith(".localhost")) return "a loopback address";
  return blockedAddressReason(h);
}

/**
 * Issuer hosts of the managed Kubernetes services, whose discovery documents may name keys on a sibling host of
 * the same service: AKS (Azure public, US Government and China) and EKS (commercial and China partitions).
 */
const cloudIssuerHosts: { family: string; pattern: RegExp }[] = [
  { family: "aks", pattern: /^([a-z0-9-]+\.)?oic\.prod-aks\.azure\.(com|us|cn)$/ },
  { family: "aks", pattern: /^oidc\.prod-aks\.azure\.(com|us|cn)$/ },
  { family: "eks", pattern: /^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/ },
];

function cloudFamily(host: string): string | undefined {
  // Host names are at most 253 characters; these anchored patterns have no nested repetition.
  if (host.length > 253) return undefined;
  return cloudIssuerHosts.find((c) => c.pattern.test(host))?.family;
}

export interface OutboundOptions {
  /** Allow loopback, link-local and private addresses (--allow-private-issuer, or the simulated world). */
  allowPrivate: boolean;
}

/** The error every refused or failed issuer fetch becomes: the reason only, never a remote body. */
export function couldNotFetch(url: string, reason: string, status?: number): ProviderError {
  return new ProviderError("unavailable", `could not fetch ${safeOrigin(url)} (${reason})`, status);
}

function safeOrigin(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.length > 200 ? `${u.pathname.slice(0, 200)}…` : u.pathname}`;
  } catch {
    return "an invalid URL";
  }
}

/** Check a URL named by the cluster (its issuer) before fetching it. Throws "could not fetch (reason)". */
export function checkIssuerUrl(url: string, opts: OutboundOptions): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw couldNotFetch(url, "not a valid URL");
  }
  if (u.protocol !== "https:") throw couldNotFetch(url, "only https URLs are fetched");
  if (u.username || u.password) throw couldNotFetch(url, "URLs with credentials are not fetched");
  const reason = opts.allowPrivate ? undefined : blockedNameReason(u.hostname);
  if (reason) throw couldNotFetch(url, `${reason}; pass --allow-private-issuer to allow it`);
  return u;
}

/** Check the jwks_uri of an issuer's discovery document: the issuer's own host, or a sibling managed-cloud host. */
export function checkJwksUrl(jwksUri: string, issuer: string, opts: OutboundOptions): URL {
  const jwks = checkIssuerUrl(jwksUri, opts);
  const iss = new URL(issuer);
  // The same host and port as the issuer; or, for a managed cloud issuer, a sibling host of the same service.
  if (jwks.host.toLowerCase() === iss.host.toLowerCase()) return jwks;
  const family = cloudFamily(iss.hostname.toLowerCase());
  if (family && jwks.port === "" && cloudFamily(jwks.hostname.toLowerCase()) === family) return jwks;
  throw couldNotFetch(jwksUri, "the jwks_uri is not on the issuer's host");
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A DNS lookup that refuses names resolving to loopback, link-local, metadata or private addresses. */
export function guardedLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const list = addresses as LookupAddress[];
    const bad = list.map((a) => blockedAddressReason(a.address)).find(Boolean);
    if (bad) {
      const e = new Error(`the host resolves to ${bad}`) as NodeJS.ErrnoException;
      e.code = "EWIDOCTORBLOCKED";
      return callback(e, []);
    }
    if ((options as { all?: boolean }).all) return callback(null, list);
    callback(null, list[0].address, list[0].family);
  });
}

/**
 * One agent for every live HTTPS request (issuer documents, AWS): through the proxy that HTTPS_PROXY /
 * HTTP_PROXY name for the URL unless NO_PROXY excludes it, else directly. Kubernetes and Azure read the same
 * variables (see live.ts and the Azure pipeline's proxy policy).
 */
export class EnvProxyAgent extends BaseAgent {
  private readonly direct: HttpsAgent;
  private readonly proxies = new Map<string, HttpsProxyAgent<string>>();

  constructor(guarded = false) {
    super({ keepAlive: true });
    this.direct = new HttpsAgent({ keepAlive: true, ...(guarded ? { lookup: guardedLookup as never } : {}) });
  }

  override connect(_req: ClientRequest, opts: AgentConnectOpts) {
    const host = opts.host ?? "localhost";
    const proxy = proxyForUrl(`https://${host.includes(":") ? `[${host}]` : host}:${opts.port}/`);
    if (!proxy) return this.direct;
    let agent = this.proxies.get(proxy);
    if (!agent) {
      agent = new HttpsProxyAgent(proxy, { keepAlive: true });
      this.proxies.set(proxy, agent);
    }
    return agent;
  }

  override destroy(): void {
    this.direct.destroy();
    for (const a of this.proxies.values()) a.destroy();
    super.destroy();
  }
}

/** The proxy URL the standard variables name for this URL, or undefined. */
export function proxyForUrl(url: string): string | undefined {
  return getProxyForUrl(url) || undefined;
}

let liveAgents: { plain?: EnvProxyAgent; guarded?: EnvProxyAgent } = {};

/** The shared live agent; `guarded` refuses host names that resolve to private addresses (issuer fetches). */
export function liveAgent(guarded = false): EnvProxyAgent {
  if (guarded) {
    liveAgents.guarded ??= new EnvProxyAgent(true);
    return liveAgents.guarded;
  }
  liveAgents.plain ??= new EnvProxyAgent(false);
  return liveAgents.plain;
}

/** Close the shared live agents' sockets (the CLI does this before it exits). */
export function closeLiveAgents(): void {
  liveAgents.plain?.destroy();
  liveAgents.guarded?.destroy();
  liveAgents = {};
}
