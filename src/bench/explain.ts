// Benchmark for explain_error: accuracy on the public corpus and the time to explain a 1 MB log.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { explainError } from "../diagnosis/errors/explain.js";

interface CorpusEntry {
  text: string;
  expectedClass: string;
}

function corpusDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // src/bench or dist/bench: the corpus lives in test/corpus/errors at the package root.
  return resolve(here, "..", "..", "test", "corpus", "errors");
}

function loadCorpus(): CorpusEntry[] {
  const dir = corpusDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as CorpusEntry);
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

export async function benchExplain(): Promise<{ top1: number; top3: number; corpusSize: number; msFor1MB: number }> {
  const corpus = loadCorpus();
  let top1 = 0;
  let top3 = 0;
  for (const entry of corpus) {
    const ranked = explainError(entry.text).causes.map((c) => c.class as string);
    if (ranked[0] === entry.expectedClass) top1++;
    if (ranked.slice(0, 3).includes(entry.expectedClass)) top3++;
  }
  const log = oneMegabyteLog(corpus);
  explainError(log); // warm-up
  const runs = 5;
  const start = performance.now();
  for (let r = 0; r < runs; r++) explainError(log);
  const msFor1MB = (performance.now() - start) / runs;
  const n = corpus.length || 1;
  return { top1: top1 / n, top3: top3 / n, corpusSize: corpus.length, msFor1MB: Math.round(msFor1MB * 10) / 10 };
}
