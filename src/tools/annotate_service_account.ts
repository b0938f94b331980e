import { defineWriteTool } from "../remediation/contract.js";
import { planServiceAccountAnnotations } from "../remediation/kube.js";
import { annotationsField } from "../remediation/fields.js";
import { k8sName, namespaceField } from "./schemas.js";

export const annotateServiceAccount = defineWriteTool({
  name: "annotate_service_account",
  example: {
    namespace: "payments",
    serviceAccount: "payments-api",
    annotations: { "azure.workload.identity/tenant-id": "6d3e1a52-8c3f-4b7e-9f1a-2b5c7d9e0f11" },
  },
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
