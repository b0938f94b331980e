// User-written wildcard patterns are matched in linear time: a pathological pattern answers at once, and the
// matcher agrees with the obvious (backtracking) definition on small inputs.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { actionMatches } from "../../src/diagnosis/aks/checks/access.js";
import { wildcardMatch } from "../../src/diagnosis/eks/trust-policy.js";
import { wildcard } from "../../src/diagnosis/podid/roles.js";
import { wildcardMatches } from "../../src/diagnosis/wildcard.js";

/** The definition, by recursion (exponential in the worst case: only for small inputs). */
function reference(p: string, v: string, question: boolean): boolean {
  if (p === "") return v === "";
  if (p[0] === "*") return reference(p.slice(1), v, question) || (v !== "" && reference(p, v.slice(1), question));
  if (v === "") return false;
  if ((question && p[0] === "?") || p[0] === v[0]) return reference(p.slice(1), v.slice(1), question);
  return false;
}

describe("linear-time wildcard matching", () => {
  // Many stars in one segment against a long action that almost matches: exponential for a backtracking regex.
  const pattern = `Microsoft.KeyVault/${"*a".repeat(40)}*b`;
  const action = `Microsoft.KeyVault/${"a".repeat(50_000)}`;

  it("Azure role actions: a pathological pattern is decided without backtracking", () => {
    expect(actionMatches(pattern, action)).toBe(false);
    expect(actionMatches(pattern, `${action}b`)).toBe(true);
  });

  it("aad-pod-identity role actions: the same pattern, with the /*/ rule", () => {
    expect(wildcard(pattern, action)).toBe(false);
    expect(wildcard(`${"*/".repeat(30)}*x`, "/".repeat(20_000))).toBe(false);
    expect(
      wildcard(
        "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
        "microsoft.managedidentity/userassignedidentities/assign/action",
      ),
    ).toBe(true);
    expect(
      wildcard(
        "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
        "microsoft.managedidentity/userassignedidentities/x/y/assign/action",
      ),
    ).toBe(true);
    expect(
      wildcard(
        "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
        "microsoft.managedidentity/userassignedidentitiesassign/action",
      ),
    ).toBe(false);
  });

  it("IAM StringLike: stars and question marks", () => {
    const sub = `system:serviceaccount:${"*?".repeat(40)}*z`;
    expect(wildcardMatch(sub, `system:serviceaccount:${"a".repeat(50_000)}`)).toBe(false);
    expect(wildcardMatch("system:serviceaccount:payments:*", "system:serviceaccount:payments:api")).toBe(true);
    expect(wildcardMatch("sts.amazonaws.co?", "sts.amazonaws.com")).toBe(true);
  });

  it("agrees with the definition on small inputs", () => {
    const alpha = fc.constantFrom("a", "b", "*", "?", "/");
    fc.assert(
      fc.property(
        fc.string({ unit: alpha, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom("a", "b", "/"), maxLength: 10 }),
        (p, v) => {
          expect(wildcardMatches(p, v, { question: true })).toBe(reference(p, v, true));
          expect(wildcardMatches(p, v)).toBe(reference(p, v, false));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
