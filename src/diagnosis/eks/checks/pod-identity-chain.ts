// EKS Pod Identity beyond the first role: session tags switched off, the target role of a chained association
// (its trust, the external id, the source role's permission), and EKS Auth's own answer next to our evaluation.
import type { Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import type { EksFacts } from "../facts.js";
import { names, sh } from "../names.js";
import { type ChainEvaluation, podIdentityChain, predictPodIdentity } from "../pod-identity-chain.js";
import { podIdentityActions } from "../trust-policy.js";
import { eksCheck, podIdentity } from "./define.js";

const chained = (f: EksFacts) => podIdentity(f) && Boolean(podIdentityChain(f)?.association.targetRoleArn);
const roleName = (arn: string) => arn.split("/").pop() ?? arn;
const exchangeOk = (f: EksFacts) => valueOf(f.podIdentityExchange)?.ok === true;

function targetTrust(c: ChainEvaluation, sessionTags: boolean) {
  const a = c.association;
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { AWS: a.roleArn },
        Action: podIdentityActions(sessionTags),
        Condition: { StringEquals: { "sts:ExternalId": a.externalId ?? "<external-id>" } },
      },
    ],
  });
}

export const podIdentitySessionTags = eksCheck({
  id: "eks.pod-identity-session-tags",
  doc: {
    meaning:
      "The association sets `disableSessionTags`, but the role's trust only admits EKS Pod Identity through conditions on the session tags (`aws:RequestTag/kubernetes-namespace`, `aws:TagKeys`, …): without tags those keys are absent and the conditions cannot hold. With tags disabled, `sts:TagSession` is not needed (a trust with `sts:AssumeRole` alone then works).",
    symptom: "EKS Auth `AccessDeniedException`",
  },
  severity: "error",
  essential: (f) => podIdentity(f) && podIdentityChain(f)?.sessionTags === false,
  title: "With session tags disabled, the role's trust does not depend on them",
  skippedBecause(f) {
    const c = podIdentityChain(f);
    if (!c) return "the service account has no Pod Identity association";
    if (c.sessionTags) return "the association keeps the session tags";
    if (c.role.accepted === undefined) return c.role.reason;
    return undefined;
  },
  run(f) {
    const c = podIdentityChain(f)!;
    if (c.role.accepted !== false || !c.passesWithTags) return [];
    const n = names(f);
    const a = c.association;
    return [
      {
        id: this.id,
        severity: "error",
        title: `The association disables session tags, but role ${roleName(a.roleArn ?? "")} trusts EKS Pod Identity only with them: ${c.role.reason}`,
        evidence: {
          associationId: a.associationId,
          roleArn: a.roleArn,
          disableSessionTags: true,
          failingClause: c.role.evaluation?.failingClause,
          note: "without session tags the request carries no aws:RequestTag/* or aws:TagKeys keys, so conditions on them cannot hold",
        },
        fix: {
          summary:
            "Turn the session tags back on (the role already allows sts:TagSession), or drop the conditions on aws:RequestTag/* from the trust.",
          commands: [
            `aws eks update-pod-identity-association --cluster-name ${sh(n.clusterName)} --region ${sh(n.region)} --association-id ${sh(a.associationId)} --no-disable-session-tags`,
          ],
        },
      },
    ];
  },
});

export const podIdentitySourcePermission = eksCheck({
  id: "eks.pod-identity-source-permission",
  doc: {
    meaning:
      "The association names a target role (`targetRoleArn`) in another account, or one whose trust names only the account, and the association's role has no policy allowing `sts:AssumeRole` (and `sts:TagSession` with session tags) on it. Across accounts both the source's permission and the target's trust are needed. Inline policies and `AdministratorAccess` are read; other managed policies are not, and then the check says it cannot tell.",
    symptom: "EKS Auth `AccessDeniedException`",
  },
  severity: "error",
  essential: (f) => chained(f) && Boolean(podIdentityChain(f)?.permission),
  title: "The association's role may call sts:AssumeRole on its target role",
  skippedBecause(f) {
    const c = podIdentityChain(f);
    if (!c?.association.targetRoleArn) return "the association has no target role";
    if (!c.permission) return "the target is in the same account and its trust names the role itself";
    if (c.permission.accepted === undefined && exchangeOk(f)) return undefined;
    if (c.permission.accepted === undefined) return c.permission.reason;
    return undefined;
  },
  run(f) {
    const c = podIdentityChain(f)!;
    if (c.permission?.accepted !== false) return [];
    const a = c.association;
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: podIdentityActions(c.sessionTags), Resource: a.targetRoleArn }],
    });
    return [
      {
        id: this.id,
        severity: "error",
        title: `Role ${roleName(a.roleArn ?? "")} is not allowed to assume the target role ${a.targetRoleArn}`,
        evidence: {
          associationId: a.associationId,
          sourceRoleArn: a.roleArn,
          targetRoleArn: a.targetRoleArn,
          requiredActions: podIdentityActions(c.sessionTags),
          reason: c.permission.reason,
        },
        fix: {
          summary: "Allow the association's role to assume the target role (a cross-account assume needs both sides).",
          commands: [
            `aws iam put-role-policy --role-name ${sh(roleName(a.roleArn ?? ""))} --policy-name assume-pod-identity-target --policy-document ${sh(policy)}`,
          ],
        },
      },
    ];
  },
});

