import { defineConfig } from "vitest/config";
import LongFilesFirst from "./test/helpers/sequencer.js";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two cores, three forks: about a third of a fork's time is spent waiting (injected faults and deadlines, child
    // processes), and a third fork fills it (npm test 98-101 s against 105-109 s with two, measured alternating).
    maxWorkers: 3,
    // The simulated worlds allocate briskly (TLS, HTTP, JSON): a larger young generation collects less often
    // (about 8 % less CPU across the suite's heaviest files).
    execArgv: ["--max-semi-space-size=64"],
    // Each worker keeps its modules between files: the SDKs, the MCP server and the simulator are imported once per
    // worker instead of once per file (a fresh import of them costs seconds of CPU).
    isolate: false,
    // Concurrent cases (the fault matrices) mostly wait on injected faults, retries and deadlines: more of them at once.
    maxConcurrency: 12,
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup-file.ts"],
    // The AWS SDK's notice about its own future Node requirement is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    reporters: ["default"],
    // Without timings from an earlier run (a fresh clone), the longest files start first (test/helpers/sequencer.ts).
    sequence: { sequencer: LongFilesFirst },
  },
});
