import { z } from "zod";
import { nameRules } from "../diagnosis/command.js";
import { planPodIdentityAssociation } from "../remediation/aws.js";
import { defineWriteTool } from "../remediation/contract.js";
import { k8sName, namespaceField } from "./schemas.js";

export const createPodIdentityAssociationTool = defineWriteTool({
  name: "create_pod_identity_association",
  example: {
    clusterName: "payments",
    namespace: "payments",
    serviceAccount: "payments-api",
    roleArn: "arn:aws:iam::111122223333:role/payments",
  },
  title: "Create an EKS Pod Identity association (write)",
  description:
    "Associate a service account with an IAM role through EKS Pod Identity (the role's trust policy must trust " +
    "pods.eks.amazonaws.com: update_role_trust_policy with mechanism pod-identity). Pods created afterwards get credentials; restart the workload.",
  args: {
    clusterName: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, { message: "expected an EKS cluster name" }),
    namespace: namespaceField,
    serviceAccount: k8sName("service account"),
    roleArn: z.string().refine((v) => nameRules.roleArn.ok(v), { message: "expected arn:aws:iam::ACCOUNT:role/NAME" }),
  },
  annotations: { destructiveHint: false, idempotentHint: true },
  plan: (args, ctx) => planPodIdentityAssociation(args as Parameters<typeof planPodIdentityAssociation>[0], ctx),
});
