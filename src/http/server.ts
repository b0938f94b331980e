// The MCP server over stateless Streamable HTTP at /mcp, with /healthz and /readyz: Host and Origin checks
// against DNS rebinding, bearer-token authentication, per-call authorisation, body limits, one JSON log line per
// request (never a token), and a graceful stop.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Environment } from "../providers/environment.js";
import { createServer, toolsFor } from "../server.js";
import type { ToolDefinition } from "../tools/define.js";
import { type Authenticator, type Caller, describePermission, permissionsFor } from "./auth.js";
import type { Readiness } from "./ready.js";

export interface HttpOptions {
  host: string;
  port: number;
  environment: () => Promise<Environment>;
  /** Required unless the address is loopback. */
  authenticator?: Authenticator;
  /** Extra Host header values to accept (e.g. the Service's DNS name); loopback names are always accepted on loopback. */
  allowedHosts?: string[];
  /** Origins a browser may call from; by default requests that carry an Origin are refused unless it is the server's own. */
  allowedOrigins?: string[];
  readiness?: () => Promise<Readiness>;
  maxBodyBytes?: number;
  /** Requests served at once; beyond it, 503 with Retry-After. */
  maxInFlight?: number;
  tools?: ToolDefinition[];
  log?: (line: Record<string, unknown>) => void;
}

export interface RunningHttpServer {
  url: string;
  port: number;
  server: Server;
  /** Stop accepting, finish the requests in flight (up to `graceMs`), then close every connection. */
  close(graceMs?: number): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limit) {
      reject(new HttpError(413, `request body larger than ${limit} bytes`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, `request body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const rpcError = (code: number, message: string) => ({ jsonrpc: "2.0", error: { code, message }, id: null });

/** Each tool checks, before it runs, that the caller may read what the call targets. */
function guardedTools(tools: ToolDefinition[], auth: Authenticator, caller: Caller): ToolDefinition[] {
  if (!auth.missing) return tools;
  return tools.map((t) => ({
    ...t,
    handler: async (input, ctx) => {
      const needed = permissionsFor(t.name, input as Record<string, unknown>);
      const missing = needed.length ? await auth.missing!(caller, needed, ctx.signal) : [];
      if (missing.length) {
        throw new Error(
          `forbidden: ${caller.username} may not ${missing.map(describePermission).join(", ")}; ask for read access to what you want to diagnose`,
        );
      }
      return t.handler(input, ctx);
    },
  }));
}

/** DNS-rebinding defence: which Host headers and browser Origins a server with these options accepts. */
function hostPolicy(opts: HttpOptions, port: () => number) {
  const hostAllowed = (host: string | undefined) => {
    if (!host) return false;
    const allowed = new Set((opts.allowedHosts ?? []).map((h) => h.toLowerCase()));
    const h = host.toLowerCase();
    if (allowed.has(h) || allowed.has(h.replace(/:\d+$/, ""))) return true;
    if (isLoopback(opts.host)) {
      return [`localhost:${port()}`, `127.0.0.1:${port()}`, `[::1]:${port()}`, "localhost", "127.0.0.1"].includes(h);
    }
    // Behind authentication on a cluster network, any Host: a rebinding page cannot present the bearer token.
    return opts.allowedHosts === undefined || opts.allowedHosts.length === 0;
  };
  const originAllowed = (origin: string | undefined, host: string | undefined) => {
    if (origin === undefined) return true;
    if ((opts.allowedOrigins ?? []).includes(origin)) return true;
    return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`) && hostAllowed(host);
  };
  return { hostAllowed, originAllowed };
}

