// `wi-doctor explain`: explain a pasted error message, optionally cross-checked against the cluster and cloud.
import type { Command } from "commander";
import { readStdin, runTool } from "./run-tool.js";
import { addWorldOptions, lazy, openWorld, type WorldOptions } from "./world.js";

export function addExplainCommand(program: Command): void {
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
        const { explainErrorTool } = await import("../tools/explain_error.js");
        const { text: out } = await runTool(explainErrorTool, input, env, Boolean(opts.json));
        process.stdout.write(`${out}\n`);
      } finally {
        await world?.session?.close();
      }
    },
  );
}
