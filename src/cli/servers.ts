// `wi-doctor mcp` (the default: the MCP server over stdio) and `wi-doctor serve --http` (Streamable HTTP).
import type { Command } from "commander";
import type { ServeOptions } from "../http/serve.js";
import type { SimSession } from "../sim/environment.js";
import { VERSION } from "../version.js";
import { cliIo } from "./io.js";
import { addWorldOptions, cliState, intArg, lazy, log, openWorld, type WorldOptions } from "./world.js";

const TOOLSETS_FLAG = "--toolsets <list>";
const TOOLSETS_HELP = "tools to list, comma-separated: aks, eks, podid (aad-pod-identity), explain (default: all)";

export function addMcpCommand(program: Command): void {
  const mcp = addWorldOptions(
    program
      .command("mcp", { isDefault: true })
      .description("run the MCP server over stdio (the default)")
      .option("--allow-writes", "register the tools that change the cluster or cloud (each still dry-runs first)")
      .option("--audit-log <file>", "append every write's audit line (JSON) to this file too")
      .option(TOOLSETS_FLAG, TOOLSETS_HELP),
  );
  mcp.action(async (opts: WorldOptions & { allowWrites?: boolean; auditLog?: string; toolsets?: string }) => {
    if (opts.auditLog) (await import("../remediation/audit.js")).setAuditLog(opts.auditLog);
    let session: SimSession | undefined;
    const { parseToolsets } = await import("../tools/toolsets.js");
    const toolsets = parseToolsets(opts.toolsets);
    const { createMcpServer } = await lazy.server();
    const { lazyToolSource } = await import("../tools/lazy.js");
    const { LimitedStdioServerTransport } = await lazy.stdio();
    const server = createMcpServer({
      // Listed from the cards built with the package; each tool's module is imported on its first call.
      source: lazyToolSource({ allowWrites: opts.allowWrites, toolsets }),
      environment: async () => {
        const world = await openWorld(opts);
        session = world.session;
        return world.env;
      },
    });
    const io = cliIo();
    const transport = new LimitedStdioServerTransport(io.stdin, io.stdout);
    const close = async () => {
      await server.close().catch(() => undefined);
      await session?.close().catch(() => undefined);
    };
    const onTerm = async () => {
      await close();
      process.exit(0);
    };
    // The binary ends with its stdin; a server on other streams (runCli inside another program) only closes.
    io.stdin.on("end", async () => {
      process.off("SIGTERM", onTerm);
      await close();
      if (io.stdin === process.stdin) process.exit(0);
    });
    process.on("SIGTERM", onTerm);
    await server.connect(transport);
    cliState.serving = true;
    log(`wi-doctor ${VERSION}: MCP server on stdio${opts.scenario ? ` (simulated world: ${opts.scenario})` : ""}`);
  });
}

export function addServeCommand(program: Command): void {
  const serve = addWorldOptions(
    program
      .command("serve")
      .description("run the MCP server over Streamable HTTP at /mcp, with /healthz and /readyz")
      .option("--http", "serve Streamable HTTP (stateless)")
      .option("--host <address>", "address to listen on", "127.0.0.1")
      .option("--port <port>", "port to listen on", intArg("--port"), 3000)
      .option("--token-file <file>", "require this static bearer token")
      .option("--auth <mode>", "kubernetes: check bearer tokens with TokenReview, each call with SubjectAccessReview")
      .option("--allowed-host <host...>", "Host header values to accept besides loopback names")
      .option("--allowed-origin <origin...>", "browser origins allowed to call")
      .option("--self <namespace/serviceaccount>", "own service account, diagnosed by /readyz")
      .option(TOOLSETS_FLAG, TOOLSETS_HELP),
  );
  serve.action(async (opts: WorldOptions & ServeOptions) => {
    const { serveHttp } = await import("../http/serve.js");
    await serveHttp(opts, async () => {
      const world = await openWorld(opts);
      return { env: world.env, close: world.session ? () => world.session!.close() : undefined };
    });
    // The HTTP server runs until SIGTERM or SIGINT (its own graceful shutdown exits the process).
    cliState.serving = true;
  });
}
