// Plans for AWS writes: an IAM role's trust policy (IRSA or EKS Pod Identity) and a Pod Identity association.
import { cmd, json, placeholder } from "../diagnosis/command.js";
import {
  POD_IDENTITY_ACTIONS,
  POD_IDENTITY_SERVICE,
  type PolicyDocument,
  type PolicyStatement,
  statementsOf,
  WEB_IDENTITY_ACTION,
} from "../diagnosis/eks/trust-policy.js";
import { AwsProvider } from "../providers/aws.js";
import { ProviderError } from "../providers/errors.js";
import { KubeProvider } from "../providers/kubernetes.js";
import { createPodIdentityAssociation, updateAssumeRolePolicy } from "../providers/writes/aws.js";
import { canonical, contentVersion, type PlanContext, type WritePlan } from "./contract.js";
import { iamMayWrite } from "./permissions.js";

export interface TrustArgs {
  namespace: string;
  serviceAccount: string;
  roleArn?: string;
  mechanism?: "irsa" | "pod-identity";
  audience?: string;
  replaceStatement?: number;
  policyDocument?: Record<string, unknown>;
}

function parseRoleArn(arn: string) {
  const m = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(.+)$/.exec(arn);
  if (!m) throw new ProviderError("invalid-response", `${arn} is not an IAM role ARN`);
  return { partition: m[1], account: m[2], name: m[3].split("/").pop() as string };
}

async function roleArnOf(args: TrustArgs, ctx: PlanContext): Promise<string> {
  if (args.roleArn) return args.roleArn;
  const sa = await new KubeProvider(ctx.env).getServiceAccount(args.namespace, args.serviceAccount, ctx.signal);
  const arn = sa?.metadata?.annotations?.["eks.amazonaws.com/role-arn"]?.trim();
  if (!arn) {
    throw new ProviderError(
      "not-found",
      `service account ${args.namespace}/${args.serviceAccount} has no eks.amazonaws.com/role-arn annotation: pass roleArn`,
    );
  }
  return arn;
}

