import { z } from "zod";
import { diagnose } from "../gather/index.js";
import { renderReport } from "../report/text.js";
import { defineTool } from "./define.js";
import { errorTextField, ReportSchema, requireTarget, targetShape } from "./schemas.js";

export const diagnoseWorkloadIdentity = defineTool({
  name: "diagnose_workload_identity",
  toolsets: ["aks", "eks", "podid"],
  summary: "Everything in one call: verdict, findings (root cause first) with evidence and fixes.",
  title: "Diagnose workload identity (one call)",
  description:
    "Use first when a pod cannot get a cloud token (AKS workload identity, aad-pod-identity, EKS IRSA or Pod Identity). " +
    "Give the namespace plus a service account, pod or workload (KIND/NAME), and the error text if the user has one. " +
    "Reads the cluster and the cloud concurrently, runs every check (issuer, service account, identity, federated credentials or IAM trust, " +
    "pod mutation, webhook, token exchange, roles, Key Vault), and returns a verdict and findings, root cause first, each with the evidence " +
    "compared side by side and ready-to-paste fix commands with the real names. Checks it could not run are listed as skipped with the reason. " +
    "Next: present the first finding and its fix; after the user fixes it, call this again to verify. Use the step tools to drill into one area.",
  inputSchema: z.object({
    ...targetShape,
    errorText: errorTextField(
      "An error message the workload printed; its claims are checked against the live world (a longer log keeps its last 1 MB)",
    ).optional(),
    platform: z
      .enum(["aks", "eks"])
      .optional()
      .describe("Force the platform (default: detected from the kube context)"),
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
