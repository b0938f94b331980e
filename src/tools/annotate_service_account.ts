import { defineWriteTool } from "../remediation/contract.js";
import { planServiceAccountAnnotations } from "../remediation/kube.js";
import { annotationsField } from "../remediation/fields.js";
import { k8sName, namespaceField } from "./schemas.js";

export const annotateServiceAccount = defineWriteTool({
  name: "annotate_service_account",
  title: "Annotate a service account (write)",
  description:
    "Set or remove workload identity annotations on a service account: azure.workload.identity/client-id, tenant-id, " +
    "service-account-token-expiration; eks.amazonaws.com/role-arn, audience, token-expiration (null removes a key, e.g. a misspelt one). " +
    "Pods read the annotations when they are created: restart the workload afterwards (restart_workload).",
  args: {
    namespace: namespaceField,
    serviceAccount: k8sName("service account"),
    annotations: annotationsField,
  },
  annotations: { destructiveHint: true, idempotentHint: true },
  plan: (args, ctx) => planServiceAccountAnnotations(args as Parameters<typeof planServiceAccountAnnotations>[0], ctx),
});
