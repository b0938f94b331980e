// The simulated world: the services a scenario's clients talk to, answering on a TLS server on loopback for every
// real host name the scenario uses (routing by SNI, then Host), and an agent that carries connections there.
import type { Agent } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, type CryptoKey as JoseKey } from "jose";
import type { Scenario } from "./scenario.js";
import { joinSharedServer, type SimRequestHandler, startOwnServer } from "./server.js";
import { sharedSimCa, type SimCa } from "./tls.js";

export type SimServiceName = Scenario["faults"]["rules"][number]["service"];

export interface SimRequest {
  service: SimServiceName;
  /** Set when the client addressed the simulator itself (an IP or localhost): the origin it used, e.g. https://127.0.0.1:8443. */
  origin?: string;
  method: string;
  /** The full URL with the real host name. */
  url: URL;
  host: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: Buffer;
  text(): string;
  json(): unknown;
  form(): URLSearchParams;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON. */
  body?: string | Buffer | object;
}

export interface SimService {
  name: SimServiceName;
  /** Whether this service answers for the host name. */
  matches(host: string, world: SimWorld): boolean;
  /** Undefined means "no such route": the world answers 404 in the service's own error format. */
  handle(req: SimRequest, world: SimWorld): Promise<SimResponse | undefined> | SimResponse | undefined;
  /** The 404 for unknown routes, in this service's error format. */
  notFound?(req: SimRequest): SimResponse;
}

export interface IssuerKey {
  kid: string;
  privateKey: JoseKey;
  publicJwk: JWK;
}

/** The signing keys of the scenario's service-account issuer. */
export interface IssuerKeys {
  /** Keys the JWKS publishes. */
  published: IssuerKey[];
  /** The key the API server signs tokens with (not published when the scenario rotated it away). */
  signing: IssuerKey;
}

export interface SimWorld {
  /** The scenario as live state: writes (e.g. a federated credential PUT) change it. */
  scenario: Scenario;
  caPem: string;
  /** The loopback port of the world's server (shared with other worlds of the process unless it has its own). */
  port: number;
  /** The URL a Kubernetes client reaches the world's API server at (its TLS server name is apiServerHost). */
  kubeServer: string;
  /** Routes every HTTPS connection to the simulator, keeping the real host for SNI and Host. */
  agent: Agent;
  issuerKeys: IssuerKeys;
  /** Host name of the scenario's Kubernetes API server. */
  apiServerHost: string;
  /** Requests served, per service, and the bytes of the answer bodies (the read volume of a client). */
  stats: { requests: number; bytes: number; byService: Record<string, number> };
  /** HTTPS GET from inside the world (e.g. Entra fetching an issuer's JWKS), through the same agent. */
  fetchJson(url: string): Promise<{ status: number; body: unknown }>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Added to every request, on top of the scenario's faults.latencyMs. */
  latencyMs?: number;
  services: SimService[];
  /** A loopback port of the world's own to listen on (default: the process's shared simulator server). */
  port?: number;
  /** False: a server of the world's own, on any free port, even without `port`. */
  shared?: boolean;
  /** Told of every answered request (method, host, path without query, status); never bodies or headers. */
  onRequest?: (entry: SimRequestLogEntry) => void;
  /**
   * For requests addressed to the simulator itself (an IP or localhost, no usable SNI or Host): the real host
   * name they are meant for, worked out from the request.
   */
  hostForDirectRequest?: (req: DirectRequest, world: SimWorld) => string | undefined;
}

export interface SimRequestLogEntry {
  time: string;
  method: string;
  host: string;
  path: string;
  status: number;
  service?: string;
}

/** What the direct-request router may look at. */
export interface DirectRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** An IP address or localhost: a name that says nothing about which service is meant. */
export function isDirectHost(host: string): boolean {
  return host === "" || host === "localhost" || /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.startsWith("[");
}

/**
 * The issuer's signing keys, made once per process and shared by the worlds it starts: a 2048-bit RSA key costs
 * 0.1–0.2 s of CPU, and a test run starts hundreds of worlds. Each world still has its own issuer URL.
 */
const issuerKeyCache = new Map<"current" | "previous", Promise<IssuerKey>>();

function issuerKey(slot: "current" | "previous"): Promise<IssuerKey> {
  let key = issuerKeyCache.get(slot);
  if (!key) {
    key = (async (): Promise<IssuerKey> => {
      const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
      const publicJwk = await exportJWK(publicKey);
      // The RFC 7638 thumbprint, as real issuers use: base64url of a hash, never text that reads as encoded JSON.
      const kid = await calculateJwkThumbprint(publicJwk, "sha256");
      return { kid, privateKey, publicJwk: { ...publicJwk, kid, use: "sig", alg: "RS256" } };
    })();
    issuerKeyCache.set(slot, key);
  }
  return key;
}

