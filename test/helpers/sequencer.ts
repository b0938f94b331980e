// The order test files start in. Vitest runs the slowest first when an earlier run left their timings; a fresh clone
// has none, and it would then start the largest files first, leaving the small files that run a matrix over every
// bundled world or the fault matrix, or wait on processes they start (the longest by far), for the end, where one
// worker finishes them while the other waits. Without timings, those files start first.
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** A file that runs a matrix over the bundled worlds or the faults, or waits on processes it starts. */
const LONG =
  /\b(listBundledScenarios|sdkClientMatrix|faultMatrix|closedLoopCases|worlds)\(|\bfaultProviders\b|\bSPAWNS_TIMEOUT_MS\b/;

export default class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const timed = (f: TestSpecification) =>
      this.ctx.cache.getFileTestResults(`${f.project.name}:${relative(this.ctx.config.root, f.moduleId)}`);
    if (sorted.every(timed)) return sorted;
    const long = (f: TestSpecification) => (LONG.test(readFileSync(f.moduleId, "utf8")) ? 1 : 0);
    return sorted
      .map((f, i) => ({ f, i, m: long(f) }))
      .sort((a, b) => b.m - a.m || a.i - b.i)
      .map((x) => x.f);
  }
}
