// The streams of one command-line run: the process's own for the `wi-doctor` binary, or any given to runCli (which
// runs a command inside another process, e.g. a test). Scoped with AsyncLocalStorage, so two runs at once each
// write to their own streams; outside a run they are the process's streams and exit code.
import { AsyncLocalStorage } from "node:async_hooks";

type Tty = { isTTY?: boolean; columns?: number };

/** The streams a run reads and writes. */
export interface CliStreams {
  stdout: NodeJS.WritableStream & Tty;
  stderr: NodeJS.WritableStream & Tty;
  stdin: NodeJS.ReadableStream & Tty;
}

/** One run: its streams and the exit code its command chose (unset: 0). */
export interface CliIo extends CliStreams {
  exitCode: number | undefined;
}

const runs = new AsyncLocalStorage<CliIo>();

export const processStreams = (): CliStreams => ({
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
});

/** Outside a run: the process's streams; its exit code is process.exitCode. */
const processIo: CliIo = {
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
  get stdin() {
    return process.stdin;
  },
  get exitCode() {
    const code = process.exitCode;
    return code === undefined || code === null ? undefined : Number(code);
  },
  set exitCode(code: number | undefined) {
    process.exitCode = code;
  },
};

/** The binary's run, on the process's own streams: it needs no scoping (see withCliIo). */
let processRun: CliIo | undefined;
/** Runs in progress in the AsyncLocalStorage: it is switched off when none is. */
let scoped = 0;

/** The I/O of the run in progress (the process's when none is). */
export function cliIo(): CliIo {
  return runs.getStore() ?? processRun ?? processIo;
}

const onProcessStreams = (io: CliStreams) =>
  io.stdout === process.stdout && io.stderr === process.stderr && io.stdin === process.stdin;

/**
 * Run fn with io as the I/O of everything it calls, awaits or schedules. On Node 20 an enabled AsyncLocalStorage
 * hooks every promise the process creates (a diagnosis costs a fifth more CPU, a start a few ms), so it is used only
 * while a run on other streams is going: a run on the process's own streams with none other going (the binary's)
 * is simply the current one, and a server a run started (mcp) serves without it, on the streams it was given.
 */
export async function withCliIo<T>(io: CliIo, fn: () => Promise<T>): Promise<T> {
  if (!processRun && scoped === 0 && onProcessStreams(io)) {
    processRun = io;
    try {
      return await fn();
    } finally {
      processRun = undefined;
    }
  }
  scoped++;
  try {
    return await runs.run(io, fn);
  } finally {
    if (--scoped === 0) runs.disable();
  }
}
