// How an aad-pod-identity check is declared, and when it is essential.
import { type Check, defineCheck, type Gathered } from "../types.js";
import type { PodIdFacts } from "./facts.js";

/** Declares an aad-pod-identity check (documented under docs/findings.md#aad-pod-identity). */
export const podIdCheck = defineCheck<PodIdFacts>("aad-pod-identity");

/**
 * aad-pod-identity's verdict rests on every check that applies (docs/findings.md, "Verdict"): essential when it
 * runs, or when it was skipped while something it reads could not be read. Skipped because it does not apply
 * to what was read (managed mode, no user-assigned identity): not essential.
 */
export function ranOrUnread(check: Check<PodIdFacts>, f: PodIdFacts, reads: (Gathered<unknown> | undefined)[]) {
  return !check.skippedBecause?.(f) || reads.some((g) => g !== undefined && g.status !== "ok") || Boolean(f.podMissing);
}
