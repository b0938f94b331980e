import { z } from "zod";
import { diagnose } from "../gather/index.js";
import { renderReport } from "../report/text.js";
import { defineTool } from "./define.js";
import { errorTextField, ReportSchema, requireTarget, targetShape } from "./schemas.js";

export const diagnoseWorkloadIdentity = defineTool({
  name: "diagnose_workload_identity",
  oneCall: true,
  example: {
    namespace: "payments",
    serviceAccount: "payments-api",
    workload: "deployment/payments-api",
  },
  toolsets: ["aks", "eks", "podid"],
  summary: "Everything in one call: verdict, findings (root cause first) with evidence and fixes.",
  title: "Diagnose workload identity (one call)",
  description:
    "Use first when a pod cannot get a cloud token (AKS workload identity, aad-pod-identity, EKS IRSA or Pod Identity). Give the namespace plus a service account, pod or workload, and the user's error text if any. Runs every check and returns a verdict and findings, root cause first, with evidence and ready-to-paste fixes. Next: present the first finding and its fix; call again to verify.",
  inputSchema: z.object({
    ...targetShape,
    errorText: errorTextField(
      "The error the workload printed, checked against the live world (the last 1 MB of a log is read)",
    ).optional(),
    platform: z.enum(["aks", "eks"]).optional().describe("aks or eks (default: detected from the kube context)"),
  }),
  outputSchema: ReportSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(input, ctx) {
    requireTarget(input);
    const env = await ctx.env();
    const { platform, errorText, ...target } = input;
    return diagnose(env, target, { signal: ctx.signal, progress: ctx.progress, errorText, platform });
  },
  render: (report) => renderReport(report),
});
