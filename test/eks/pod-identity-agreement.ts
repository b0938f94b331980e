// The Pod Identity half of "our evaluation agrees with the cloud": EKS Auth's real answer in a simulated world next
// to predictPodIdentity over the gathered facts, and over the same facts with every role the world holds readable
// (a target role in another account is invisible to the operator's IAM; the world still knows its trust policy).
import { expect } from "vitest";
import type { EksFacts } from "../../src/diagnosis/eks/facts.js";
import { predictPodIdentity } from "../../src/diagnosis/eks/pod-identity-chain.js";
import { ok } from "../../src/diagnosis/types.js";
import type { Scenario } from "../../src/sim/scenario.js";

/** EKS Auth refusals that come before any trust policy is evaluated. */
const BEFORE_TRUST = new Set(["InvalidTokenException", "ExpiredTokenException", "ResourceNotFoundException"]);

/** The facts as they would be if the operator could read every account's roles. */
export function withEveryRole(f: EksFacts, scenario: Scenario): EksFacts {
  const targets = { ...(f.podIdentityTargetRoles ?? {}) };
  for (const arn of Object.keys(targets)) {
    const [, , , , account, resource] = arn.split(":");
    const name = resource.split("/").pop();
    const role = scenario.aws?.roles.find(
      (r) => r.roleName === name && (r.accountId ?? scenario.aws?.accountId) === account,
    );
    targets[arn] = ok(role ? { arn, name: role.roleName, trustPolicy: role.assumeRolePolicyDocument } : null);
  }
  return { ...f, podIdentityTargetRoles: targets };
}

/**
 * Every world with a Pod Identity exchange: a definite prediction from what the operator read equals EKS Auth's
 * answer; with every role readable the prediction is always definite and still equal. Returns whether it compared.
 */
export function expectPodIdentityAgreement(f: EksFacts, scenario: Scenario, otherFindings: string[]): boolean {
  const x = f.podIdentityExchange?.status === "ok" ? f.podIdentityExchange.value : undefined;
  if (!x) return false;
  if (!x.ok && BEFORE_TRUST.has(x.code)) {
    // Refused before the trust policy: a finding other than the exchange's own must explain it.
    expect(otherFindings.filter((id) => id !== "eks.pod-identity-exchange").length).toBeGreaterThan(0);
    return true;
  }
  const read = predictPodIdentity(f);
  if (read.accepted !== undefined) expect(read.accepted, read.reason).toBe(x.ok);
  else expect(read.reason).toMatch(/could not be read|were not read|not read/);
  const full = predictPodIdentity(withEveryRole(f, scenario));
  expect(full.accepted, `${scenario.name}: ${full.stage}: ${full.reason}`).toBe(x.ok);
  return true;
}
