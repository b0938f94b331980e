// The agents that carry a process's HTTPS connections to the simulator: the real host name stays the TLS server
// name (certificates are checked as for the real service), the connection goes to the simulator on loopback.
import type { ClientRequest } from "node:http";
import { Agent } from "node:https";
import type { Socket } from "node:net";
import {
  connect as tlsConnect,
  createSecureContext,
  type ConnectionOptions,
  type SecureContext,
  type TLSSocket,
} from "node:tls";

/** The header that names the world a request on a shared simulator server is for. */
export const WORLD_HEADER = "x-sim-world";

/** TLS options that shape a client's context: a request that sets one of them (other than our CA) gets its own. */
const contextOptions = [
  "cert",
  "key",
  "pfx",
  "passphrase",
  "ciphers",
  "ecdhCurve",
  "crl",
  "dhparam",
  "secureOptions",
  "secureProtocol",
  "sessionIdContext",
  "minVersion",
  "maxVersion",
  "sigalgs",
  "privateKeyEngine",
  "privateKeyIdentifier",
  "clientCertEngine",
  "honorCipherOrder",
  "ticketKeys",
  "secureContext",
] as const;

/** The last TLS session per CA and server name, offered by the next connection. */
const sessions = new Map<string, Buffer>();

export class SimAgent extends Agent {
  /** The client context that trusts the CA, built once: Node would parse the CA again for every connection. */
  private readonly trustCa: SecureContext;
  constructor(
    private readonly simPort: number,
    private readonly caPem: string,
    /** False while the world injects TLS faults: a resumed session would skip the certificate they present. */
    private readonly resumable: () => boolean,
  ) {
    super({ keepAlive: true, ca: caPem, maxSockets: 64 });
    this.trustCa = createSecureContext({ ca: caPem });
  }
  // The connection goes to the simulator; the TLS server name stays the real host, so
  // certificate verification against the per-run CA is done as for the real service.
  override createConnection(options: ConnectionOptions, cb?: (err: Error | null, s: Socket) => void): Socket {
    const servername = options.servername || (options.host as string | undefined) || "localhost";
    const opts = options as Record<string, unknown>;
    const plain = opts.ca === this.caPem && contextOptions.every((k) => opts[k] === undefined);
    const secureContext = plain ? this.trustCa : undefined;
    const key = `${servername}\n${this.caPem}`;
    const session = plain && this.resumable() ? sessions.get(key) : undefined;
    const socket = tlsConnect(
      {
        ...options,
        host: "127.0.0.1",
        port: this.simPort,
        servername,
        ...(secureContext ? { secureContext } : {}),
        ...(session ? { session } : {}),
      },
      cb as never,
    ) as TLSSocket;
    if (plain) socket.on("session", (s: Buffer) => sessions.set(key, s));
    return socket;
  }
}

/**
 * A world's agent on the shared simulator server: its requests travel on the connections every such world shares
 * (pooled by the shared agent), each marked with the world it is for. Connections outlive the world.
 */
export class WorldAgent extends Agent {
  constructor(
    private readonly shared: Agent,
    private readonly world: string,
  ) {
    super({ keepAlive: true });
  }
  // Called by the request's constructor, before its head is written: the mark goes in with the other headers.
  addRequest(req: ClientRequest, options: unknown): void {
    if (req.headersSent || (req as { _header?: unknown })._header) {
      throw new Error("simulator: a request whose head is already written cannot be routed to its world");
    }
    req.setHeader(WORLD_HEADER, this.world);
    (this.shared as unknown as { addRequest(r: ClientRequest, o: unknown): void }).addRequest(req, options);
  }
  // The connections belong to the shared agent: closing the world leaves them to the next one.
  override destroy(): void {}
}
