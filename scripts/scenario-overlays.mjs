// Rewrite bundled scenarios as overlays (`extends:` + the smallest patch) of a base world, and prove that each
// expands to exactly the world it was (docs/scenarios.md, "Overlays").
//
//   node scripts/scenario-overlays.mjs --bases aks-healthy,eks-irsa-healthy [--write] [names...]
//
// Without --write it prints, per world, the base it would extend and the overlay's size in lines. Needs `npm run build`.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { stringify } from "yaml";
import { LIST_KEYS, listKey, mergePatch } from "../dist/sim/scenario-extends.js";
import { bundledScenarioDir, expandScenarioFile } from "../dist/sim/scenario.js";

const HEADER = "# Bundled simulated world for wi-doctor (format: docs/scenarios.md).\n";
const SAME = Symbol("same");
const isDict = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
const shape = (path) => path.map((p) => (typeof p === "number" ? "*" : p)).join(".");

/** The fields that identify an item of a keyed list, so that a patch item finds its base item. */
function keyStub(path, item) {
  if (shape(path) === "kubernetes.objects") {
    const metadata = { name: item.metadata.name };
    if (item.metadata.namespace !== undefined) metadata.namespace = item.metadata.namespace;
    return { kind: item.kind, metadata };
  }
  const rule = LIST_KEYS[shape(path)]?.describe ?? "name";
  const names = rule.split(/, | and /);
  return Object.fromEntries(names.map((n) => [n, item[n]]));
}

/** Deep merge of plain data (the stub's key fields under the item's changes). */
function overlay(a, b) {
  if (!isDict(a) || !isDict(b)) return b;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? overlay(out[k], v) : v;
  return out;
}

function diffList(base, target, path) {
  const keyOf = listKey(path, base, target);
  const keys = keyOf ? target.map((t) => (isDict(t) ? keyOf(t) : undefined)) : [];
  if (!keyOf || keys.some((k) => k === undefined) || new Set(keys).size !== keys.length) return target;
  const position = new Map(base.map((b, i) => [keyOf(b), i]));
  // The merge keeps base items in place and appends new ones: the items that can stay are the longest start of the
  // target made of base items in base order; a base item after that is deleted and given again (to move it).
  let kept = 0;
  for (let last = -1; kept < target.length; kept++) {
    const at = position.get(keys[kept]);
    if (at === undefined || at < last) break;
    last = at;
  }
  const stays = new Set(keys.slice(0, kept));
  const deletes = base.filter((b) => !stays.has(keyOf(b))).map((b) => ({ ...keyStub(path, b), $patch: "delete" }));
  const changes = [];
  target.slice(0, kept).forEach((t, i) => {
    const d = diff(base[position.get(keys[i])], t, [...path, i]);
    if (d !== SAME) changes.push(overlay(keyStub(path, t), d));
  });
  const patch = [...deletes, ...changes, ...target.slice(kept)];
  if (isDeepStrictEqual(mergePatch(base, patch, path), target)) return patch;
  return [{ $patch: "replace" }, ...target];
}

/** The smallest patch that turns `base` into `target` under mergePatch's rules, or SAME. */
function diff(base, target, path) {
  if (isDeepStrictEqual(base, target)) return SAME;
  if (Array.isArray(base) && Array.isArray(target)) return diffList(base, target, path);
  if (!isDict(base) || !isDict(target)) return target;
  const patch = {};
  for (const [k, v] of Object.entries(target)) {
    if (!(k in base)) patch[k] = v;
    else {
      const d = diff(base[k], v, [...path, k]);
      if (d !== SAME) patch[k] = d;
    }
  }
  for (const k of Object.keys(base)) if (!(k in target)) patch[k] = null;
  return patch;
}

function overlayFor(baseName, base, target) {
  const { name: _n, abstract: _a, ...inherited } = base;
  const { name, ...rest } = target;
  const d = diff(inherited, rest, []);
  const patch = { extends: baseName, name, ...(d === SAME ? {} : d) };
  const { extends: _e, ...body } = patch;
  if (!isDeepStrictEqual(mergePatch(inherited, body), target))
    throw new Error(`${name}: the overlay does not expand back`);
  const text = HEADER + stringify(patch, { lineWidth: 0 });
  return { base: baseName, text, lines: text.split("\n").length - 1 };
}

const args = process.argv.slice(2);
const write = args.includes("--write");
const bi = args.indexOf("--bases");
const bases = bi >= 0 ? args[bi + 1].split(",") : [];
const only = args.filter((a, i) => !a.startsWith("--") && i !== bi + 1);
const dir = bundledScenarioDir();
const worlds = new Map(
  readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => [f.replace(/\.yaml$/, ""), expandScenarioFile(join(dir, f))]),
);
let before = 0;
let after = 0;
const written = [];
for (const [name, world] of worlds) {
  const file = join(dir, `${name}.yaml`);
  const lines = readFileSync(file, "utf8").split("\n").length - 1;
  before += lines;
  if (bases.includes(name) || (only.length && !only.includes(name))) {
    after += lines;
    continue;
  }
  const best = bases
    .filter((b) => worlds.has(b))
    .map((b) => overlayFor(b, worlds.get(b), world))
    .sort((a, b) => a.lines - b.lines)[0];
  if (!best || best.lines >= lines) {
    after += lines;
    console.log(`${name.padEnd(56)} stays whole (${lines} lines)`);
    continue;
  }
  after += best.lines;
  console.log(`${name.padEnd(56)} ${best.base.padEnd(34)} ${lines} → ${best.lines}`);
  if (write) {
    writeFileSync(file, best.text);
    written.push(name);
  }
}
// Read back through the loader: every rewritten file expands to exactly the world it was.
for (const name of written) {
  if (!isDeepStrictEqual(expandScenarioFile(join(dir, `${name}.yaml`)), worlds.get(name))) {
    throw new Error(`${name}: the written overlay does not expand to the original world`);
  }
}
console.log(`lines: ${before} → ${after}${write ? ` (${written.length} files rewritten and read back)` : ""}`);
