// Keep-alive HTTPS agents to Kubernetes API servers, shared by the whole process: one per API server origin, TLS
// material and use, each with its TLS context built once. The client-node calls (kube-model) and the raw reads of a
// capture (kube-raw) both take their agent here.
import { createSecureContext } from "node:tls";

/** The TLS options a kubeconfig gives a connection (the rest of what applyToHTTPSOptions sets is per request). */
export const TLS_KEYS = ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername"] as const;

const agents = new Map<string, unknown>();

/** The scheme, host and port of a server URL: a path prefix shares the connections of its origin. */
function originOf(server: string): string {
  try {
    return new URL(server).origin;
  } catch {
    return server;
  }
}

/**
 * The agent for requests to `server` with these TLS options, made by `make` on first use (with keepAlive and the
 * built TLS context added to the options). Two kubeconfig objects for the same cluster (a reloaded context, a server
 * path prefix) share it. `use` keeps apart agents made differently (e.g. with another connection limit).
 */
export function sharedKubeAgent<A>(
  use: string,
  server: string,
  options: Record<string, unknown>,
  make: (options: Record<string, unknown>) => A,
): A {
  // Buffers as their bytes in one string (JSON would spell out every byte as a number, for every request).
  const text = (v: unknown) => (Buffer.isBuffer(v) ? v.toString("latin1") : v);
  const key = JSON.stringify([use, originOf(server), ...TLS_KEYS.map((k) => text(options[k]))]);
  let agent = agents.get(key) as A | undefined;
  if (!agent) {
    const agentOptions: Record<string, unknown> = { ...options, keepAlive: true };
    // Node would otherwise parse the CA (and client key) again for every new connection. When they cannot be
    // parsed, the connection reports it as before.
    if (server.startsWith("https:")) {
      try {
        const tls = Object.fromEntries(TLS_KEYS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]));
        agentOptions.secureContext = createSecureContext(tls);
      } catch {
        /* left to tls.connect */
      }
    }
    agent = make(agentOptions);
    agents.set(key, agent);
  }
  return agent;
}
