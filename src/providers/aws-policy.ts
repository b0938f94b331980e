// Policy documents as IAM hands them back.
import type { PolicyDocument } from "../model/iam-policy.js";

/** IAM returns trust policies URL-encoded (RFC 3986); some tools hand them back already decoded. */
export function decodeTrustPolicy(raw: string | undefined): { policy?: PolicyDocument; problem?: string } {
  if (!raw) return { problem: "the role has no trust policy" };
  const attempts = [raw];
  try {
    attempts.unshift(decodeURIComponent(raw));
  } catch {
    // not URL-encoded
  }
  for (const text of attempts) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === "object") return { policy: parsed as PolicyDocument };
    } catch {
      // try the next form
    }
  }
  return { problem: "the trust policy is not valid JSON" };
}