async function makeIssuerKeys(rotated: boolean): Promise<IssuerKeys> {
  const current = await issuerKey("current");
  if (!rotated) return { published: [current], signing: current };
  // Tokens are signed by a key the JWKS no longer lists.
  const old = await issuerKey("previous");
  return { published: [current], signing: old };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a started world's request handling needs. */
interface WorldContext {
  world: SimWorld;
  options: StartOptions;
  /** Added to every request from a client (scenario latency plus the caller's). */
  latency: number;
  /** How often each fault rule (by index) has fired, for `times`. */
  faultUses: Map<number, number>;
  /** Whether the world is on the process's shared server (where no TLS fault can be presented). */
  shared: boolean;
}

const routeOf = (ctx: WorldContext, host: string): SimService | undefined =>
  ctx.options.services.find((s) => s.matches(host, ctx.world));

export async function startSimWorld(scenario: Scenario, options: StartOptions): Promise<SimWorld> {
  const ca: SimCa = await sharedSimCa();
  const issuerKeys = await makeIssuerKeys(scenario.kubernetes.issuerKeyRotated);
  const latency = (scenario.faults.latencyMs ?? 0) + (options.latencyMs ?? 0);
  const world = {} as SimWorld;
  // A TLS fault is a certificate for another name, presented during the handshake: before any request names its
  // world, so such a world needs a server of its own (as does one on a given port).
  const own = options.port !== undefined || options.shared === false || scenario.faults.rules.some((r) => r.tls);
  const ctx: WorldContext = { world, options, latency, faultUses: new Map(), shared: !own };
  const handler: SimRequestHandler = (req, res) => {
    if (options.onRequest) logWhenDone(req, res, options.onRequest);
    handleRequest(ctx, req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`simulator error: ${(err as Error).message}`);
    });
  };
  const server = own
    ? await startOwnServer(handler, {
        port: options.port,
        certNameFor: (servername) => (matchTlsFault(ctx, servername) ? "tls-failure.invalid" : servername),
        resumable: () => !world.scenario.faults.rules.some((r) => r.tls),
      })
    : await joinSharedServer(handler);

  Object.assign(world, {
    // The world's own copy: writes (a federated credential PUT, a patched service account) stay in this world.
    scenario: structuredClone(scenario),
    caPem: ca.caPem,
    port: server.port,
    kubeServer: server.kubeServer,
    agent: server.agent,
    issuerKeys,
    apiServerHost: new URL(scenario.kubernetes.server).hostname.toLowerCase(),
    stats: { requests: 0, bytes: 0, byService: {} },
    fetchJson: (url: string) => simFetchJson(server.agent, url),
    close: () => server.close(),
  } satisfies SimWorld);
  return world;
}

