// EKS Pod Identity as EKS Auth performs it, evaluated from the facts: the association's role must trust
// pods.eks.amazonaws.com (sts:AssumeRole, and sts:TagSession with the session tags unless they are disabled); with a
// target role, the association's role then assumes the target, whose trust must name it and match the association's
// external id as sts:ExternalId, and (across accounts, or when the trust names only the account) the association's
// role must itself be allowed sts:AssumeRole on the target. Each hop is accepted, rejected, or unknown.
import { valueOf } from "../types.js";
import { parseRoleArn } from "./arn.js";
import type { AssociationFact, EksFacts, RoleFact } from "./facts.js";
import { serviceAccountAssociations } from "./names.js";
import {
  asList,
  evaluatePodIdentityTrust,
  evaluateTrustPolicy,
  podIdentityActions,
  statementsOf,
  type TrustEvaluation,
  wildcardMatch,
} from "./trust-policy.js";

export interface Hop {
  /** undefined: the facts do not settle it. */
  accepted?: boolean;
  reason: string;
  evaluation?: TrustEvaluation;
}

export interface ChainEvaluation {
  association: AssociationFact;
  sessionTags: boolean;
  role: Hop;
  /** With session tags disabled and the role refused: whether the tags would have let it through. */
  passesWithTags?: boolean;
  /** Whether the association's role may call sts:AssumeRole on the target (needed across accounts). */
  permission?: Hop;
  target?: Hop & { viaAccount?: boolean; externalIdCondition?: "matches" | "absent" | "mismatch" };
}

export interface PodIdentityPrediction {
  accepted?: boolean;
  stage: "role" | "session-tags" | "source-permission" | "target-trust" | "unknown";
  reason: string;
}

const ADMIN = /:policy\/AdministratorAccess$/;

function sessionTagContext(f: EksFacts, a: AssociationFact): Record<string, string | string[] | undefined> {
  const cluster = valueOf(f.cluster);
  return {
    "aws:RequestTag/eks-cluster-arn": cluster?.arn,
    "aws:RequestTag/eks-cluster-name": cluster?.name,
    "aws:RequestTag/kubernetes-namespace": a.namespace,
    "aws:RequestTag/kubernetes-service-account": a.serviceAccount,
    "aws:TagKeys": [
      "eks-cluster-arn",
      "eks-cluster-name",
      "kubernetes-namespace",
      "kubernetes-service-account",
      "kubernetes-pod-name",
      "kubernetes-pod-uid",
    ],
  };
}

function roleHop(f: EksFacts, a: AssociationFact, sessionTags: boolean): Hop & { role?: RoleFact } {
  if (!a.roleArn) return { reason: "the association's role is not known" };
  const g = f.podIdentityRoles[a.roleArn];
  if (!g) return { reason: "the role was not read" };
  if (g.status !== "ok") return { reason: `the role could not be read: ${g.reason}` };
  if (!g.value) return { accepted: false, reason: `the role ${a.roleArn} does not exist` };
  if (!g.value.trustPolicy) return { reason: "the role's trust policy could not be read", role: g.value };
  const cluster = valueOf(f.cluster);
  const e = evaluatePodIdentityTrust(g.value.trustPolicy, {
    accountId: valueOf(f.accountId),
    clusterArn: cluster?.arn,
    clusterName: cluster?.name,
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    sessionTags,
  });
  return {
    accepted: e.accepted,
    reason: e.accepted
      ? `statement ${e.allowedBy ?? 0} trusts pods.eks.amazonaws.com`
      : (e.failingClause?.reason ?? "no statement allows pods.eks.amazonaws.com"),
    evaluation: e,
    role: g.value,
  };
}

function targetHop(f: EksFacts, a: AssociationFact, sessionTags: boolean): NonNullable<ChainEvaluation["target"]> {
  const arn = a.targetRoleArn!;
  const g = f.podIdentityTargetRoles?.[arn];
  if (!g) return { reason: "the target role was not read" };
  if (g.status !== "ok") return { reason: `the target role could not be read: ${g.reason}` };
  if (!g.value) return { accepted: false, reason: `the target role ${arn} does not exist` };
  const doc = g.value.trustPolicy;
  if (!doc) return { reason: "the target role's trust policy could not be read" };
  const source = a.roleArn ?? "";
  const account = parseRoleArn(source)?.account ?? "";
  const partition = parseRoleArn(source)?.partition ?? "aws";
  const request = (principal: string) =>
    evaluateTrustPolicy(doc, {
      principalType: "AWS",
      principal,
      actions: podIdentityActions(sessionTags),
      context: {
        "sts:ExternalId": a.externalId,
        "aws:PrincipalArn": source,
        "aws:PrincipalAccount": account,
        ...(sessionTags ? sessionTagContext(f, a) : {}),
      },
    });
  const direct = request(source);
  const viaRoot = direct.accepted ? undefined : [`arn:${partition}:iam::${account}:root`, account].map(request);
  const e = direct.accepted ? direct : (viaRoot!.find((x) => x.accepted) ?? direct);
  const mentions = statementsOf(doc).flatMap((st) =>
    Object.entries(st.Condition ?? {}).flatMap(([, block]) =>
      Object.entries(block as Record<string, unknown>)
        .filter(([k]) => k.toLowerCase() === "sts:externalid")
        .flatMap(([, v]) => asList(v)),
    ),
  );
  const externalIdCondition = !mentions.length
    ? "absent"
    : mentions.some((m) => a.externalId !== undefined && wildcardMatch(m, a.externalId))
      ? "matches"
      : "mismatch";
  const fc = e.failingClause;
  const reason = e.accepted
    ? `the target's trust lets ${source} assume it`
    : fc && /^sts:externalid$/i.test(fc.key)
      ? `the target's trust expects sts:ExternalId ${fc.expected.join(", ")}, the association's external id is ${a.externalId ?? "(none)"}`
      : (fc?.reason ?? `no statement of the target's trust lets ${source} assume it`);
  return { accepted: e.accepted, reason, evaluation: e, viaAccount: e !== direct, externalIdCondition };
}

