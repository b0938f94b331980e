// Explaining why two strings that should be equal are not: the typos that hide in identity configuration.

export function editDistance(a: string, b: string, cap = 64): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** A short reason why `actual` differs from `expected`, or undefined when they are equal. */
export function differenceReason(expected: string, actual: string): string | undefined {
  if (expected === actual) return undefined;
  if (actual.trim() !== actual) return "leading or trailing whitespace";
  if (expected.replace(/\/$/, "") === actual.replace(/\/$/, "")) {
    return expected.endsWith("/") ? "trailing slash missing" : "extra trailing slash";
  }
  if (expected.toLowerCase() === actual.toLowerCase()) return "letter case differs (matching is case-sensitive)";
  const d = editDistance(expected, actual);
  if (d <= 3) return `a typo: ${d} character${d === 1 ? " differs" : "s differ"}`;
  return "different value";
}

/** Compare two `system:serviceaccount:<ns>:<sa>` subjects part by part. */
export function subjectDifference(expected: string, actual: string): string | undefined {
  if (expected === actual) return undefined;
  const e = expected.split(":");
  const a = actual.split(":");
  if (a.length !== 4 || a[0] !== "system" || a[1] !== "serviceaccount") {
    return `not of the form system:serviceaccount:<namespace>:<name> (${differenceReason(expected, actual)})`;
  }
  const parts: string[] = [];
  if (e[2] !== a[2]) parts.push(`namespace "${a[2]}" should be "${e[2]}"`);
  if (e[3] !== a[3]) parts.push(`service account "${a[3]}" should be "${e[3]}"`);
  return parts.join("; ") || differenceReason(expected, actual);
}

/** AKS issuers look like https://<region>.oic.prod-aks.azure.com/<tenant>/<cluster-guid>/ */
export function issuerDifference(expected: string, actual: string): string | undefined {
  const base = differenceReason(expected, actual);
  if (!base || !(base === "different value" || base.startsWith("a typo"))) return base;
  // A few characters apart can still be another region's or another cluster's issuer: say which part differs.
  if (base.startsWith("a typo")) {
    try {
      const eu = new URL(expected);
      const au = new URL(actual);
      if (eu.host !== au.host && eu.pathname === au.pathname) return `host differs (${au.host} instead of ${eu.host})`;
    } catch {
      // not URLs: the typo reading stands
    }
    return base;
  }
  const guidsOf = (u: string) => u.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi) ?? [];
  const [et, ec] = guidsOf(expected);
  const [at, ac] = guidsOf(actual);
  if (et && at && et === at && ec && ac && ec !== ac)
    return "the issuer of another cluster (same tenant, different cluster id)";
  try {
    const eu = new URL(expected);
    const au = new URL(actual);
    if (eu.host !== au.host && eu.pathname === au.pathname) return `host differs (${au.host} instead of ${eu.host})`;
    if (eu.host !== au.host) return `a different issuer (${au.host})`;
  } catch {
    return "not a URL";
  }
  return base;
}

export const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * Which known annotation key a near-miss key (already lower-cased and normalised by the caller) was meant to be:
 * the closest by edit distance within `maxDistance`, else the one with the same last path segment.
 */
export function closestKnownKey(normal: string, known: readonly string[], maxDistance: number): string | undefined {
  let best: { meant: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(normal, k);
    if (!best || d < best.d) best = { meant: k, d };
  }
  if (best && best.d <= maxDistance) return best.meant;
  const suffix = normal.split("/").pop() ?? "";
  return known.find((k) => k.split("/")[1] === suffix);
}