/** The real host a request is for (SNI, then Host; for a direct request, what the router works out) and its origin. */
function hostOf(ctx: WorldContext, req: IncomingMessage, body: Buffer): { host: string; origin?: string } {
  const sni = (req.socket as TLSSocket).servername;
  const hostHeader = (req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
  const sniHost = typeof sni === "string" && sni && !isDirectHost(sni.toLowerCase()) ? sni.toLowerCase() : "";
  const host = sniHost || hostHeader;
  if (!isDirectHost(host) || !ctx.options.hostForDirectRequest) return { host };
  const u = new URL(`https://localhost${req.url ?? "/"}`);
  const meant = ctx.options.hostForDirectRequest(
    { method: req.method ?? "GET", path: u.pathname, query: u.searchParams, headers: req.headers, body },
    ctx.world,
  );
  if (!meant) return { host };
  return { host: meant.toLowerCase(), origin: `https://${req.headers.host ?? `127.0.0.1:${ctx.world.port}`}` };
}

function simRequestOf(req: IncomingMessage, service: SimService, host: string, body: Buffer, origin?: string) {
  // Paths such as "//subscriptions/…" must stay paths, not protocol-relative URLs.
  const url = new URL(`https://${host}${req.url ?? "/"}`);
  const simReq: SimRequest = {
    service: service.name,
    origin,
    method: req.method ?? "GET",
    url,
    host,
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body,
    text: () => body.toString("utf8"),
    json: () => JSON.parse(body.toString("utf8") || "null"),
    // The AWS query protocol may also come as a GET with the parameters in the query string.
    form: () =>
      req.method === "GET" && body.length === 0
        ? new URLSearchParams(url.search)
        : new URLSearchParams(body.toString("utf8")),
  };
  return simReq;
}

async function handleRequest(ctx: WorldContext, req: IncomingMessage, res: ServerResponse) {
  const { world } = ctx;
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  const { host, origin } = hostOf(ctx, req, body);
  (req as { simHost?: string }).simHost = host;
  const service = routeOf(ctx, host);
  world.stats.requests++;
  if (!service) {
    res.writeHead(502, { "content-type": "text/plain" });
    res.end(`the simulated world has no service at ${host}`);
    return;
  }
  world.stats.byService[service.name] = (world.stats.byService[service.name] ?? 0) + 1;
  if (ctx.shared && world.scenario.faults.rules.some((r) => r.tls && r.service === service.name)) {
    // Silently answering would hide the fault from the test that set it.
    throw new Error(`a TLS fault on ${service.name} needs the rule in the scenario before its world starts`);
  }
  const simReq = simRequestOf(req, service, host, body, origin);
  // Calls the world makes to itself (Entra fetching an issuer's keys) happen inside the cloud: no client latency.
  if (ctx.latency > 0 && req.headers["x-sim-internal"] !== "1") await sleep(ctx.latency);

  const fault = matchFault(ctx, simReq);
  if (fault?.latencyMs) await sleep(fault.latencyMs);
  if (fault && (fault.timeout || fault.reset || fault.malformed || fault.status !== undefined || !fault.latencyMs)) {
    answerFault(req, res, fault);
    return;
  }

  const answer = (await service.handle(simReq, world)) ??
    service.notFound?.(simReq) ?? {
      status: 404,
      body: { error: { code: "NotFound", message: `no route ${simReq.method} ${simReq.path}` } },
    };
  world.stats.bytes += send(res, answer);
}

type FaultRule = Scenario["faults"]["rules"][number];

/** A fault instead of the service's answer: no answer at all, a reset, a truncated body or an error status. */
function answerFault(req: IncomingMessage, res: ServerResponse, fault: FaultRule): void {
  if (fault.timeout) return; // never answer; the client's timeout must fire
  if (fault.reset) {
    req.socket.destroy();
    return;
  }
  if (fault.malformed) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"value": [ {"truncated');
    return;
  }
  const status = fault.status ?? 500;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
  res.writeHead(status, headers);
  res.end(
    JSON.stringify({
      error: { code: status === 429 ? "TooManyRequests" : "InternalServerError", message: "simulated fault" },
    }),
  );
}

function matchTlsFault(ctx: WorldContext, servername: string): boolean {
  const { world, faultUses } = ctx;
  const service = routeOf(ctx, servername.toLowerCase());
  if (!service || !world.scenario) return false;
  const rules = world.scenario.faults.rules;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    if (!r.tls || r.service !== service.name) continue;
    const used = faultUses.get(i) ?? 0;
    if (r.times !== undefined && used >= r.times) continue;
    faultUses.set(i, used + 1);
    world.stats.byService[service.name] = (world.stats.byService[service.name] ?? 0) + 1;
    return true;
  }
  return false;
}

function matchFault(ctx: WorldContext, req: SimRequest): FaultRule | undefined {
  const rules = ctx.world.scenario.faults.rules;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    if (r.tls || r.service !== req.service) continue;
    if (r.method && r.method.toUpperCase() !== req.method) continue;
    const internal = req.headers["x-sim-internal"] === "1";
    if ((r.from === "operator" && internal) || (r.from === "cloud" && !internal)) continue;
    const action = req.form().get("Action") ?? "";
    if (r.path && !req.url.pathname.includes(r.path) && !req.url.search.includes(r.path) && action !== r.path) continue;
    const used = ctx.faultUses.get(i) ?? 0;
    if (r.times !== undefined && used >= r.times) continue;
    ctx.faultUses.set(i, used + 1);
    return r;
  }
  return undefined;
}

function logWhenDone(req: IncomingMessage, res: ServerResponse, onRequest: (e: SimRequestLogEntry) => void) {
  res.on("finish", () => {
    const path = (req.url ?? "/").split("?")[0];
    onRequest({
      time: new Date().toISOString(),
      method: req.method ?? "GET",
      host: (req as { simHost?: string }).simHost ?? "",
      path,
      status: res.statusCode,
    });
  });
}

/** Write the answer; returns the size of its body. */
function send(res: ServerResponse, answer: SimResponse): number {
  const headers = { ...(answer.headers ?? {}) };
  let payload: string | Buffer = "";
  if (answer.body === undefined) payload = "";
  else if (typeof answer.body === "string" || Buffer.isBuffer(answer.body)) payload = answer.body;
  else {
    payload = JSON.stringify(answer.body);
    headers["content-type"] ??= "application/json; charset=utf-8";
  }
  const bytes = Buffer.byteLength(payload);
  headers["content-length"] = String(bytes);
  res.writeHead(answer.status, headers);
  res.end(payload);
  return bytes;
}

async function simFetchJson(agent: Agent, url: string): Promise<{ status: number; body: unknown }> {
  const { request } = await import("node:https");
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { agent, method: "GET", timeout: 5000, headers: { "x-sim-internal": "1" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON: keep the text */
        }
        resolvePromise({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`timeout fetching ${url}`)));
    req.on("error", reject);
    req.end();
  });
}
