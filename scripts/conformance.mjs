#!/usr/bin/env node
// The MCP conformance suite (@modelcontextprotocol/conformance, which needs Node 22: it runs from npm's `node`
// package) against `wi-doctor serve --http` on a bundled simulated world.
//
// The scenarios' recorded results live in docs/conformance.md (its table is the record). CI fails only on a
// regression: a scenario recorded as passing that now warns or fails, or one recorded as warning that now fails.
// A scenario doing better than recorded is reported, not fatal; `--update` rewrites the table from this run.
//
// Usage: node scripts/conformance.mjs [--update] [--cli dist/cli.js]     (needs `npm run build` first and the npm registry)
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SUITE = "@modelcontextprotocol/conformance@0.1.16";
const NODE = "node@22";
const WORLD = "aks-healthy";
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RECORD = join(ROOT, "docs", "conformance.md");
const RANK = { pass: 2, warn: 1, fail: 0 };

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function waitHealthy(url, child, limitMs) {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`wi-doctor serve exited with ${child.exitCode} before it was healthy`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`wi-doctor serve was not healthy at ${url} within ${limitMs / 1000} s`);
}

/**
 * The suite and Node 22 from the npm registry, installed once into node_modules/.cache (outside the project's
 * dependencies: the project itself runs on Node 20, so engine checks are relaxed for this install only).
 */
function installSuite() {
  const prefix = join(ROOT, "node_modules", ".cache", "wi-doctor", "conformance");
  const node = join(prefix, "node_modules", "node", "bin", "node");
  const bin = join(prefix, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
  const stamp = join(prefix, "installed.txt");
  if (existsSync(node) && existsSync(bin) && existsSync(stamp) && readFileSync(stamp, "utf8") === `${NODE} ${SUITE}`)
    return { node, bin };
  mkdirSync(prefix, { recursive: true });
  writeFileSync(join(prefix, "package.json"), '{"private":true}\n');
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(
    npm,
    ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", "--engine-strict=false", NODE, SUITE],
    { encoding: "utf8", timeout: 600_000 },
  );
  if (r.status !== 0 || !existsSync(node) || !existsSync(bin))
    throw new Error(`could not install ${NODE} and ${SUITE} from the npm registry:\n${(r.stderr ?? "").slice(-2000)}`);
  writeFileSync(stamp, `${NODE} ${SUITE}`);
  return { node, bin };
}

/** The recorded status of each scenario: the rows `| \`name\` | pass |` of docs/conformance.md. */
export function readRecord(text) {
  const rec = new Map();
  for (const m of text.matchAll(/^\| `([^`]+)` \| (pass|warn|fail) \|/gm)) rec.set(m[1], m[2]);
  return rec;
}

/** One status per scenario from the suite's result folders (server-<scenario>-<timestamp>/checks.json). */
function readResults(dir) {
  const results = new Map();
  for (const name of readdirSync(dir).sort()) {
    const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(name);
    const file = join(dir, name, "checks.json");
    if (!m || !existsSync(file)) continue;
    const checks = JSON.parse(readFileSync(file, "utf8"));
    const failed = checks.filter((c) => c.status === "FAILURE");
    const warned = checks.filter((c) => c.status === "WARNING");
    const status = failed.length ? "fail" : warned.length ? "warn" : "pass";
    const why = [...failed, ...warned].map((c) => c.errorMessage ?? c.details?.message ?? c.description).join("; ");
    results.set(m[1], { status, why });
  }
  return results;
}

function renderRecord(results) {
  const rows = [...results].map(
    ([name, r]) => `| \`${name}\` | ${r.status} | ${r.why.replace(/\|/g, "\\|").slice(0, 160)} |`,
  );
  const count = (s) => [...results.values()].filter((r) => r.status === s).length;
  return `# MCP conformance

\`npm run conformance\` (run by \`.ci/run\`) starts \`wi-doctor serve --http --scenario ${WORLD}\` and runs the server
scenarios of the MCP conformance suite (\`${SUITE}\`, on Node 22 from npm's \`${NODE}\` package) against its \`/mcp\`.
CI fails only on a regression from the table below; \`node scripts/conformance.mjs --update\` rewrites it from a run.

Most failing scenarios call the suite's own fixture tools, resources and prompts (\`test_simple_text\`,
\`test_image_content\`, …) that only its reference server defines; wi-doctor's HTTP face is stateless, so the
session-ID scenario warns.

${count("pass")} pass, ${count("warn")} warn, ${count("fail")} fail.

| scenario | status | what the suite said |
| --- | --- | --- |
${rows.join("\n")}
`;
}

async function main() {
  const update = process.argv.includes("--update");
  const at = process.argv.indexOf("--cli");
  const cli = at > 0 ? process.argv[at + 1] : join(ROOT, "dist", "cli.js");
  if (!existsSync(cli)) throw new Error("dist/cli.js is missing: run `npm run build` first");
  const port = await freePort();
  const server = spawn(
    process.execPath,
    [cli, "serve", "--http", "--host", "127.0.0.1", "--port", String(port), "--scenario", WORLD],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let serverLog = "";
  server.stderr.on("data", (d) => {
    serverLog = (serverLog + d).slice(-4000);
  });
  const out = mkdtempSync(join(tmpdir(), "wi-doctor-conformance-"));
  try {
    await waitHealthy(`http://127.0.0.1:${port}/healthz`, server, 180_000);
    const suite = installSuite();
    const run = spawnSync(suite.node, [suite.bin, "server", "--url", `http://127.0.0.1:${port}/mcp`, "-o", out], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
    });
    if (run.error) throw run.error;
    const results = readResults(out);
    if (!results.size) {
      throw new Error(`the conformance suite produced no results (exit ${run.status}):\n${run.stderr.slice(-2000)}`);
    }
    if (update) {
      writeFileSync(RECORD, renderRecord(results));
      console.log(`conformance: wrote ${RECORD}`);
      return 0;
    }
    const record = readRecord(existsSync(RECORD) ? readFileSync(RECORD, "utf8") : "");
    const regressions = [];
    const better = [];
    for (const [name, was] of record) {
      const now = results.get(name);
      if (!now) regressions.push(`${name}: recorded ${was}, not run`);
      else if (RANK[now.status] < RANK[was])
        regressions.push(`${name}: recorded ${was}, now ${now.status} (${now.why})`);
      else if (RANK[now.status] > RANK[was]) better.push(`${name}: recorded ${was}, now ${now.status}`);
    }
    const unrecorded = [...results.keys()].filter((n) => !record.has(n));
    const tally = (s) => [...results.values()].filter((r) => r.status === s).length;
    console.log(
      `conformance: ${results.size} server scenarios against wi-doctor serve --http: ` +
        `${tally("pass")} pass, ${tally("warn")} warn, ${tally("fail")} fail (as recorded in docs/conformance.md unless listed below)`,
    );
    for (const b of better) console.log(`  better than recorded (update docs/conformance.md with --update): ${b}`);
    for (const u of unrecorded) console.log(`  not in the record: ${u} (${results.get(u).status})`);
    for (const r of regressions) console.log(`  REGRESSION ${r}`);
    return regressions.length ? 1 : 0;
  } finally {
    server.kill("SIGTERM");
    rmSync(out, { recursive: true, force: true });
    if (process.exitCode) process.stderr.write(serverLog);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`conformance: ${err.message}`);
    process.exitCode = 1;
  },
);
