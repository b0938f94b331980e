// The command line as a function: build the program, run one command line with the given streams, return its exit
// code. The `wi-doctor` binary (cli.ts) runs it with the process's streams; it never exits the process itself.
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { addCaptureCommand } from "./capture.js";
import { addDemoCommand } from "./demo.js";
import { addAuditCommand, addDiagnoseCommand } from "./diagnose.js";
import { addExplainCommand } from "./explain.js";
import { addFixCommand } from "./fix.js";
import { type CliIo, type CliStreams, cliIo, processStreams, withCliIo } from "./io.js";
import { addMcpCommand, addServeCommand } from "./servers.js";
import { addSimCommand } from "./sim.js";
import { log } from "./world.js";

/** A terminal's width, else commander's default of 80 columns. */
const helpWidth = (s: { isTTY?: boolean; columns?: number }) => (s.isTTY && s.columns) || 80;

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("wi-doctor")
    .description(
      "Diagnose and fix Kubernetes workload identity (AKS workload identity, aad-pod-identity, EKS IRSA and Pod Identity).\nWith no command, runs the MCP server over stdio.",
    )
    // Help, version and usage errors go to the run's streams. Set before any subcommand is added: each one copies
    // its parent's output settings when it is created.
    .configureOutput({
      writeOut: (s) => cliIo().stdout.write(s),
      writeErr: (s) => cliIo().stderr.write(s),
      outputError: (s, write) => write(s),
      getOutHelpWidth: () => helpWidth(cliIo().stdout),
      getErrHelpWidth: () => helpWidth(cliIo().stderr),
    })
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

/**
 * Run one command line (the arguments after the program name) with these streams; resolves with the exit code:
 * 0 success (help and version included), 1 broken, 2 inconclusive or bad input.
 */
export async function runCli(argv: string[], streams: CliStreams = processStreams()): Promise<number> {
  const io: CliIo = { ...streams, exitCode: undefined };
  return withCliIo(io, async () => {
    try {
      await buildProgram().parseAsync(argv, { from: "user" });
      return io.exitCode ?? 0;
    } catch (err) {
      if (err instanceof CommanderError) {
        // Help and version are successes; every other commander error is a usage error (it printed the message).
        return ["commander.helpDisplayed", "commander.version", "commander.help"].includes(err.code) ? 0 : 2;
      }
      // A UsageError or ScenarioError is bad input; any other failure is reported the same way, one line, exit 2.
      log(`wi-doctor: ${(err as Error)?.message ?? String(err)}`);
      return 2;
    }
  });
}
