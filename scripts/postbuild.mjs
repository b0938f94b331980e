// After tsc: write the tool cards (dist/tools/manifest.json) the server answers tools/list from without importing
// any tool, then bundle the CLI (scripts/bundle.mjs). The bundle is what dist/cli.js — and so `bin` — runs: it
// starts faster (`npm run bench` prints both); tsc's entry stays runnable as dist/cli.tsc.js.
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dist = (path) => fileURLToPath(new URL(`../dist/${path}`, import.meta.url));

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { registryCards } = await import(new URL("../dist/tools/lazy.js", import.meta.url).href);
const cards = await registryCards();
writeFileSync(dist("tools/manifest.json"), `${JSON.stringify(cards)}\n`);

// tsc wrote dist/cli.js: keep it as dist/cli.tsc.js (a bundle already there is simply rebuilt).
const isBundle = (file) => readFileSync(file, "utf8").includes("__wiDoctorRequire");
if (existsSync(dist("cli.js")) && !isBundle(dist("cli.js"))) renameSync(dist("cli.js"), dist("cli.tsc.js"));

// Chunk names carry a content hash: drop the previous build's chunks.
rmSync(dist("chunks"), { recursive: true, force: true });
const { bundle } = await import("./bundle.mjs");
await bundle({ entry: fileURLToPath(new URL("../src/cli.ts", import.meta.url)), outdir: dist(""), cards });
for (const file of ["cli.js", "cli.tsc.js"]) if (existsSync(dist(file))) chmodSync(dist(file), 0o755);
