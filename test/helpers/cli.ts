// The command line run inside the test worker (src/cli/main.ts runCli): the same program, parsing, output and exit
// codes as the built binary, without starting a process per command (a spawn costs seconds of CPU loading modules
// that the worker already holds). Tests that need the process itself (exit, env, signals) still spawn dist/cli.js.
import { Readable, Writable } from "node:stream";
import { runCli } from "../../src/cli/main.js";

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** A non-terminal output stream that keeps what is written, as it is written. */
function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

/** A pipe delivers at most 64 KB at a time: stdin comes in such chunks, each read when the last one is taken. */
function* chunksOf(input: Buffer): Generator<Buffer> {
  for (let at = 0; at < input.length; at += 65_536) yield input.subarray(at, at + 65_536);
}

/** Run `wi-doctor <args>` in this process: stdin is `input` (or empty), stdout and stderr are collected. */
export async function runCliInProcess(args: string[], opts: { input?: string } = {}): Promise<CliResult> {
  const stdout = collector();
  const stderr = collector();
  const stdin = Readable.from(chunksOf(Buffer.from(opts.input ?? "")));
  const code = await runCli(args, { stdin, stdout: stdout.stream, stderr: stderr.stream });
  return { code, out: stdout.text(), err: stderr.text() };
}
