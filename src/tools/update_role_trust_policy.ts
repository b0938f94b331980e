import { z } from "zod";
import { nameRules } from "../diagnosis/command.js";
import { planTrustPolicy } from "../remediation/aws.js";
import { defineWriteTool } from "../remediation/contract.js";
import { k8sName, namespaceField } from "./schemas.js";

export const updateRoleTrustPolicy = defineWriteTool({
  name: "update_role_trust_policy",
  example: { namespace: "payments", serviceAccount: "payments-api" },
  title: "Update an IAM role's trust policy (write)",
  description:
    "Let a service account assume an IAM role: for IRSA, a statement trusting the cluster's OIDC provider (as the API server " +
    "reports its issuer) with StringEquals on sub (system:serviceaccount:NAMESPACE:NAME) and aud; for EKS Pod Identity " +
    "(mechanism: pod-identity), the pods.eks.amazonaws.com service with sts:AssumeRole and sts:TagSession. The statement at " +
    "replaceStatement (0-based, e.g. the failing one a finding names) is replaced, else it is added; policyDocument sets the " +
    "whole document instead (used by undo). The role defaults to the service account's eks.amazonaws.com/role-arn.",
  args: {
    namespace: namespaceField,
    serviceAccount: k8sName("service account"),
    roleArn: z
      .string()
      .refine((v) => nameRules.roleArn.ok(v), { message: "expected arn:aws:iam::ACCOUNT:role/NAME" })
      .optional(),
    mechanism: z.enum(["irsa", "pod-identity"]).default("irsa"),
    audience: z
      .string()
      .refine((v) => nameRules.audience.ok(v), { message: "expected an audience" })
      .optional(),
    replaceStatement: z.number().int().min(0).max(100).optional(),
    policyDocument: z.record(z.string(), z.unknown()).optional().describe("The whole trust policy to set"),
  },
  annotations: { destructiveHint: true, idempotentHint: true },
  plan: (args, ctx) => planTrustPolicy(args as Parameters<typeof planTrustPolicy>[0], ctx),
});
