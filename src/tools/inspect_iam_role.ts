import { z } from "zod";
import { type EksCheckId, gather, partialEksFacts, runEksChecks } from "./step.js";
import { parseRoleArn } from "../diagnosis/eks/arn.js";
import type { RoleFact, ServiceAccountFact } from "../diagnosis/eks/facts.js";
import { eksRegistry } from "../diagnosis/eks/registry.js";
import { irsaEvaluation, names, ROLE_ARN_KEY } from "../diagnosis/eks/names.js";
import { evaluatePodIdentityTrust, statementsOf, type TrustEvaluation } from "../diagnosis/eks/trust-policy.js";
import { type Gathered, ok, skipped, valueOf } from "../diagnosis/types.js";
import { EksGatherer } from "../gather/eks.js";
import { defineTool, ToolInputError } from "./define.js";
import { envFor } from "./platform.js";
import { CheckResultSchema, FindingSchema, k8sName, namespaceField } from "./schemas.js";

const ClauseSchema = z.object({
  statementIndex: z.number(),
  key: z.string(),
  operator: z.string(),
  expected: z.array(z.string()),
  actual: z.union([z.string(), z.array(z.string())]).nullable(),
  reason: z.string(),
});

const EvaluationSchema = z.object({
  accepted: z.boolean(),
  decision: z.enum(["allow", "explicit-deny", "implicit-deny"]),
  allowedBy: z.number().nullable().describe("Index of the statement that lets the request in"),
  failingClause: ClauseSchema.nullable().describe(
    "The clause that rejects the request, from the statement that came closest",
  ),
  mistakes: z.array(z.object({ kind: z.string(), statementIndex: z.number(), detail: z.string() })),
});

function evaluationOutput(e: TrustEvaluation): z.infer<typeof EvaluationSchema> {
  return {
    accepted: e.accepted,
    decision: e.decision,
    allowedBy: e.allowedBy ?? null,
    failingClause: e.failingClause ? { ...e.failingClause, actual: e.failingClause.actual ?? null } : null,
    mistakes: e.mistakes.map((m) => ({ kind: m.kind, statementIndex: m.statementIndex, detail: m.detail })),
  };
}

const TRUST_CHECKS: readonly EksCheckId[] = eksRegistry.map((c) => c.id).filter((id) => id.startsWith("iam."));

