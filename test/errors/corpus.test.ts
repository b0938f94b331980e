// Accuracy of explain_error on the public corpus of real error texts (test/corpus/errors).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { explainError } from "../../src/diagnosis/errors/explain.js";
import { errorClasses, errorPlatforms } from "../../src/diagnosis/errors/taxonomy.js";

interface CorpusEntry {
  text: string;
  source: string;
  expectedClass: string;
  platform?: string;
}

const dir = join(import.meta.dirname, "..", "corpus", "errors");
function load(d: string): { file: string; entry: CorpusEntry }[] {
  return readdirSync(d)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((file) => ({ file, entry: JSON.parse(readFileSync(join(d, file), "utf8")) as CorpusEntry }));
}
// The tuning split; test/corpus/errors/frozen holds the evaluation split nobody tunes on (see its README).
const tuning = load(dir);
const frozen = load(join(dir, "frozen")).map((c) => ({ file: `frozen/${c.file}`, entry: c.entry }));
const corpus = [...tuning, ...frozen];

describe("error corpus", () => {
  it("is well formed: real texts with a source and a class from the taxonomy", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(150);
    for (const { file, entry } of corpus) {
      expect(entry.text.length, file).toBeGreaterThan(10);
      expect(entry.source.length, file).toBeGreaterThan(10);
      expect(errorClasses, file).toContain(entry.expectedClass);
      if (entry.platform) expect(errorPlatforms, file).toContain(entry.platform);
    }
  });

  it("spans every class of the taxonomy", () => {
    const seen = new Set(corpus.map((c) => c.entry.expectedClass));
    const missing = errorClasses.filter((c) => !seen.has(c));
    expect(missing).toEqual([]);
  });

  it("ranks the expected class first for most tuning texts and in the top three for nearly all", async () => {
    const { scoreSplit } = await import("../../src/bench/explain.js");
    const t = scoreSplit(tuning);
    console.log(
      `tuning split: ${t.size} texts, top-1 ${t.top1.toFixed(3)}, top-3 ${t.top3.toFixed(3)}\n${t.misses.join("\n")}`,
    );
    expect(t.top1).toBeGreaterThanOrEqual(0.95);
    expect(t.top3).toBeGreaterThanOrEqual(0.99);
  });

  it("keeps the frozen split's figures at or above the goal (a regression guard, not a target to tune on)", async () => {
    const { scoreSplit } = await import("../../src/bench/explain.js");
    const f = scoreSplit(frozen);
    console.log(`frozen split: ${f.size} texts, top-1 ${f.top1.toFixed(3)}, top-3 ${f.top3.toFixed(3)}`);
    expect(f.top1).toBeGreaterThanOrEqual(0.85);
    expect(f.top3).toBeGreaterThanOrEqual(0.95);
  });

  it("keeps a frozen evaluation split apart from the tuning split", () => {
    expect(frozen.length).toBeGreaterThanOrEqual(Math.round(0.35 * tuning.length));
    const tuningTexts = new Set(tuning.map((c) => c.entry.text));
    for (const { file, entry } of frozen) expect(tuningTexts.has(entry.text), file).toBe(false);
  });

  it("names the platform the text comes from", () => {
    const withPlatform = corpus.filter((c) => c.entry.platform);
    const right = withPlatform.filter((c) => explainError(c.entry.text).platform === c.entry.platform).length;
    const wrong = withPlatform
      .filter((c) => explainError(c.entry.text).platform !== c.entry.platform)
      .map((c) => `${c.file}: ${explainError(c.entry.text).platform}`);
    expect(right / withPlatform.length, wrong.join("\n")).toBeGreaterThanOrEqual(0.9);
  });
});

describe("benchExplain", () => {
  it("reports the corpus accuracy and the time for a 1 MB log", async () => {
    const { benchExplain } = await import("../../src/bench/explain.js");
    const b = await benchExplain();
    expect(b.tuning.size + b.frozen.size).toBe(corpus.length);
    // The texts added after the freeze are all in the frozen split.
    expect(b.unseen.size).toBe(14);
    expect(b.tuning.top1).toBeGreaterThanOrEqual(0.95);
    expect(b.tuning.top3).toBeGreaterThanOrEqual(0.99);
    expect(b.codes).toBeGreaterThan(0);
    expect(b.msFor1MB).toBeGreaterThan(0);
  });
});
