// The package's own folder (package.json, skills/, scenarios/), found from any of its modules: the compiled layout
// (dist/**, src/** under vitest) and the bundled one (dist/cli.js, dist/chunks/*) put a module at different depths.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const found = new Map<string, string>();

/** The nearest folder above the module that holds a package.json. */
export function packageRoot(moduleUrl: string): string {
  const start = dirname(fileURLToPath(moduleUrl));
  let root = found.get(start);
  if (root === undefined) {
    root = start;
    for (let dir = start; ; dir = dirname(dir)) {
      if (existsSync(join(dir, "package.json"))) {
        root = dir;
        break;
      }
      if (dirname(dir) === dir) break;
    }
    found.set(start, root);
  }
  return root;
}
