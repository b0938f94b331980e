// Tests that start processes (the built CLI, the stdio server) wait for them as long as a loaded machine needs:
// their speed is measured by `npm run bench`, never asserted, so the only bound is one that catches a hang.
export const SPAWNS_TIMEOUT_MS = 300_000;
