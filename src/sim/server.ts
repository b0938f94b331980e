// The simulator's HTTPS servers on loopback. The worlds of a process share one (each request names its world), so
// connections, and the TLS handshakes that open them, outlive the worlds. A world that listens on a port of its own
// (`sim serve`) or presents a wrong certificate as a TLS fault has a server to itself.
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Agent, createServer as createHttpsServer, type Server } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { SimAgent, WORLD_HEADER, WorldAgent } from "./agent.js";
import { sharedSimCa } from "./tls.js";

export type SimRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * TLS session tickets every server of the process accepts: the servers share their CA, leaf certificates and TLS
 * contexts, so a session one world's client made resumes in the next world. A resumed handshake skips the
 * certificate exchange and its checks (most of a connection's CPU).
 */
const sharedTicketKeys = randomBytes(48);

/** A loopback HTTPS server that answers for every host name with a certificate from the process's CA. */
async function listen(
  handler: SimRequestHandler,
  opts: { port?: number; certNameFor?: (servername: string) => string },
): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const ca = await sharedSimCa();
  // The default certificate answers clients that send no server name (IP-addressed requests).
  const fallback = await ca.leafFor("127.0.0.1");
  const sockets = new Set<Socket>();
  const server = createHttpsServer(
    {
      cert: fallback.cert,
      key: fallback.key,
      ticketKeys: sharedTicketKeys,
      SNICallback: (servername, cb) => {
        ca.contextFor(opts.certNameFor?.(servername) ?? servername).then(
          (context) => cb(null, context),
          (err) => cb(err as Error),
        );
      },
    },
    handler,
  );
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.listen(opts.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

export interface WorldServer {
  port: number;
  /** The agent that carries the world's connections to its server. */
  agent: Agent;
  /** Where a Kubernetes client reaches the world's API server (a path prefix on the shared server). */
  kubeServer: string;
  close(): Promise<void>;
}

/** A server for one world alone. */
export async function startOwnServer(
  handler: SimRequestHandler,
  opts: { port?: number; certNameFor: (servername: string) => string; resumable: () => boolean },
): Promise<WorldServer> {
  const { server, port, sockets } = await listen(handler, opts);
  const agent = new SimAgent(port, (await sharedSimCa()).caPem, opts.resumable);
  return {
    port,
    agent,
    kubeServer: `https://127.0.0.1:${port}`,
    close: async () => {
      agent.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface Hub {
  port: number;
  agent: SimAgent;
  worlds: Map<string, SimRequestHandler>;
}

let hub: Promise<Hub> | undefined;
let nextWorld = 1;

/** Kubernetes clients name their world in the API server's URL: https://127.0.0.1:PORT/sim-world/7. */
const KUBE_PREFIX = /^\/sim-world\/(\d+)(?=[/?]|$)/;

function worldOf(req: IncomingMessage): string | undefined {
  const marked = req.headers[WORLD_HEADER];
  if (typeof marked === "string") {
    delete req.headers[WORLD_HEADER];
    return marked;
  }
  const m = KUBE_PREFIX.exec(req.url ?? "");
  if (!m) return undefined;
  const rest = (req.url ?? "").slice(m[0].length);
  req.url = rest.startsWith("/") ? rest : `/${rest}`;
  return m[1];
}

function startHub(): Promise<Hub> {
  const worlds = new Map<string, SimRequestHandler>();
  const dispatch: SimRequestHandler = (req, res) => {
    const id = worldOf(req);
    const handler = id === undefined ? undefined : worlds.get(id);
    if (handler) return handler(req, res);
    res.writeHead(502, { "content-type": "text/plain" });
    res.end(id === undefined ? "the request names no simulated world" : `simulated world ${id} is closed`);
  };
  return (async () => {
    const { server, port } = await listen(dispatch, {});
    // Shared for the life of the process: idle connections are never closed by the server, and neither the server
    // nor its connections keep the process alive (a request in flight does, through its client's socket).
    server.keepAliveTimeout = 0;
    server.unref();
    server.on("connection", (s: Socket) => s.unref());
    return { port, worlds, agent: new SimAgent(port, (await sharedSimCa()).caPem, () => true) };
  })();
}

/** A place for one world on the process's shared server. */
export async function joinSharedServer(handler: SimRequestHandler): Promise<WorldServer> {
  hub ??= startHub();
  const h = await hub;
  const id = String(nextWorld++);
  // Answers still owed when the world closes (a fault that never answers): their connections are dropped with it.
  const pending = new Set<ServerResponse>();
  h.worlds.set(id, (req, res) => {
    pending.add(res);
    res.on("close", () => pending.delete(res));
    handler(req, res);
  });
  return {
    port: h.port,
    agent: new WorldAgent(h.agent, id),
    kubeServer: `https://127.0.0.1:${h.port}/sim-world/${id}`,
    close: async () => {
      h.worlds.delete(id);
      for (const res of pending) res.socket?.destroy();
    },
  };
}
