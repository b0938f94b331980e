// A worker keeps helper modules between test files (vitest.config.ts: isolate: false), so what a helper keeps for
// "this test file" (open worlds, collected outputs) must be put back at each file's end: helpers register that here,
// and test/setup-file.ts runs it after every file.
type Cleanup = () => Promise<void> | void;

const cleanups = new Set<Cleanup>();

/** Run `fn` at the end of every test file (after the file's own afterAll hooks). */
export function atEachFileEnd(fn: Cleanup): void {
  cleanups.add(fn);
}

export async function endOfFile(): Promise<void> {
  for (const fn of cleanups) await fn();
}
