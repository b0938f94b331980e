// Every registry, and what is derived from their metadata: the union of check ids, and the map from an error
// class (src/diagnosis/errors/taxonomy.ts) to the findings that confirm it, built from each check's `confirms`.
import { type AksCheckId, aksRegistry } from "./aks/registry.js";
import { type EksCheckId, eksRegistry } from "./eks/registry.js";
import type { ErrorClass } from "./errors/taxonomy.js";
import { type PodIdCheckId, podIdRegistry } from "./podid/registry.js";
import type { RegisteredCheck } from "./types.js";

/** One registry per mechanism, each in root-cause order. */
export const registries = {
  aks: aksRegistry,
  eks: eksRegistry,
  podid: podIdRegistry,
} as const satisfies Record<string, readonly RegisteredCheck<never>[]>;

/** Every check id of every mechanism (ids such as `sa.not-found` exist for more than one). */
export type CheckId = AksCheckId | EksCheckId | PodIdCheckId;

const allChecks: readonly RegisteredCheck<never, CheckId>[] = [...aksRegistry, ...eksRegistry, ...podIdRegistry];

/**
 * For each error class, the findings (of any mechanism) that would explain it, in root-cause order (AKS, then
 * EKS, then aad-pod-identity): generated from the checks' `confirms`, so it names no id that does not exist.
 */
export const FINDINGS_FOR_CLASS: Partial<Record<ErrorClass, CheckId[]>> = (() => {
  const map: Partial<Record<ErrorClass, CheckId[]>> = {};
  for (const check of allChecks) {
    for (const cls of check.confirms) {
      const ids = map[cls] ?? [];
      if (!ids.includes(check.id)) ids.push(check.id);
      map[cls] = ids;
    }
  }
  return map;
})();
