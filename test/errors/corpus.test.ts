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
const corpus: { file: string; entry: CorpusEntry }[] = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((file) => ({ file, entry: JSON.parse(readFileSync(join(dir, file), "utf8")) as CorpusEntry }));

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

  it("ranks the expected class first for most texts and in the top three for nearly all", () => {
    let top1 = 0;
    let top3 = 0;
    const misses: string[] = [];
    for (const { file, entry } of corpus) {
      const ranked = explainError(entry.text).causes.map((c) => c.class as string);
      if (ranked[0] === entry.expectedClass) top1++;
      else misses.push(`${file}: expected ${entry.expectedClass}, got ${ranked.slice(0, 3).join(", ")}`);
      if (ranked.slice(0, 3).includes(entry.expectedClass)) top3++;
    }
    const n = corpus.length;
    console.log(
      `corpus: ${n} texts, top-1 ${(top1 / n).toFixed(3)}, top-3 ${(top3 / n).toFixed(3)}\n${misses.join("\n")}`,
    );
    expect(top1 / n).toBeGreaterThanOrEqual(0.97);
    expect(top3 / n).toBeGreaterThanOrEqual(0.99);
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
    expect(b.corpusSize).toBe(corpus.length);
    expect(b.top1).toBeGreaterThanOrEqual(0.97);
    expect(b.top3).toBeGreaterThanOrEqual(0.99);
    expect(b.msFor1MB).toBeGreaterThan(0);
  });
});
