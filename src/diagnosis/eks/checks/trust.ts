// The IRSA role: it exists, and its trust policy lets this service account's token in.
import type { CheckDoc, Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import type { EksFacts } from "../facts.js";
import {
  customAudience,
  customAudienceFix,
  DEFAULT_AUDIENCE,
  irsaEvaluation,
  mechanismOf,
  names,
  sh,
} from "../names.js";
import { type FailingClause, statementsOf, type TrustEvaluation, WEB_IDENTITY_ACTION } from "../trust-policy.js";
import { eksCheck, irsa } from "./define.js";
import type { ErrorClass } from "../../errors/taxonomy.js";

const needRole = (f: EksFacts): string | undefined => {
  if (mechanismOf(f) !== "irsa") return "the service account does not use IRSA";
  if (f.irsaRole.status !== "ok") return `the role could not be read: ${f.irsaRole.reason}`;
  return undefined;
};

const needTrust = (f: EksFacts): string | undefined => {
  const why = needRole(f);
  if (why) return why;
  const role = valueOf(f.irsaRole);
  if (!role) return "the role does not exist";
  if (!role.trustPolicy) return `the trust policy could not be read: ${role.trustPolicyProblem ?? "empty"}`;
  if (f.issuer.status !== "ok") return `the cluster's issuer is unknown: ${f.issuer.reason}`;
  return undefined;
};

export const iamRoleNotFound = eksCheck({
  id: "iam.role-not-found",
  doc: {
    meaning: "The annotated role does not exist in its account.",
    symptom: "`AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity`",
  },
  supersedes: ["exchange.failed"],
  severity: "error",
  confirms: ["irsa_trust_policy_mismatch"],
  essential: irsa,
  title: "The annotated IAM role exists",
  skippedBecause: needRole,
  run(f) {
    if (valueOf(f.irsaRole)) return [];
    const n = names(f);
    const caller = valueOf(f.accountId);
    return [
      {
        id: this.id,
        severity: "error",
        title: `IAM role ${n.roleName} does not exist in account ${n.roleAccount ?? n.accountId}`,
        evidence: {
          annotatedRoleArn: n.roleArn,
          roleName: n.roleName,
          ...(caller ? { callerAccount: caller } : {}),
          stsWillSay: "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity",
        },
        fix: {
          summary:
            "Create the role with a trust policy for this service account (eksctl does both), or fix the name in the annotation.",
          commands: [
            `aws iam list-roles --query ${sh(`Roles[?contains(RoleName, '${n.roleName.slice(0, 12)}')].Arn`)} --output text`,
            `eksctl create iamserviceaccount --cluster ${sh(n.clusterName)} --region ${sh(n.region)} --namespace ${sh(n.namespace)} --name ${sh(n.serviceAccount)} --role-name ${sh(n.roleName)} --role-only --attach-policy-arn <policy-arn> --approve`,
          ],
        },
      },
    ];
  },
});

/**
 * A role ARN naming another account than the operator's: its trust policy cannot be read from here, so only
 * STS can tell. When STS refuses, the usual causes are an account id typo, or a cross-account role whose
 * account has no OIDC provider for this cluster.
 */
export const iamRoleOtherAccount = eksCheck({
  id: "iam.role-other-account",
  doc: {
    severity: "error (info while STS has not been asked)",
    meaning:
      "The role ARN names an account other than the operator's, so its trust policy cannot be read (IAM `GetRole` only looks in the caller's account; a role of the same name there is not judged in its place), and STS refused the token. An account id typo, or a cross-account role whose account lacks this cluster's OIDC provider or a trust policy naming it. Nothing is reported when STS accepts.",
    symptom: "`AccessDenied`",
  },
  supersedes: ["exchange.failed"],
  severity: "error",
  title: "The annotated role is in the account this diagnosis can read",
  skippedBecause(f) {
    if (mechanismOf(f) !== "irsa") return "the service account does not use IRSA";
    if (f.accountId.status !== "ok") return `the caller's account is unknown: ${f.accountId.reason}`;
    if (!names(f).roleAccount) return "the role ARN is malformed";
    return undefined;
  },
  run(f) {
    const n = names(f);
    const caller = valueOf(f.accountId);
    if (!n.roleAccount || !caller || n.roleAccount === caller) return [];
    const x = valueOf(f.exchange);
    if (x?.ok) return [];
    const cluster = valueOf(f.cluster);
    const clusterAccount = cluster?.arn ? /^arn:[^:]+:eks:[^:]*:(\d{12}):/.exec(cluster.arn)?.[1] : undefined;
    const refused = x !== undefined && !x.ok;
    return [
      {
        id: this.id,
        severity: refused ? "error" : "info",
        title: refused
          ? `The role ARN names account ${n.roleAccount}, not ${clusterAccount ?? caller}, and STS refused the token`
          : `The role ARN names account ${n.roleAccount}; its trust policy cannot be read with this credential (account ${caller})`,
        evidence: {
          annotatedRoleArn: n.roleArn,
          roleAccount: n.roleAccount,
          callerAccount: caller,
          ...(clusterAccount ? { clusterAccount } : {}),
          ...(refused ? { stsCode: x.code, stsMessage: x.message } : {}),
          requiredInRoleAccount: `an IAM OIDC provider ${n.providerArn} and a trust policy naming it`,
        },
        fix: {
          summary:
            "If the account id is a typo, correct the annotation and restart the pods. For a role meant to live in another account, create this cluster's OIDC provider in that account and trust it from the role.",
          commands: [
            `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} eks.amazonaws.com/role-arn=${sh(n.roleArn.replace(`::${n.roleAccount}:`, `::${caller}:`))} --overwrite`,
            `aws iam create-open-id-connect-provider --url ${sh(n.issuer)} --client-id-list sts.amazonaws.com --profile <profile-of-account-${n.roleAccount}>`,
            `aws iam get-role --role-name ${sh(n.roleName)} --query Role.AssumeRolePolicyDocument --profile <profile-of-account-${n.roleAccount}>`,
          ],
        },
      },
    ];
  },
});

/** The trust policy that would let exactly this service account in, for the fix commands. */
export function suggestedTrustPolicy(f: EksFacts): string {
  const n = names(f);
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: n.providerArn },
        Action: WEB_IDENTITY_ACTION,
        Condition: { StringEquals: { [`${n.providerUrl}:sub`]: n.subject, [`${n.providerUrl}:aud`]: n.audience } },
      },
    ],
  });
}

