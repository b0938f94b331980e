#!/usr/bin/env node
// The `wi-doctor` binary: the command line (cli/main.ts) on the process's streams. With no command it runs the
// stdio MCP server; mcp, serve and sim keep the process alive, every other command ends it once its output is out.
import { runCli } from "./cli/main.js";
import { cliState } from "./cli/world.js";

// The AWS SDK warns about its own future Node support on every start; our pinned releases support Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** Exit once stdout and stderr are flushed: leftover SDK timers and keep-alive sockets must not hold the process. */
async function exitWhenWritten(): Promise<never> {
  const flush = (stream: NodeJS.WriteStream) => new Promise<void>((r) => stream.write("", () => r()));
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(process.exitCode ?? 0);
}

process.exitCode = await runCli(process.argv.slice(2));
if (!cliState.serving) await exitWhenWritten();
