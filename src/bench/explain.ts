// Benchmark for explain_error: accuracy on the public corpus (the tuning split and the frozen evaluation split,
// reported apart), the number of service codes the catalogue recognises, and the time to explain a 1 MB log.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { catalogue } from "../diagnosis/errors/catalogue.js";
import { serviceCodes } from "../diagnosis/errors/codes.js";
import { explainError } from "../diagnosis/errors/explain.js";

interface CorpusEntry {
  text: string;
  expectedClass: string;
}

export interface SplitScore {
  size: number;
  top1: number;
  top3: number;
  misses: string[];
}

function corpusDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // src/bench or dist/bench: the corpus lives in test/corpus/errors at the package root.
  return resolve(here, "..", "..", "test", "corpus", "errors");
}

function loadDir(dir: string): { file: string; entry: CorpusEntry }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, entry: JSON.parse(readFileSync(join(dir, file), "utf8")) as CorpusEntry }));
}

/** The tuning split (test/corpus/errors/*.json) and the frozen split (test/corpus/errors/frozen/*.json). */
export function loadSplits(): {
  tuning: { file: string; entry: CorpusEntry }[];
  frozen: { file: string; entry: CorpusEntry }[];
} {
  const dir = corpusDir();
  return { tuning: loadDir(dir), frozen: loadDir(join(dir, "frozen")) };
}

export function scoreSplit(entries: { file: string; entry: CorpusEntry }[]): SplitScore {
  let top1 = 0;
  let top3 = 0;
  const misses: string[] = [];
  for (const { file, entry } of entries) {
    const ranked = explainError(entry.text).causes.map((c) => c.class as string);
    if (ranked[0] === entry.expectedClass) top1++;
    else misses.push(`${file}: expected ${entry.expectedClass}, got ${ranked.slice(0, 3).join(", ") || "nothing"}`);
    if (ranked.slice(0, 3).includes(entry.expectedClass)) top3++;
  }
  const n = entries.length || 1;
  return { size: entries.length, top1: top1 / n, top3: top3 / n, misses };
}

/** Distinct service codes (AADSTS numbers, STS/IAM/EKS Auth codes, ARM codes) some catalogue row recognises. */
export function codesRecognised(): number {
  const codes = new Set<string>();
  for (const e of catalogue) for (const c of e.codes ?? []) codes.add(c.toLowerCase());
  for (const c of serviceCodes) codes.add(c.code.toLowerCase());
  return codes.size;
}

/** A 1 MB log: ordinary lines with the corpus's error texts scattered through it. */
function oneMegabyteLog(corpus: CorpusEntry[]): string {
  const parts: string[] = [];
  let size = 0;
  let i = 0;
  while (size < 1_000_000) {
    const line =
      i % 7 === 6 && corpus.length
        ? corpus[((i / 7) % corpus.length) | 0].text
        : `2024-05-01T10:00:${String(i % 60).padStart(2, "0")}Z INFO request handled path=/api/items/${i} status=200 duration=${i % 97}ms`;
    parts.push(line);
    size += line.length + 1;
    i++;
  }
  return parts.join("\n").slice(0, 1_048_576);
}

/** The frozen texts added after the freeze (frozen/ADDED-AFTER-FREEZE.txt): the ones the catalogue never saw. */
export function unseenSubsample(
  frozen: { file: string; entry: CorpusEntry }[],
): { file: string; entry: CorpusEntry }[] {
  const list = join(corpusDir(), "frozen", "ADDED-AFTER-FREEZE.txt");
  if (!existsSync(list)) return [];
  const names = new Set(
    readFileSync(list, "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean),
  );
  return frozen.filter((c) => names.has(c.file));
}

export async function benchExplain(): Promise<{
  tuning: SplitScore;
  frozen: SplitScore;
  unseen: SplitScore;
  codes: number;
  msFor1MB: number;
}> {
  const splits = loadSplits();
  const tuning = scoreSplit(splits.tuning);
  const frozen = scoreSplit(splits.frozen);
  const log = oneMegabyteLog([...splits.tuning, ...splits.frozen].map((c) => c.entry));
  explainError(log); // warm-up
  const runs = 5;
  const start = performance.now();
  for (let r = 0; r < runs; r++) explainError(log);
  const msFor1MB = (performance.now() - start) / runs;
  const unseen = scoreSplit(unseenSubsample(splits.frozen));
  return { tuning, frozen, unseen, codes: codesRecognised(), msFor1MB: Math.round(msFor1MB * 10) / 10 };
}