function updateTrustCommands(f: EksFacts): string[] {
  const n = names(f);
  return [
    `aws iam get-role --role-name ${sh(n.roleName)} --query Role.AssumeRolePolicyDocument`,
    `aws iam update-assume-role-policy --role-name ${sh(n.roleName)} --policy-document ${sh(suggestedTrustPolicy(f))}`,
  ];
}

type TrustFindingId =
  | "iam.trust-provider-mismatch"
  | "iam.trust-action-missing"
  | "iam.trust-explicit-deny"
  | "iam.trust-wildcard-in-stringequals"
  | "iam.trust-condition-key-invalid"
  | "iam.trust-subject-mismatch"
  | "iam.trust-audience-mismatch"
  | "iam.trust-condition-failed";

/** Which finding explains the clause that rejects the token. */
export function classifyFailure(e: TrustEvaluation): TrustFindingId | undefined {
  const c = e.failingClause;
  if (e.accepted || !c) return undefined;
  if (c.key.startsWith("Principal.") || c.key === "Statement") return "iam.trust-provider-mismatch";
  if (c.key === "Action") return "iam.trust-action-missing";
  if (c.key === "Effect") return "iam.trust-explicit-deny";
  const mistake = e.mistakes.find((m) => m.statementIndex === c.statementIndex && m.actual === c.key);
  if (
    e.mistakes.some(
      (m) =>
        m.kind === "wildcard-in-stringequals" &&
        m.statementIndex === c.statementIndex &&
        c.expected.includes(m.actual ?? ""),
    )
  ) {
    return "iam.trust-wildcard-in-stringequals";
  }
  if (
    mistake &&
    ["condition-key-is-arn", "condition-key-has-scheme", "condition-key-other-provider"].includes(mistake.kind)
  ) {
    return "iam.trust-condition-key-invalid";
  }
  if (/:sub$/i.test(c.key)) return "iam.trust-subject-mismatch";
  if (/:aud$/i.test(c.key)) return "iam.trust-audience-mismatch";
  return "iam.trust-condition-failed";
}