export async function startHttpServer(opts: HttpOptions): Promise<RunningHttpServer> {
  if (!isLoopback(opts.host) && !opts.authenticator) {
    throw new Error(
      `refusing to listen on ${opts.host} without authentication: pass --token-file FILE or --auth kubernetes (or listen on 127.0.0.1)`,
    );
  }
  const maxBody = opts.maxBodyBytes ?? 4 * 1024 * 1024;
  const maxInFlight = opts.maxInFlight ?? 128;
  const log = opts.log ?? ((line) => process.stderr.write(`${JSON.stringify(line)}\n`));
  const tools = toolsFor({ tools: opts.tools, allowWrites: false });
  let envPromise: Promise<Environment> | undefined;
  const environment = () => {
    envPromise ??= opts.environment();
    return envPromise;
  };
  let inFlight = 0;
  let stopping = false;
  let port = opts.port;

  const { hostAllowed, originAllowed } = hostPolicy(opts, () => port);

  async function serveMcp(req: IncomingMessage, res: ServerResponse, entry: Record<string, unknown>) {
    if (req.method !== "POST") {
      throw new HttpError(405, "this stateless server accepts POST only", { allow: "POST" });
    }
    let caller: Caller | undefined;
    if (opts.authenticator) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
      if (!m) throw new HttpError(401, "missing bearer token", { "www-authenticate": 'Bearer realm="wi-doctor"' });
      caller = await opts.authenticator.authenticate(m[1]);
      if (!caller) throw new HttpError(401, "the bearer token was not accepted", { "www-authenticate": "Bearer" });
      entry.user = caller.username;
    }
    const raw = await readBody(req, maxBody);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      throw new HttpError(400, "the body is not JSON");
    }
    const first = (Array.isArray(body) ? body[0] : body) as { method?: unknown; params?: { name?: unknown } };
    if (typeof first?.method === "string") entry.rpc = first.method;
    if (typeof first?.params?.name === "string") entry.tool = first.params.name;
    const server = createServer({
      environment,
      tools: caller && opts.authenticator ? guardedTools(tools, opts.authenticator, caller) : tools,
      // JSON responses carry no server-initiated requests: writes rely on confirm: true alone.
      elicitation: false,
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => {
      transport.close().catch(() => undefined);
      server.close().catch(() => undefined);
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async function route(req: IncomingMessage, res: ServerResponse, entry: Record<string, unknown>) {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (path === "/readyz") {
      if (stopping) return sendJson(res, 503, { ready: false, reason: "shutting down" });
      const r = opts.readiness ? await opts.readiness() : { ready: true, reason: "no readiness check configured" };
      return sendJson(res, r.ready ? 200 : 503, r);
    }
    if (path !== "/mcp") throw new HttpError(404, "not found: the MCP endpoint is /mcp");
    const host = req.headers.host;
    if (!hostAllowed(host)) throw new HttpError(403, `Host header not allowed: ${JSON.stringify(host ?? "")}`);
    const origin = req.headers.origin;
    if (!originAllowed(origin, host)) throw new HttpError(403, `Origin not allowed: ${JSON.stringify(origin)}`);
    if (stopping) throw new HttpError(503, "shutting down", { connection: "close" });
    if (inFlight >= maxInFlight) throw new HttpError(503, "too many requests in flight", { "retry-after": "1" });
    inFlight++;
    try {
      await serveMcp(req, res, entry);
    } finally {
      inFlight--;
    }
  }

  const server = createHttpServer((req, res) => {
    const started = process.hrtime.bigint();
    const entry: Record<string, unknown> = { method: req.method, path: (req.url ?? "/").split("?")[0] };
    res.on("finish", () => {
      entry.status = res.statusCode;
      entry.ms = Number((process.hrtime.bigint() - started) / 1_000_000n);
      log({ time: new Date().toISOString(), level: res.statusCode >= 500 ? "error" : "info", ...entry });
    });
    route(req, res, entry).catch((err) => {
      const e = err instanceof HttpError ? err : new HttpError(500, (err as Error)?.message ?? String(err));
      entry.error = e.message;
      sendJson(res, e.status, rpcError(-32000, e.message), e.headers);
    });
  });
  server.headersTimeout = 15_000;
  server.requestTimeout = 300_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(":") ? `[${opts.host}]` : opts.host;

  return {
    url: `http://${hostForUrl}:${port}/mcp`,
    port,
    server,
    async close(graceMs = 10_000) {
      stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const until = Date.now() + graceMs;
      while (inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      server.closeAllConnections();
      await closed;
    },
  };
}
