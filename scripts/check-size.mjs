#!/usr/bin/env node
// Size limits of the house (docs/architecture.md): no file over 600 lines, no function over 120 lines.
//
// Files: every .ts/.mjs/.js file under src/, test/ and scripts/, except the exemptions below (data tables and
// simulator services, each with its reason). Functions: every function declaration, method, constructor,
// accessor, function expression and arrow function in src/, measured by the TypeScript compiler's own parse from
// its first to its last line (a nested function counts inside its parent too: a 200-line factory of small closures
// is still a 200-line function to read). No exemptions for functions.
//
// Usage: node scripts/check-size.mjs [--json | --no-baseline | --update-baseline]   exit 1 when something new is over.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const MAX_FILE_LINES = 600;
export const MAX_FUNCTION_LINES = 120;

/** Files allowed past MAX_FILE_LINES, with the reason. A glob-free prefix match on the repository path. */
export const FILE_EXEMPTIONS = [
  {
    prefix: "src/sim/services/",
    reason:
      "simulator services: wire-level fakes of the Kubernetes API, ARM, Entra, Graph and AWS, one API surface each",
  },
  {
    prefix: "src/diagnosis/errors/catalogue.ts",
    reason: "data table: the error catalogue (one entry per documented error code, with sources)",
  },
];

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DIRS = ["src", "test", "scripts"];
const SKIP_DIRS = new Set(["node_modules", "dist", "__snapshots__", "fixtures", "corpus"]);
const EXT = /\.(ts|mts|cts|mjs|cjs|js)$/;

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!SKIP_DIRS.has(name)) walk(path, out);
    } else if (EXT.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

const lineCount = (text) => (text.endsWith("\n") ? text.split("\n").length - 1 : text.split("\n").length);

function functionName(node, sf) {
  if (node.name) return node.name.getText(sf);
  if (ts.isConstructorDeclaration(node)) return "constructor";
  const parent = node.parent;
  if (
    parent &&
    (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
  )
    return parent.name.getText(sf);
  if (parent && ts.isCallExpression(parent)) {
    const callee = parent.expression.getText(sf);
    return `(callback of ${callee.length > 40 ? `${callee.slice(0, 40)}…` : callee})`;
  }
  return "(anonymous)";
}

/** Every function-like node in one file with its line span. */
export function measureFunctions(path, text) {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    if (
      (ts.isFunctionDeclaration(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isConstructorDeclaration(node) ||
        ts.isGetAccessorDeclaration(node) ||
        ts.isSetAccessorDeclaration(node) ||
        ts.isFunctionExpression(node) ||
        ts.isArrowFunction(node)) &&
      node.body
    ) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      found.push({ name: functionName(node, sf), line: start, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

export function checkSizes(root = ROOT) {
  const files = DIRS.flatMap((d) => walk(join(root, d), []));
  const longFiles = [];
  const longFunctions = [];
  const exempted = [];
  for (const abs of files) {
    const path = relative(root, abs).split(sep).join("/");
    const text = readFileSync(abs, "utf8");
    const lines = lineCount(text);
    if (lines > MAX_FILE_LINES) {
      const exemption = FILE_EXEMPTIONS.find((e) => path.startsWith(e.prefix));
      if (exemption) exempted.push({ path, lines, reason: exemption.reason });
      else longFiles.push({ path, lines });
    }
    if (path.startsWith("src/")) {
      for (const f of measureFunctions(path, text))
        if (f.lines > MAX_FUNCTION_LINES) longFunctions.push({ path, ...f });
    }
  }
  longFiles.sort((a, b) => b.lines - a.lines);
  longFunctions.sort((a, b) => b.lines - a.lines);
  return { filesChecked: files.length, longFiles, longFunctions, exempted };
}

/**
 * Known violators being split up (scripts/size-baseline.json): each may stay over the limit only up to its recorded
 * size, so it cannot grow while it waits; a new violator, or a known one that grew, fails. Remove an entry when its
 * file or function is under the limit (`--update-baseline` rewrites the file from the current tree).
 */
const BASELINE = join(ROOT, "scripts", "size-baseline.json");
const fnKey = (f) => `${f.path}#${f.name}`;

function main() {
  const args = process.argv.slice(2);
  const result = checkSizes();
  if (args.includes("--json")) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  if (args.includes("--update-baseline")) {
    const files = Object.fromEntries(result.longFiles.map((f) => [f.path, f.lines]));
    const functions = Object.fromEntries(result.longFunctions.map((f) => [fnKey(f), f.lines]));
    writeFileSync(BASELINE, `${JSON.stringify({ files, functions }, null, 2)}\n`);
    console.log(`check-size: wrote ${relative(ROOT, BASELINE)}`);
    return;
  }
  const baseline =
    args.includes("--no-baseline") || !existsSync(BASELINE)
      ? { files: {}, functions: {} }
      : JSON.parse(readFileSync(BASELINE, "utf8"));
  let failed = 0;
  let known = 0;
  const report = (over, what, allowed) => {
    if (allowed !== undefined && over.lines <= allowed) {
      known++;
      console.log(`known (to split, may not grow past ${allowed}): ${what}`);
    } else {
      failed++;
      console.log(`${allowed !== undefined ? `grew past its recorded ${allowed} lines: ` : ""}${what}`);
    }
  };
  for (const f of result.longFiles)
    report(f, `file over ${MAX_FILE_LINES} lines: ${f.path} (${f.lines})`, baseline.files[f.path]);
  for (const f of result.longFunctions)
    report(
      f,
      `function over ${MAX_FUNCTION_LINES} lines: ${f.path}:${f.line} ${f.name} (${f.lines})`,
      baseline.functions[fnKey(f)],
    );
  const fixed = [
    ...Object.keys(baseline.files).filter((p) => !result.longFiles.some((f) => f.path === p)),
    ...Object.keys(baseline.functions).filter((k) => !result.longFunctions.some((f) => fnKey(f) === k)),
  ];
  for (const k of fixed) console.log(`now within the limit (remove it from scripts/size-baseline.json): ${k}`);
  console.log(
    `check-size: ${result.filesChecked} files; over the limit: ${failed} new, ${known} known` +
      (result.exempted.length ? `; exempt: ${result.exempted.map((e) => `${e.path} (${e.lines})`).join(", ")}` : ""),
  );
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
