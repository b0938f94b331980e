// `wi-doctor serve --http`: options → a running HTTP server that stops gracefully on SIGTERM/SIGINT.
import type { Environment } from "../providers/environment.js";
import { type Authenticator, kubernetesAuthenticator, tokenFileAuthenticator } from "./auth.js";
import { parseSelf, readinessProbe } from "./ready.js";
import { isLoopback, type RunningHttpServer, startHttpServer } from "./server.js";

export interface ServeOptions {
  http?: boolean;
  host: string;
  port: number;
  tokenFile?: string;
  auth?: string;
  allowedHost?: string[];
  allowedOrigin?: string[];
  self?: string;
  /** `--toolsets aks,eks,podid,explain` (default all). */
  toolsets?: string;
}

export async function serveHttp(
  opts: ServeOptions,
  openEnv: () => Promise<{ env: Environment; close?: () => Promise<void> }>,
): Promise<RunningHttpServer> {
  if (!opts.http) throw new Error("serve: pass --http (the stdio server is `wi-doctor mcp`)");
  if (opts.tokenFile && opts.auth) throw new Error("serve: choose one of --token-file and --auth kubernetes");
  if (opts.auth && opts.auth !== "kubernetes") {
    throw new Error(`--auth: expected "kubernetes", got ${JSON.stringify(opts.auth)}`);
  }
  if (!isLoopback(opts.host) && !opts.tokenFile && !opts.auth) {
    throw new Error(
      `refusing to listen on ${opts.host} without authentication: pass --token-file FILE or --auth kubernetes (or listen on 127.0.0.1)`,
    );
  }
  const { parseToolsets, selectTools } = await import("../tools/toolsets.js");
  const { allTools } = await import("../tools/index.js");
  const tools = selectTools(allTools, parseToolsets(opts.toolsets));
  const self = parseSelf(opts.self ?? selfFromEnvironment());
  let world: Promise<{ env: Environment; close?: () => Promise<void> }> | undefined;
  const environment = async () => {
    world ??= openEnv();
    return (await world).env;
  };
  let authenticator: Authenticator | undefined;
  if (opts.tokenFile) authenticator = tokenFileAuthenticator(opts.tokenFile);
  if (opts.auth === "kubernetes") {
    const env = await environment();
    if (!env.kubeconfig)
      throw new Error(`--auth kubernetes needs a cluster: ${env.kubeconfigProblem ?? "no kubeconfig"}`);
    authenticator = kubernetesAuthenticator({ kubeconfig: env.kubeconfig, timeoutMs: env.timeoutMs });
  }
  const running = await startHttpServer({
    host: opts.host,
    port: opts.port,
    environment,
    authenticator,
    allowedHosts: opts.allowedHost,
    allowedOrigins: opts.allowedOrigin,
    readiness: readinessProbe(environment, self),
    tools,
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: "info", msg: "shutting down" })}\n`,
    );
    await running.close();
    if (world) await (await world).close?.().catch(() => undefined);
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  const mode = opts.tokenFile ? "token-file" : opts.auth ? "kubernetes" : "none (loopback)";
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: "info", msg: "listening", url: running.url, auth: mode })}\n`,
  );
  return running;
}

/** In the cluster the Deployment passes its own namespace and service account by the downward API. */
function selfFromEnvironment(): string | undefined {
  const ns = process.env.WI_DOCTOR_NAMESPACE;
  const sa = process.env.WI_DOCTOR_SERVICE_ACCOUNT;
  return ns && sa ? `${ns}/${sa}` : undefined;
}
