// `wi-doctor demo`: diagnose a bundled simulated world (no cloud account needed).
import type { Command } from "commander";
import { cliIo } from "./io.js";
import { intArg, lazy } from "./world.js";

export function addDemoCommand(program: Command): void {
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
          cliIo().stdout.write(`${s.name.padEnd(48)} ${sc.description.split("\n")[0].slice(0, 100)}\n`);
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
          cliIo().stdout.write(`Simulated world: ${run.scenario.name}\n${run.scenario.description.trim()}\n\n`);
        }
        cliIo().stdout.write(`${run.text}\n`);
      } finally {
        process.off("SIGINT", onSignal);
      }
    });
}
