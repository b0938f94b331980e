import { defineWriteTool } from "../remediation/contract.js";
import { labelsField } from "../remediation/fields.js";
import { planTemplateLabels } from "../remediation/kube.js";
import { namespaceField, workloadField } from "./schemas.js";

export const labelPodTemplate = defineWriteTool({
  name: "label_pod_template",
  example: {
    namespace: "payments",
    workload: "deployment/payments-api",
    labels: { "azure.workload.identity/use": "true" },
  },
  title: "Label a workload's pod template (write)",
  description:
    "Set or remove labels on the pod template of a Deployment, StatefulSet, DaemonSet, Job or CronJob, e.g. " +
    "azure.workload.identity/use=true (the webhook mutates only labelled pods) or an aad-pod-identity aadpodidbinding label. " +
    "A Deployment, StatefulSet or DaemonSet rolls out new pods with the label.",
  args: { namespace: namespaceField, workload: workloadField, labels: labelsField },
  annotations: { destructiveHint: true, idempotentHint: true },
  plan: (args, ctx) => planTemplateLabels(args as Parameters<typeof planTemplateLabels>[0], ctx),
});
