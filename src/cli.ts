#!/usr/bin/env node
// The command line: the stdio MCP server (default), and the same tools as subcommands (one module each in cli/).
import { Command, CommanderError } from "commander";
import { addCaptureCommand } from "./cli/capture.js";
import { addDemoCommand } from "./cli/demo.js";
import { addAuditCommand, addDiagnoseCommand } from "./cli/diagnose.js";
import { addExplainCommand } from "./cli/explain.js";
import { addFixCommand } from "./cli/fix.js";
import { addMcpCommand, addServeCommand } from "./cli/servers.js";
import { addSimCommand } from "./cli/sim.js";
import { cliState, log, UsageError } from "./cli/world.js";
import { VERSION } from "./version.js";

// The AWS SDK warns about its own future Node support on every start; our pinned releases support Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

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

  // Commands in the order `--help` lists them.
  addMcpCommand(program);
  addAuditCommand(program);
  addServeCommand(program);
  addDiagnoseCommand(program);
  addExplainCommand(program);
  addDemoCommand(program);
  addSimCommand(program);
  addCaptureCommand(program);
  addFixCommand(program);
  return program;
}

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
if (!cliState.serving) await exitWhenWritten();
