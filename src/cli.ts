#!/usr/bin/env node
// The command line: the stdio MCP server (default), and the same tools as subcommands.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { Environment } from "./providers/environment.js";
import type { SimSession } from "./sim/environment.js";
import type { Scenario } from "./sim/scenario.js";
import type { ToolContext, ToolDefinition } from "./tools/define.js";
import { addCaptureCommand } from "./cli/capture.js";
import { addSimCommand } from "./cli/sim.js";
import { addFixCommand } from "./cli/fix.js";
import { VERSION } from "./version.js";

// The cloud SDKs take a second or two to load: load them when a command needs them, so --help stays instant.
const lazy = {
  server: () => import("./server.js"),
  stdio: () => import("./transport.js"),
  live: () => import("./providers/live.js"),
  sim: () => import("./sim/environment.js"),
  scenarios: () => import("./sim/scenario.js"),
  tools: () => import("./tools/index.js"),
  demo: () => import("./demo.js"),
};

/** Options every face shares. */
interface WorldOptions {
  scenario?: string;
  simLatency?: number;
  context?: string;
  kubeconfig?: string;
  cloud?: string;
  subscription?: string[];
  region?: string;
  profile?: string;
  exchange?: boolean;
  timeout?: number;
  allowPrivateIssuer?: boolean;
}

const log = (msg: string) => process.stderr.write(`${msg}\n`);

// The AWS SDK warns about its own future Node support on every start; our pinned releases support Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** The longest delay a Node.js timer can hold; longer ones fire after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function intArg(name: string, min = 0) {
  return (value: string) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > MAX_TIMER_MS) {
      throw new InvalidArgumentError(
        `${name} must be a whole number of milliseconds from ${min} to ${MAX_TIMER_MS}, got ${JSON.stringify(value.slice(0, 40))}`,
      );
    }
    return n;
  };
}

function addWorldOptions(cmd: Command): Command {
  return cmd
    .option(
      "--scenario <file-or-name>",
      "use the simulated world described by a scenario file (or a bundled scenario name)",
    )
    .option("--sim-latency <ms>", "add latency to every simulated request", intArg("--sim-latency"))
    .option("--context <name>", "kube context to use (default: the current context)")
    .option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    .addOption(
      new Option("--cloud <name>", "Azure cloud").choices(["AzurePublicCloud", "AzureUSGovernment", "AzureChinaCloud"]),
    )
    .option("--subscription <id...>", "Azure subscription(s) to search (default: all visible)")
    .option("--region <region>", "AWS region")
    .option("--profile <name>", "AWS profile")
    .option("--no-exchange", "never call a token endpoint (disables test_token_exchange)")
    .option("--timeout <ms>", "per-request timeout", intArg("--timeout", 1))
    .option(
      "--allow-private-issuer",
      "fetch issuer documents from loopback, link-local and private addresses (a cluster-internal issuer)",
    );
}

/** Build the environment: the simulated world when a scenario is given, else the live one. */
async function openWorld(
  opts: WorldOptions,
  needs: { kubeContext?: boolean } = {},
): Promise<{ env: Environment; scenario?: Scenario; session?: SimSession }> {
  if (opts.scenario) {
    const { loadScenario } = await lazy.scenarios();
    const { startSimSession } = await lazy.sim();
    const scenario = loadScenario(opts.scenario);
    const session = await startSimSession(scenario, {
      latencyMs: opts.simLatency,
      timeoutMs: opts.timeout,
      allowExchange: opts.exchange !== false,
    });
    return { env: session.env, scenario, session };
  }
  const { createLiveEnvironment } = await lazy.live();
  const env = await createLiveEnvironment({
    context: opts.context,
    kubeconfigPath: opts.kubeconfig,
    cloud: opts.cloud,
    subscriptionIds: opts.subscription,
    awsRegion: opts.region,
    awsProfile: opts.profile,
    timeoutMs: opts.timeout,
    allowExchange: opts.exchange !== false,
    allowPrivateIssuer: opts.allowPrivateIssuer,
  });
  // Every diagnosis starts from the cluster: without a kube context say so once, instead of a report of skips.
  if (needs.kubeContext && !env.kubeconfig)
    throw new UsageError(
      env.kubeconfigProblem ?? "no kube context found; set KUBECONFIG or pass --kubeconfig FILE and --context NAME",
    );
  return { env };
}

export async function findTool(name: string): Promise<ToolDefinition> {
  const { allTools } = await lazy.tools();
  const tool = allTools.find((t) => t.name === name);
  if (!tool) throw new Error(`internal: tool ${name} is not registered`);
  return tool;
}

/** Run one tool as the CLI face: same input schema, same output object, text or --json. */
export async function runTool(
  tool: ToolDefinition,
  input: unknown,
  env: Environment | (() => Promise<Environment>),
  json: boolean,
): Promise<{ output: Record<string, unknown>; text: string }> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  const ctx: ToolContext = {
    env: typeof env === "function" ? env : async () => env,
    signal: controller.signal,
    progress: async (message) => {
      if (!json && process.stderr.isTTY) log(`… ${message}`);
    },
  };
  try {
    const parsed = tool.inputSchema.safeParse(input);
    if (!parsed.success) {
      throw new UsageError(parsed.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; "));
    }
    const output = (await tool.handler(parsed.data, ctx)) as Record<string, unknown>;
    return { output, text: json ? JSON.stringify(output, null, 2) : tool.render(output) };
  } finally {
    process.off("SIGINT", onSignal);
  }
}

