// What every command shares: the world options (a scenario or the live cluster and clouds), building the
// environment from them, lazy module loading and the usage error.
import { type Command, InvalidArgumentError, Option } from "commander";
import type { Environment } from "../providers/environment.js";
import type { SimSession } from "../sim/environment.js";
import type { Scenario } from "../sim/scenario.js";
import { cliIo } from "./io.js";

// The cloud SDKs take a second or two to load: load them when a command needs them, so --help stays instant.
export const lazy = {
  server: () => import("../mcp-server.js"),
  stdio: () => import("../transport.js"),
  live: () => import("../providers/live.js"),
  sim: () => import("../sim/environment.js"),
  scenarios: () => import("../sim/scenario.js"),
  tools: () => import("../tools/index.js"),
  demo: () => import("../demo.js"),
};

/** Options every face shares. */
export interface WorldOptions {
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

export const log = (msg: string) => cliIo().stderr.write(`${msg}\n`);

/** A usage error: exit 2 ("bad input") with the message, never 1 ("broken"). */
export class UsageError extends Error {}

/** Set while the MCP server runs: the process then lives until stdin ends. */
export const cliState = { serving: false };

/** The longest delay a Node.js timer can hold; longer ones fire after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function intArg(name: string, min = 0) {
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

export function addWorldOptions(cmd: Command): Command {
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
export async function openWorld(
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