function clauseEvidence(f: EksFacts, e: TrustEvaluation, c: FailingClause) {
  const n = names(f);
  const st = statementsOf(valueOf(f.irsaRole)?.trustPolicy)[c.statementIndex];
  return {
    statement: c.statementIndex,
    ...(st?.Sid ? { sid: st.Sid } : {}),
    key: c.key,
    operator: c.operator,
    policyExpects: c.expected,
    tokenHas: c.actual,
    reason: c.reason,
    serviceAccountSubject: n.subject,
    clusterProviderArn: n.providerArn,
    mistakes: e.mistakes
      .filter((m) => m.statementIndex === c.statementIndex || m.statementIndex === -1)
      .map((m) => m.detail),
  };
}

const TITLES: Record<TrustFindingId, (f: EksFacts, c: FailingClause) => string> = {
  "iam.trust-provider-mismatch": (f) =>
    `The trust policy of ${names(f).roleName} does not trust this cluster's OIDC provider`,
  "iam.trust-action-missing": (f) => `The trust policy of ${names(f).roleName} does not allow ${WEB_IDENTITY_ACTION}`,
  "iam.trust-explicit-deny": (f) =>
    `A Deny statement in the trust policy of ${names(f).roleName} rejects this service account`,
  "iam.trust-wildcard-in-stringequals": (_f, c) =>
    `StringEquals on ${c.key} holds a wildcard, which matches nothing (use StringLike)`,
  "iam.trust-condition-key-invalid": (_f, c) =>
    `The condition key "${c.key}" is never set by STS, so the condition cannot hold`,
  "iam.trust-subject-mismatch": (f) => `The trust policy's :sub condition does not match ${names(f).subject}`,
  "iam.trust-audience-mismatch": (f) =>
    `The trust policy's :aud condition does not match the token audience ${names(f).audience}`,
  "iam.trust-condition-failed": (_f, c) => `The trust policy condition ${c.operator} on ${c.key} does not hold`,
};

function trustCheck<const Id extends TrustFindingId>(
  id: Id,
  title: string,
  doc: CheckDoc,
  confirms: readonly ErrorClass[] = [],
) {
  return eksCheck({
    id,
    title,
    doc,
    severity: "error",
    // STS refuses the token because of the failing clause: its finding is the consequence.
    supersedes: ["exchange.failed"],
    confirms: [...confirms, "irsa_trust_policy_mismatch"],
    essential: irsa,
    skippedBecause: needTrust,
    run(f) {
      const e = irsaEvaluation(f);
      if (!e) return [];
      const cls = classifyFailure(e);
      const findings: Finding[] = [];
      if (cls === id && e.failingClause) {
        const c = e.failingClause;
        const policySide = {
          summary:
            id === "iam.trust-wildcard-in-stringequals"
              ? "Use StringLike for patterns, or the exact subject with StringEquals."
              : "Make the trust policy name this cluster's provider, the sts:AssumeRoleWithWebIdentity action, and this service account's subject and audience.",
          commands: updateTrustCommands(f),
        };
        // The policy expects the default audience and the annotation asks for another: the annotation is wrong.
        const custom =
          id === "iam.trust-audience-mismatch" && c.expected.includes(DEFAULT_AUDIENCE) ? customAudience(f) : undefined;
        findings.push({
          id,
          severity: "error",
          title: TITLES[id](f, c),
          evidence: { ...clauseEvidence(f, e, c), ...(custom ? { annotatedAudience: custom } : {}) },
          fix: custom ? customAudienceFix(f, policySide) : policySide,
        });
      }
      // A wildcard in StringEquals that does not decide the outcome still matches nothing: worth knowing.
      if (id === "iam.trust-wildcard-in-stringequals" && cls !== id) {
        for (const m of e.mistakes.filter((x) => x.kind === "wildcard-in-stringequals")) {
          findings.push({
            id,
            severity: "warning",
            title: `Statement ${m.statementIndex} uses a wildcard inside StringEquals; that condition never matches`,
            evidence: { statement: m.statementIndex, value: m.actual, detail: m.detail },
            fix: { summary: "Use StringLike where a pattern is meant.", commands: updateTrustCommands(f) },
          });
        }
      }
      return findings;
    },
  });
}

