// After tsc: make the CLI entry executable (tsc does not keep file modes), and write the tool cards
// (dist/tools/manifest.json) that the server answers tools/list from without importing any tool.
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dist = (path) => fileURLToPath(new URL(`../dist/${path}`, import.meta.url));

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { registryCards } = await import(new URL("../dist/tools/lazy.js", import.meta.url).href);
writeFileSync(dist("tools/manifest.json"), `${JSON.stringify(await registryCards())}\n`);
if (existsSync(dist("cli.js"))) chmodSync(dist("cli.js"), 0o755);