function permissionHop(f: EksFacts, a: AssociationFact, role: RoleFact | undefined, sessionTags: boolean): Hop {
  const target = a.targetRoleArn!;
  if (role?.attachedPolicies?.some((p) => ADMIN.test(p))) return { accepted: true, reason: "AdministratorAccess" };
  const g = f.podIdentitySourcePolicies?.[a.roleArn ?? ""];
  if (!g) return { reason: "the role's inline policies were not read" };
  if (g.status !== "ok") return { reason: `the role's inline policies could not be read: ${g.reason}` };
  const statements = Object.values(g.value).flatMap((doc) => statementsOf(doc));
  const hits = (st: (typeof statements)[number], action: string) =>
    asList(st.Action).some((x) => wildcardMatch(x, action, true)) &&
    asList((st as { Resource?: unknown }).Resource).some((r) => wildcardMatch(r, target));
  const missing = podIdentityActions(sessionTags).filter(
    (action) =>
      statements.some((st) => st.Effect === "Deny" && hits(st, action)) ||
      !statements.some((st) => st.Effect === "Allow" && hits(st, action)),
  );
  if (!missing.length) return { accepted: true, reason: `an inline policy allows it on ${target}` };
  // Managed policies other than AdministratorAccess are not read: they may grant it.
  if (role?.attachedPolicies?.length) {
    return { reason: `no inline policy allows ${missing.join(" and ")} on ${target}; attached policies were not read` };
  }
  return { accepted: false, reason: `no policy of ${a.roleArn} allows ${missing.join(" and ")} on ${target}` };
}

const evaluations = new WeakMap<EksFacts, ChainEvaluation | null>();

/** The chain for the service account's (first) association; null without one. Memoised per facts. */
export function podIdentityChain(f: EksFacts): ChainEvaluation | null {
  const cached = evaluations.get(f);
  if (cached !== undefined) return cached;
  const a = serviceAccountAssociations(f)[0];
  let result: ChainEvaluation | null = null;
  if (a) {
    const sessionTags = a.disableSessionTags !== true;
    const role = roleHop(f, a, sessionTags);
    result = { association: a, sessionTags, role };
    if (!sessionTags && role.accepted === false && role.evaluation) {
      result.passesWithTags = roleHop(f, a, true).accepted === true;
    }
    if (a.targetRoleArn) {
      const target = targetHop(f, a, sessionTags);
      result.target = target;
      const crossAccount = parseRoleArn(a.targetRoleArn)?.account !== parseRoleArn(a.roleArn ?? "")?.account;
      if (crossAccount || target.viaAccount) result.permission = permissionHop(f, a, role.role, sessionTags);
    }
  }
  evaluations.set(f, result);
  return result;
}

/** What EKS Auth should answer, from the facts alone: the role's trust, then the target hop. */
export function predictPodIdentity(f: EksFacts): PodIdentityPrediction {
  const c = podIdentityChain(f);
  if (!c) return { stage: "unknown", reason: "the service account has no Pod Identity association" };
  if (c.role.accepted !== true) {
    if (c.passesWithTags) {
      return { accepted: false, stage: "session-tags", reason: `${c.role.reason} (session tags are disabled)` };
    }
    return { accepted: c.role.accepted, stage: c.role.accepted === false ? "role" : "unknown", reason: c.role.reason };
  }
  if (c.permission?.accepted === false)
    return { accepted: false, stage: "source-permission", reason: c.permission.reason };
  if (c.target?.accepted === false) return { accepted: false, stage: "target-trust", reason: c.target.reason };
  if (c.permission && c.permission.accepted === undefined) return { stage: "unknown", reason: c.permission.reason };
  if (c.target && c.target.accepted === undefined) return { stage: "unknown", reason: c.target.reason };
  return { accepted: true, stage: c.target ? "target-trust" : "role", reason: c.target?.reason ?? c.role.reason };
}