export const podIdentityTargetTrust = eksCheck({
  id: "eks.pod-identity-target-trust",
  doc: {
    severity: "error (warning when the target's trust checks no `sts:ExternalId`)",
    meaning:
      "The target role's trust does not let the association's role assume it: the principal is not that role (or its account), an action is missing, or its `sts:ExternalId` condition does not match the external id EKS generated for the association (a new one after the association is deleted and created again). A target in another account cannot be read with the cluster account's credential: then EKS Auth's refusal is reported with the external id to put in the trust.",
    symptom: "EKS Auth `AccessDeniedException`",
  },
  severity: "error",
  essential: chained,
  title: "The target role trusts the association's role with the association's external id",
  skippedBecause(f) {
    const c = podIdentityChain(f);
    if (!c?.association.targetRoleArn) return "the association has no target role";
    const t = c.target!;
    // Unreadable (another account): EKS Auth's answer is the evidence, when there is one.
    if (t.accepted === undefined && f.podIdentityExchange?.status !== "ok") return t.reason;
    return undefined;
  },
  run(f) {
    const c = podIdentityChain(f)!;
    const a = c.association;
    const t = c.target!;
    const x = valueOf(f.podIdentityExchange);
    const unread = t.accepted === undefined;
    const refusedAtTarget =
      unread &&
      x &&
      !x.ok &&
      x.code === "AccessDeniedException" &&
      c.role.accepted === true &&
      c.permission?.accepted !== false;
    const externalIdUnchecked = t.accepted === true && t.externalIdCondition === "absent";
    if (!(t.accepted === false || refusedAtTarget || externalIdUnchecked)) return [];
    const account = a.targetRoleArn!.split(":")[4];
    const finding: Finding = {
      id: this.id,
      severity: externalIdUnchecked ? "warning" : "error",
      title: externalIdUnchecked
        ? `The target role ${roleName(a.targetRoleArn!)} does not check sts:ExternalId: any association using ${roleName(a.roleArn ?? "")} can assume it`
        : unread
          ? `EKS Auth could not assume the target role ${a.targetRoleArn} (account ${account}, whose trust this credential cannot read)${c.permission?.accepted === undefined && c.permission ? `; ${c.permission.reason}` : ""}`
          : `The target role ${roleName(a.targetRoleArn!)} refuses the association's role: ${t.reason}`,
      evidence: {
        associationId: a.associationId,
        sourceRoleArn: a.roleArn,
        targetRoleArn: a.targetRoleArn,
        externalId: a.externalId,
        externalIdCondition: t.externalIdCondition ?? "unknown",
        requiredActions: podIdentityActions(c.sessionTags),
        ...(refusedAtTarget && x && !x.ok ? { eksAuthCode: x.code, eksAuthMessage: x.message } : {}),
        failingClause: t.evaluation?.failingClause,
      },
      fix: {
        summary: `In account ${account}, let ${a.roleArn} assume the target with ${podIdentityActions(c.sessionTags).join(" and ")}, on the condition sts:ExternalId = the association's external id.`,
        commands: [
          `aws iam update-assume-role-policy --role-name ${sh(roleName(a.targetRoleArn!))} --policy-document ${sh(targetTrust(c, c.sessionTags))}`,
        ],
      },
    };
    return [finding];
  },
});

export const podIdentityExchange = eksCheck({
  id: "eks.pod-identity-exchange",
  doc: {
    severity: "error (warning when EKS Auth issues credentials we predicted it would refuse)",
    meaning:
      "EKS Auth's answer to `AssumeRoleForPodIdentity` with a minted `pods.eks.amazonaws.com` token disagrees with what the association and the roles predict, or it refused for a reason no other check found. Both answers are in the evidence.",
    symptom: "the agent's error in the SDK's message",
  },
  severity: "error",
  title: "EKS Auth answers the service account's token as the trust evaluation predicts",
  skippedBecause(f) {
    if (!podIdentity(f)) return "the service account does not use EKS Pod Identity";
    if (!f.podIdentityExchange) return "EKS Auth was not asked";
    if (f.podIdentityExchange.status !== "ok") return f.podIdentityExchange.reason;
    return undefined;
  },
  run(f) {
    const x = valueOf(f.podIdentityExchange)!;
    const p = predictPodIdentity(f);
    const c = podIdentityChain(f);
    if (x.ok && p.accepted !== false) return [];
    if (!x.ok && p.accepted === false) return [];
    // An unreadable target refused by EKS Auth: eks.pod-identity-target-trust speaks for it.
    if (!x.ok && p.accepted === undefined && c?.target?.accepted === undefined && x.code === "AccessDeniedException")
      return [];
    const n = names(f);
    const predicted = p.accepted === undefined ? "unknown" : p.accepted ? "accepted" : "rejected";
    return [
      {
        id: this.id,
        severity: x.ok ? "warning" : "error",
        title: x.ok
          ? `EKS Auth issued credentials although our evaluation predicted a refusal (${p.reason})`
          : p.accepted
            ? `EKS Auth refused the token (${x.code}: ${x.message}) although the configuration we read allows it`
            : `EKS Auth refused the token: ${x.code}: ${x.message}`,
        evidence: {
          eksAuth: x.ok
            ? { ok: true, assumedRoleArn: x.assumedRoleArn }
            : { ok: false, code: x.code, message: x.message },
          predictedFromConfiguration: predicted,
          predictionStage: p.stage,
          predictionReason: p.reason,
          associationId: c?.association.associationId,
        },
        fix: {
          summary: x.ok
            ? "Both answers are shown: re-read the role's trust policy (a newer version than the one read, or a condition this evaluation does not model)."
            : "Compare EKS Auth's answer with the association and the role as read; IAM changes can take a few seconds to apply.",
          commands: [
            `aws eks describe-pod-identity-association --cluster-name ${sh(n.clusterName)} --region ${sh(n.region)} --association-id ${sh(c?.association.associationId ?? "<association-id>")}`,
          ],
        },
      },
    ];
  },
});