export class UsageError extends Error {}

function exitCodeFor(output: Record<string, unknown>): number {
  const verdict = output.verdict;
  if (verdict === "healthy") return 0;
  if (verdict === "broken") return 1;
  if (verdict === "inconclusive") return 2;
  return 0;
}

/** Bytes read from stdin at most; the tools keep the end of a longer text (where the error usually is). */
const MAX_STDIN_BYTES = 16 * 1024 * 1024;

/**
 * All of stdin, read as a stream: a synchronous read of a non-blocking pipe stops at the first EAGAIN and loses
 * the rest. Beyond MAX_STDIN_BYTES only the last bytes are kept.
 */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(b);
    size += b.length;
    while (size - chunks[0].length > MAX_STDIN_BYTES) size -= (chunks.shift() as Buffer).length;
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("wi-doctor")
    .description(
      "Diagnose and fix Kubernetes workload identity (AKS workload identity, aad-pod-identity, EKS IRSA and Pod Identity).\nWith no command, runs the MCP server over stdio.",
    )
    .version(VERSION, "-v, --version")
    .showHelpAfterError()
    // Usage errors exit 2 ("bad input"), never 1, which means "broken"; subcommands inherit this.
    .exitOverride();

  const mcp = addWorldOptions(
    program
      .command("mcp", { isDefault: true })
      .description("run the MCP server over stdio (the default)")
      .option("--allow-writes", "register the tools that change the cluster or cloud (each still dry-runs first)")
      .option("--audit-log <file>", "append every write's audit line (JSON) to this file too"),
  );
  mcp.action(async (opts: WorldOptions & { allowWrites?: boolean; auditLog?: string }) => {
    if (opts.auditLog) (await import("./remediation/audit.js")).setAuditLog(opts.auditLog);
    let session: SimSession | undefined;
    const { createServer } = await lazy.server();
    const { LimitedStdioServerTransport } = await lazy.stdio();
    const server = createServer({
      allowWrites: opts.allowWrites,
      environment: async () => {
        const world = await openWorld(opts);
        session = world.session;
        return world.env;
      },
    });
    const transport = new LimitedStdioServerTransport();
    const shutdown = async () => {
      await server.close().catch(() => undefined);
      await session?.close().catch(() => undefined);
      process.exit(0);
    };
    process.stdin.on("end", shutdown);
    process.on("SIGTERM", shutdown);
    await server.connect(transport);
    serving = true;
    log(`wi-doctor ${VERSION}: MCP server on stdio${opts.scenario ? ` (simulated world: ${opts.scenario})` : ""}`);
  });

  const audit = addWorldOptions(
    program
      .command("audit")
      .description("audit every workload identity in a cluster; exit 0 healthy, 1 broken, 2 inconclusive or bad input")
      .option("-n, --namespace <ns>", "audit only this namespace")
      .option("-A, --all-namespaces", "audit every namespace (the default)")
      .option("--cursor <n>", "start at this workload (nextCursor of the previous page)")
      .option("--page-size <n>", "workloads per page", intArg("--page-size"))
      .option("--json", "print the audit as JSON"),
  );
  audit.action(async (opts: WorldOptions & import("./audit/command.js").AuditCommandOptions) => {
    const { runAudit } = await import("./audit/command.js");
    process.exitCode = await runAudit(opts, async (context) => {
      const world = await openWorld({ ...opts, context });
      return { env: world.env, close: world.session ? () => world.session!.close() : undefined };
    });
  });
  // On this command --context may be repeated, one per cluster.
  audit.options
    .find((o) => o.long === "--context")
    ?.argParser((value: string, previous: unknown) => [...(Array.isArray(previous) ? previous : []), value]);

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
      .option("--self <namespace/serviceaccount>", "own service account, diagnosed by /readyz"),
  );
  serve.action(async (opts: WorldOptions & import("./http/serve.js").ServeOptions) => {
    const { serveHttp } = await import("./http/serve.js");
    await serveHttp(opts, async () => {
      const world = await openWorld(opts);
      return { env: world.env, close: world.session ? () => world.session!.close() : undefined };
    });
  });

  const diagnose = addWorldOptions(
    program
      .command("diagnose")
      .description("diagnose a service account, pod or workload; exit 0 healthy, 1 broken, 2 inconclusive or bad input")
      .option("-n, --namespace <ns>", "namespace")
      .option("--service-account <name>", "service account")
      .option("--pod <name>", "pod")
      .option("--workload <kind/name>", "workload, e.g. deployment/payments-api")
      .option("--error-text <text>", "an error message the workload printed (use - to read stdin)")
      .option("--json", "print the report as JSON"),
  );
  diagnose.action(async (opts: WorldOptions & Record<string, string | boolean | undefined>) => {
    const world = await openWorld(opts, { kubeContext: true });
    try {
      const target = world.scenario?.target;
      const hasTargetFlags = opts.namespace || opts.serviceAccount || opts.pod || opts.workload;
      const errorText = opts.errorText === "-" ? await readStdin() : (opts.errorText as string | undefined);
      const input = hasTargetFlags
        ? {
            namespace: opts.namespace,
            serviceAccount: opts.serviceAccount,
            pod: opts.pod,
            workload: opts.workload,
            errorText,
          }
        : target
          ? { ...target, errorText: errorText ?? target.errorText }
          : {};
      if (!input.namespace) throw new UsageError("--namespace is required (or a --scenario whose target names one)");
      const { output, text } = await runTool(
        await findTool("diagnose_workload_identity"),
        input,
        world.env,
        Boolean(opts.json),
      );
      process.stdout.write(`${text}\n`);
      process.exitCode = exitCodeFor(output);
    } finally {
      await world.session?.close();
    }
  });

  const explain = addWorldOptions(
    program
      .command("explain")
      .description("explain a workload-identity error message (reads stdin when TEXT is - or absent)")
      .argument("[text]", "the error text, or - for stdin")
      .option("-n, --namespace <ns>", "namespace to cross-check against the cluster")
      .option("--service-account <name>", "service account to cross-check")
      .option("--cross-check", "read the cluster and cloud to confirm the cause (needs access, or --scenario)")
      .option("--json", "print the result as JSON"),
  );
  explain.action(
    async (text: string | undefined, opts: WorldOptions & Record<string, string | boolean | undefined>) => {
      const errorText = text === undefined || text === "-" ? await readStdin() : text;
      const crossCheck = Boolean(opts.crossCheck || opts.scenario);
      const world = crossCheck ? await openWorld(opts, { kubeContext: true }) : undefined;
      try {
        // Without a cross-check the tool reads nothing: the live environment (and its SDKs) is made only on demand.
        const env =
          world?.env ??
          (async () => (await lazy.live()).createLiveEnvironment({ context: opts.context, allowExchange: false }));
        const input = {
          text: errorText,
          namespace: opts.namespace,
          serviceAccount: opts.serviceAccount,
          crossCheck,
        };
        // Only the explain tool's modules: this command must start about as fast as node itself.
        const { explainErrorTool } = await import("./tools/explain_error.js");
        const { text: out } = await runTool(explainErrorTool, input, env, Boolean(opts.json));
        process.stdout.write(`${out}\n`);
      } finally {
        await world?.session?.close();
      }
    },
  );

  program
    .command("demo")
    .description("diagnose a bundled simulated world (no cloud account needed)")
    .argument("[name]", "bundled scenario name", "aks-fic-subject-namespace-typo")
    .option("--list", "list the bundled scenarios")
    .option("--sim-latency <ms>", "add latency to every simulated request", intArg("--sim-latency"))
    .option("--json", "print the report as JSON")
    .action(async (name: string, opts: { list?: boolean; json?: boolean; simLatency?: number }) => {
      const { listBundledScenarios, loadScenario } = await lazy.scenarios();
      if (opts.list) {
        for (const s of listBundledScenarios()) {
          const sc = loadScenario(s.file);
          process.stdout.write(`${s.name.padEnd(48)} ${sc.description.split("\n")[0].slice(0, 100)}\n`);
        }
        return;
      }
      const { runDemo } = await lazy.demo();
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once("SIGINT", onSignal);
      try {
        // A demo that ran is a success whatever the simulated verdict; `diagnose` reports verdicts in its exit code.
        const run = await runDemo(name, { json: opts.json, simLatency: opts.simLatency, signal: controller.signal });
        if (!opts.json) {
          process.stdout.write(`Simulated world: ${run.scenario.name}\n${run.scenario.description.trim()}\n\n`);
        }
        process.stdout.write(`${run.text}\n`);
      } finally {
        process.off("SIGINT", onSignal);
      }
    });

  addSimCommand(program);
  addCaptureCommand(program);
  addFixCommand(program);
  return program;
}

/** Set while the MCP server runs: the process then lives until stdin ends. */
let serving = false;

/** Exit once stdout and stderr are flushed: leftover SDK timers and keep-alive sockets must not hold the process. */
async function exitWhenWritten(): Promise<never> {
  const flush = (stream: NodeJS.WriteStream) => new Promise<void>((r) => stream.write("", () => r()));
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(process.exitCode ?? 0);
}

async function main() {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; every other commander error is a usage error (it printed the message).
      const ok = ["commander.helpDisplayed", "commander.version", "commander.help"].includes(err.code);
      process.exitCode = ok ? 0 : 2;
      return;
    }
    if (err instanceof UsageError || (err as Error)?.name === "ScenarioError") {
      log(`wi-doctor: ${(err as Error).message}`);
      process.exitCode = 2;
      return;
    }
    log(`wi-doctor: ${(err as Error).message ?? String(err)}`);
    process.exitCode = 2;
  }
}

await main();
if (!serving) await exitWhenWritten();
