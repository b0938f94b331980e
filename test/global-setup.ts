// The end-to-end tests spawn dist/cli.js: build it once if it is missing or older than the sources.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Where the last run's wall time is kept for `npm run bench` (which does not run the suite itself). */
export const LAST_RUN_FILE = "node_modules/.cache/wi-doctor/last-test-run.json";

export default function setup() {
  const started = Date.now();
  const cli = "dist/cli.js";
  if (!existsSync(cli) || statSync(cli).mtimeMs < newest("src")) {
    execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], { stdio: "inherit" });
    execFileSync(process.execPath, ["scripts/postbuild.mjs"], { stdio: "inherit" });
  }
  return () => {
    // Arguments after "run" that are not options are file filters: such a run is not the whole suite.
    const filters = process.argv.slice(2).filter((a) => a !== "run" && !a.startsWith("-"));
    mkdirSync("node_modules/.cache/wi-doctor", { recursive: true });
    writeFileSync(
      LAST_RUN_FILE,
      JSON.stringify({ wallMs: Date.now() - started, at: new Date(started).toISOString(), whole: !filters.length }),
    );
  };
}