export const trustProviderMismatch = trustCheck(
  "iam.trust-provider-mismatch",
  "The trust policy trusts this cluster's OIDC provider",
  {
    meaning:
      "No Allow statement's `Principal.Federated` is this cluster's provider ARN (another cluster, another account, another region, a typo, or a URL instead of the ARN).",
    symptom: "`AccessDenied`",
  },
  ["irsa_no_oidc_provider"],
);
export const trustActionMissing = trustCheck(
  "iam.trust-action-missing",
  "The trust policy allows sts:AssumeRoleWithWebIdentity",
  {
    meaning: "The statement for the provider does not allow `sts:AssumeRoleWithWebIdentity` (e.g. `sts:AssumeRole`).",
    symptom: "`AccessDenied`",
  },
);
export const trustExplicitDeny = trustCheck(
  "iam.trust-explicit-deny",
  "No Deny statement rejects the service account",
  { meaning: "A Deny statement matches this service account; a Deny always wins.", symptom: "`AccessDenied`" },
);
export const trustWildcardInStringEquals = trustCheck(
  "iam.trust-wildcard-in-stringequals",
  "No wildcard is used inside StringEquals",
  {
    severity: "error (warning when it does not decide the outcome)",
    meaning: "`*` or `?` inside `StringEquals`, which compares literally; `StringLike` is needed for patterns.",
    symptom: "`AccessDenied`",
  },
);
export const trustConditionKeyInvalid = trustCheck(
  "iam.trust-condition-key-invalid",
  "Condition keys are <provider-url>:sub / :aud",
  {
    meaning:
      "A condition key STS never sets: the provider's full ARN or a `https://` prefix instead of `<provider-url>:sub`, or another provider's URL.",
    symptom: "`AccessDenied`",
  },
);
export const trustSubjectMismatch = trustCheck(
  "iam.trust-subject-mismatch",
  "The :sub condition matches the service account",
  {
    meaning:
      "The `:sub` condition does not match `system:serviceaccount:<namespace>:<name>` (the evidence names the differing part, or sub and aud swapped).",
    symptom: "`AccessDenied`",
  },
);
export const trustAudienceMismatch = trustCheck(
  "iam.trust-audience-mismatch",
  "The :aud condition matches the token audience",
  { meaning: "The `:aud` condition does not match the token's audience.", symptom: "`AccessDenied`" },
  ["irsa_bad_audience"],
);
export const trustConditionFailed = trustCheck(
  "iam.trust-condition-failed",
  "Every other trust policy condition holds",
  { meaning: "Another condition of the closest statement does not hold.", symptom: "`AccessDenied`" },
);

export const trustSubjectUnrestricted = eksCheck({
  id: "iam.trust-subject-unrestricted",
  doc: {
    meaning:
      "The statement that admits the token has no `:sub` condition: every service account in the cluster can assume the role.",
    symptom: "none (a security gap)",
  },
  severity: "warning",
  title: "The trust policy restricts which service account may assume the role",
  skippedBecause: needTrust,
  run(f) {
    const e = irsaEvaluation(f);
    if (!e?.accepted) return [];
    const m = e.mistakes.find((x) => x.kind === "subject-condition-missing" && x.statementIndex === e.allowedBy);
    if (!m) return [];
    const n = names(f);
    return [
      {
        id: this.id,
        severity: "warning",
        title: `Any service account in the cluster can assume ${n.roleName}: the trust policy has no :sub condition`,
        evidence: { statement: m.statementIndex, detail: m.detail, suggestedSubject: n.subject },
        fix: { summary: "Add a StringEquals condition on <provider-url>:sub.", commands: updateTrustCommands(f) },
      },
    ];
  },
});