async function wantedStatement(args: TrustArgs, role: { partition: string; account: string }, ctx: PlanContext) {
  if (args.mechanism === "pod-identity") {
    return { Effect: "Allow", Principal: { Service: POD_IDENTITY_SERVICE }, Action: [...POD_IDENTITY_ACTIONS] };
  }
  const kube = new KubeProvider(ctx.env);
  const issuer = (await kube.getIssuerDiscovery(ctx.signal)).issuer;
  const host = issuer.replace(/^https:\/\//, "").replace(/\/$/, "");
  const sa = await kube.getServiceAccount(args.namespace, args.serviceAccount, ctx.signal);
  const audience = args.audience ?? sa?.metadata?.annotations?.["eks.amazonaws.com/audience"] ?? "sts.amazonaws.com";
  return {
    Effect: "Allow",
    Principal: { Federated: `arn:${role.partition}:iam::${role.account}:oidc-provider/${host}` },
    Action: WEB_IDENTITY_ACTION,
    Condition: {
      StringEquals: {
        [`${host}:sub`]: `system:serviceaccount:${args.namespace}:${args.serviceAccount}`,
        [`${host}:aud`]: audience,
      },
    },
  };
}

/** The new document: the given one; else the failing statement replaced (or the Pod Identity one), else one added. */
function newDocument(before: PolicyDocument | undefined, statement: PolicyStatement, args: TrustArgs): PolicyDocument {
  if (args.policyDocument) return args.policyDocument as PolicyDocument;
  const statements = statementsOf(before).map((s) => ({ ...s }));
  if (statements.some((s) => canonical(s) === canonical(statement)))
    return { Version: before?.Version ?? "2012-10-17", Statement: statements };
  const podIdentity = (s: PolicyStatement) =>
    JSON.stringify((s.Principal as { Service?: unknown } | undefined)?.Service ?? "").includes(POD_IDENTITY_SERVICE);
  const index =
    args.replaceStatement !== undefined && args.replaceStatement < statements.length
      ? args.replaceStatement
      : args.mechanism === "pod-identity"
        ? statements.findIndex(podIdentity)
        : -1;
  if (index >= 0) statements[index] = statement;
  else statements.push(statement);
  return { Version: before?.Version ?? "2012-10-17", Statement: statements };
}

export async function planTrustPolicy(args: TrustArgs, ctx: PlanContext): Promise<WritePlan> {
  const roleArn = await roleArnOf(args, ctx);
  const role = parseRoleArn(roleArn);
  const found = await new AwsProvider(ctx.env).getRole(role.name, { signal: ctx.signal });
  if (!found) throw new ProviderError("not-found", `IAM role ${role.name} does not exist`, 404);
  const before = found.trustPolicy;
  const after = newDocument(before, await wantedStatement(args, role, ctx), args);
  const same = canonical(after) === canonical(before ?? null);
  const who = { namespace: args.namespace, serviceAccount: args.serviceAccount, roleArn };
  return {
    target: found.arn || roleArn,
    action: same ? "none" : "update",
    summary: `update the trust policy of IAM role ${role.name} so ${args.mechanism === "pod-identity" ? "EKS Pod Identity" : `service account ${args.namespace}/${args.serviceAccount}`} may assume it`,
    version: contentVersion(before ?? null),
    change: { api: "iam", method: "UpdateAssumeRolePolicy", url: found.arn || roleArn, body: after },
    before: before ?? null,
    after,
    commands: same
      ? []
      : [cmd`aws iam update-assume-role-policy --role-name ${role.name} --policy-document ${json(after)}`],
    undo: {
      tool: "update_role_trust_policy",
      arguments: { ...who, policyDocument: before ?? {} },
      commands: before
        ? [cmd`aws iam update-assume-role-policy --role-name ${role.name} --policy-document ${json(before)}`]
        : [],
    },
    permission: `iam:UpdateAssumeRolePolicy on ${found.arn || roleArn}`,
    mayWrite: (signal) =>
      iamMayWrite(ctx.env, [{ action: "iam:UpdateAssumeRolePolicy", resource: found.arn || roleArn }], signal),
    apply: (signal) => updateAssumeRolePolicy(ctx.env, role.name, after, signal),
    propagates: true,
    verify: {
      target: { namespace: args.namespace, serviceAccount: args.serviceAccount },
      fixes: ["iam.", "eks.pod-identity-trust", "exchange.failed"],
    },
  };
}

export async function planPodIdentityAssociation(
  args: { clusterName: string; namespace: string; serviceAccount: string; roleArn: string },
  ctx: PlanContext,
): Promise<WritePlan> {
  const aws = new AwsProvider(ctx.env);
  const existing = await aws.listPodIdentityAssociations(args.clusterName, args.namespace, args.serviceAccount, {
    signal: ctx.signal,
  });
  const current = existing[0]
    ? await aws.describePodIdentityAssociation(args.clusterName, existing[0].associationId, { signal: ctx.signal })
    : null;
  if (current && current.roleArn !== args.roleArn) {
    throw new ProviderError(
      "invalid-response",
      `service account ${args.namespace}/${args.serviceAccount} already has association ${current.associationId} with role ${current.roleArn}: one service account has one association; update or delete that one (aws eks update-pod-identity-association)`,
    );
  }
  const body = { namespace: args.namespace, serviceAccount: args.serviceAccount, roleArn: args.roleArn };
  const url = `/clusters/${args.clusterName}/pod-identity-associations`;
  return {
    target: `eks cluster ${args.clusterName}: pod identity association ${args.namespace}/${args.serviceAccount}`,
    action: current ? "none" : "create",
    summary: `associate service account ${args.namespace}/${args.serviceAccount} with IAM role ${args.roleArn} (EKS Pod Identity); pods started afterwards get credentials`,
    version: contentVersion(existing),
    change: { api: "eks", method: "POST (CreatePodIdentityAssociation)", url, body },
    before: current,
    after: { clusterName: args.clusterName, ...body },
    commands: current
      ? []
      : [
          cmd`aws eks create-pod-identity-association --cluster-name ${args.clusterName} --namespace ${args.namespace} --service-account ${args.serviceAccount} --role-arn ${args.roleArn}`,
        ],
    undo: {
      commands: [
        cmd`aws eks delete-pod-identity-association --cluster-name ${args.clusterName} --association-id ${placeholder("the new association id")}`,
      ],
      note: "delete the association this creates (its id is in the apply's answer and the audit log)",
    },
    permission: `eks:CreatePodIdentityAssociation on cluster ${args.clusterName} and iam:PassRole on ${args.roleArn}`,
    mayWrite: (signal) =>
      iamMayWrite(
        ctx.env,
        [
          { action: "eks:CreatePodIdentityAssociation", resource: "*" },
          { action: "iam:PassRole", resource: args.roleArn },
        ],
        signal,
      ),
    apply: (signal) => createPodIdentityAssociation(ctx.env, { clusterName: args.clusterName, ...body }, signal),
    propagates: true,
    verify: {
      target: { namespace: args.namespace, serviceAccount: args.serviceAccount },
      fixes: ["eks.pod-identity-association"],
    },
  };
}
