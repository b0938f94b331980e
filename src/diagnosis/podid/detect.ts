// Whether a pod is one aad-pod-identity serves: it carries the aadpodidbinding label that bindings select on.
import { editDistance } from "../compare.js";
import { type BindingView, PODID_LABEL, type RawObject, readBinding } from "./facts.js";

/**
 * Label keys (with a value) that were meant to be aadpodidbinding: another capitalisation, or a typo of a
 * letter or two. aad-pod-identity reads only the exact key, so these pods are invisible to it.
 */
export function misspeltLabelKeys(labels: Record<string, string> | undefined): string[] {
  return Object.entries(labels ?? {})
    .filter(([k, v]) => v && k !== PODID_LABEL && editDistance(k.toLowerCase(), PODID_LABEL) <= 2)
    .map(([k]) => k);
}

/**
 * True when the pod's labels put it in aad-pod-identity's hands: the `aadpodidbinding` label (also in a
 * wrong capitalisation, which is itself a finding), or a binding whose selector equals one of its label values
 * (a binding written for this pod while the label key is misspelt).
 */
export function usesPodIdentity(
  podLabels: Record<string, string> | undefined,
  bindings: (RawObject | BindingView)[] = [],
): boolean {
  const labels = podLabels ?? {};
  if (labels[PODID_LABEL]) return true;
  if (misspeltLabelKeys(labels).length) return true;
  const selectors = new Set(
    bindings.map((b) =>
      "selector" in b && typeof b.selector === "string" ? b.selector : readBinding(b as RawObject).selector,
    ),
  );
  return Object.entries(labels).some(([k, v]) => v !== "" && selectors.has(v) && /pod.?id|binding|aad/i.test(k));
}
