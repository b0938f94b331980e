import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "./package-root.js";

/** The package version, read from package.json next to dist/ or src/. */
export const VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(join(packageRoot(import.meta.url), "package.json"), "utf8")).version as string;
  } catch {
    return "0.0.0";
  }
})();
