import { z } from "zod";
import { nameRules } from "../diagnosis/command.js";
import { planOidcProvider } from "../remediation/aws-oidc.js";
import { defineWriteTool } from "../remediation/contract.js";
import { k8sName, namespaceField } from "./schemas.js";

export const setIamOidcProvider = defineWriteTool({
  name: "set_iam_oidc_provider",
  example: { issuer: "https://oidc.eks.us-west-2.amazonaws.com/id/7B3F9C2A41E8D05F6A1C2B3D4E5F6071" },
  title: "Create an IAM OIDC provider or add its audience (write)",
  description:
    "Make the AWS account trust a cluster's service account issuer for IRSA: create the IAM OIDC provider for the issuer " +
    "(iam:CreateOpenIDConnectProvider, as eksctl utils associate-iam-oidc-provider does) with the audience as its client id, or, " +
    "when it exists, add the audience to its client ids (iam:AddClientIDToOpenIDConnectProvider). Default audience: sts.amazonaws.com. " +
    "The provider serves every IRSA workload of the cluster; nothing is removed.",
  args: {
    issuer: z
      .string()
      .refine((v) => nameRules.issuer.ok(v), { message: "expected the cluster's https issuer URL" })
      .describe("The cluster's OIDC issuer URL"),
    audience: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[\x21-\x7e]+$/, { message: "expected an audience such as sts.amazonaws.com" })
      .optional(),
    namespace: namespaceField.optional(),
    serviceAccount: k8sName("service account").optional(),
  },
  annotations: { destructiveHint: false, idempotentHint: true },
  plan: (args, ctx) => planOidcProvider(args as Parameters<typeof planOidcProvider>[0], ctx),
});