export const inspectIamRole = defineTool({
  name: "inspect_iam_role",
  example: { roleName: "payments-api" },
  toolsets: ["eks"],
  summary: "EKS: the role's trust policy, decoded and evaluated for a service account.",
  title: "Inspect an IAM role's trust policy (EKS)",
  description:
    "Use on EKS to see whether an IAM role would accept a service account's token. Given namespace and serviceAccount, evaluates its trust policy as STS does for AssumeRoleWithWebIdentity (principal, action, :sub and :aud conditions). Returns whether the token is accepted, the failing clause, classic mistakes (wildcard in StringEquals, swapped sub and aud, another account's provider) and fixes; Pod Identity trust is judged too. Next: diagnose_workload_identity.",
  inputSchema: z.object({
    roleArn: z.string().min(20).max(2048).optional().describe("arn:aws:iam::<account>:role/<name>"),
    roleName: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[\w+=,.@-]+$/, { message: "expected an IAM role name (letters, digits and +=,.@_-)" })
      .optional()
      .describe("Role name, when the ARN is not at hand"),
    namespace: namespaceField.optional(),
    serviceAccount: k8sName("service account").optional(),
  }),
  outputSchema: z.object({
    role: z.object({
      status: z.enum(["ok", "skipped", "error"]),
      reason: z.string().nullable(),
      exists: z.boolean().nullable(),
      arn: z.string().nullable(),
      name: z.string(),
      attachedPolicies: z.array(z.string()),
    }),
    trustPolicy: z.unknown().describe("The decoded trust policy document"),
    irsa: z
      .object({
        providerArn: z.string(),
        subject: z.string(),
        audience: z.string(),
        evaluation: EvaluationSchema,
      })
      .nullable()
      .describe("The evaluation for the service account's token (null without namespace and serviceAccount)"),
    podIdentity: EvaluationSchema.nullable().describe("The evaluation for EKS Pod Identity (pods.eks.amazonaws.com)"),
    findings: z.array(FindingSchema),
    checks: z.array(CheckResultSchema),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(input, ctx) {
    if (!input.roleArn && !input.roleName) throw new ToolInputError("roleArn | roleName", "one of them");
    if (Boolean(input.namespace) !== Boolean(input.serviceAccount)) {
      throw new ToolInputError("namespace + serviceAccount", "both, or neither");
    }
    const parsed = input.roleArn ? parseRoleArn(input.roleArn.trim()) : undefined;
    if (input.roleArn && !parsed) {
      throw new ToolInputError("roleArn", "arn:aws:iam::<12-digit-account>:role/<name>", input.roleArn);
    }
    const roleName = parsed?.roleName ?? input.roleName!;
    const env = await envFor(ctx, "inspect_iam_role", "eks");
    const g = new EksGatherer(env, ctx.signal);
    const ns = input.namespace;
    const saName = input.serviceAccount;

    const [roleG, accountId, cluster, apiIssuer, arns, saG] = await Promise.all([
      gather<RoleFact | null>(`IAM role ${roleName}`, async () => {
        const [r, policies] = await Promise.all([
          g.aws.getRole(roleName, { signal: ctx.signal }),
          g.aws.listAttachedRolePolicies(roleName, { signal: ctx.signal }).catch(() => undefined),
        ]);
        return r
          ? {
              arn: r.arn,
              name: r.name,
              trustPolicy: r.trustPolicy,
              trustPolicyProblem: r.trustPolicyProblem,
              attachedPolicies: policies?.map((p) => p.arn),
            }
          : null;
      }),
      g.accountId(),
      g.cluster(),
      g.apiServerIssuer(),
      g.oidcProviderArns(),
      ns && saName
        ? g.serviceAccount(ns, saName)
        : Promise.resolve(skipped<ServiceAccountFact | null>("no service account given")),
    ]);
    const issuer: Gathered<string> = valueOf(cluster)?.issuer ? ok(valueOf(cluster)!.issuer!) : apiIssuer;
    const oidcProvider = await g.oidcProvider(arns, issuer);
    const role = valueOf(roleG);
    const roleArn =
      role?.arn ?? input.roleArn ?? `arn:aws:iam::${valueOf(accountId) ?? "<account-id>"}:role/${roleName}`;
    // The checks read the role from the annotation: present the inspected role as if annotated.
    const sa = valueOf(saG);
    const serviceAccount: Gathered<ServiceAccountFact | null> = ok({
      name: saName ?? "<service-account>",
      namespace: ns ?? "<namespace>",
      annotations: { ...(sa?.annotations ?? {}), [ROLE_ARN_KEY]: roleArn },
    });
    const facts = partialEksFacts(
      { namespace: ns ?? "<namespace>", serviceAccount: saName },
      {
        region: g.region,
        accountId,
        cluster,
        issuer,
        oidcProviderArns: arns,
        oidcProvider,
        serviceAccount,
        irsaRole: roleG,
      },
    );
    const withSa = Boolean(ns && saName);
    const checks = withSa
      ? TRUST_CHECKS
      : TRUST_CHECKS.filter((id) => id === "iam.role-not-found" || id === "iam.trust-wildcard-in-stringequals");
    const result = runEksChecks(facts, checks);
    const evaluation = withSa ? irsaEvaluation(facts) : undefined;
    const n = names(facts);
    const trustsPods = statementsOf(role?.trustPolicy).some((s) => {
      const p = s.Principal as { Service?: unknown } | undefined;
      return p && typeof p === "object" && JSON.stringify(p.Service ?? "").includes("pods.eks.amazonaws.com");
    });
    const clusterFact = valueOf(cluster);
    const podIdentity =
      role?.trustPolicy && (trustsPods || !evaluation?.accepted)
        ? evaluatePodIdentityTrust(role.trustPolicy, {
            accountId: valueOf(accountId),
            clusterArn: clusterFact?.arn,
            clusterName: clusterFact?.name,
            namespace: ns ?? "",
            serviceAccount: saName ?? "",
          })
        : undefined;
    return {
      role: {
        status: roleG.status,
        reason: roleG.status === "ok" ? null : roleG.reason,
        exists: roleG.status === "ok" ? Boolean(role) : null,
        arn: role?.arn ?? null,
        name: roleName,
        attachedPolicies: role?.attachedPolicies ?? [],
      },
      trustPolicy: role?.trustPolicy ?? null,
      irsa: evaluation
        ? {
            providerArn: n.providerArn,
            subject: n.subject,
            audience: n.audience,
            evaluation: evaluationOutput(evaluation),
          }
        : null,
      podIdentity: podIdentity && trustsPods ? evaluationOutput(podIdentity) : null,
      findings: result.findings,
      checks: result.checks,
    };
  },
  render(out) {
    const lines = [
      `Role ${out.role.name}: ${out.role.status === "ok" ? (out.role.exists ? out.role.arn : "does not exist") : out.role.reason}`,
    ];
    if (out.irsa) {
      const e = out.irsa.evaluation;
      lines.push(
        `IRSA for ${out.irsa.subject} (aud ${out.irsa.audience}) via ${out.irsa.providerArn}: ${e.accepted ? `accepted by statement ${e.allowedBy}` : "REJECTED"}`,
      );
      if (e.failingClause)
        lines.push(
          `  failing clause: statement ${e.failingClause.statementIndex} ${e.failingClause.operator} ${e.failingClause.key}: ${e.failingClause.reason}`,
        );
    }
    if (out.podIdentity)
      lines.push(
        `EKS Pod Identity: ${out.podIdentity.accepted ? "accepted" : `REJECTED (${out.podIdentity.failingClause?.reason ?? "no statement allows it"})`}`,
      );
    for (const f of out.findings)
      lines.push(`- [${f.severity}] ${f.id}: ${f.title}`, ...f.fix.commands.map((c) => `    $ ${c}`));
    return lines.join("\n");
  },
});
