import { defineWriteTool } from "../remediation/contract.js";
import { planRestart } from "../remediation/kube.js";
import { namespaceField, workloadField } from "./schemas.js";

export const restartWorkload = defineWriteTool({
  name: "restart_workload",
  example: { namespace: "payments", workload: "deployment/payments-api" },
  title: "Rollout restart a workload (write)",
  description:
    "Replace the pods of a Deployment, StatefulSet or DaemonSet (kubectl rollout restart), so new pods are created " +
    "and mutated by the admission webhooks with the current service-account annotations and labels.",
  args: { namespace: namespaceField, workload: workloadField },
  annotations: { destructiveHint: true, idempotentHint: false },
  plan: (args, ctx) => planRestart(args as Parameters<typeof planRestart>[0], ctx),
});
