import { z } from "zod";
import { podIdentityDetails } from "../diagnosis/podid/details.js";
import { diagnosePodIdentityFacts, gatherPodIdFacts } from "../gather/podid.js";
import { renderReport } from "../report/text.js";
import { defineTool } from "./define.js";
import { envFor } from "./platform.js";
import { errorTextField, ReportSchema, targetShape } from "./schemas.js";

const component = z.object({
  available: z.boolean(),
  reason: z.string().optional(),
  pods: z.array(z.record(z.string(), z.unknown())).optional(),
  errorLinesLastHour: z.array(z.string()).optional(),
  logProblems: z.array(z.string()).optional(),
});

const DetailsSchema = z.object({
  mode: z
    .enum(["standard", "managed"])
    .describe("standard: MIC assigns identities; managed: only NMI, identities assigned by hand"),
  namespaced: z.boolean(),
  podLabel: z.string().nullable().describe("The target's aadpodidbinding label"),
  identities: z.array(z.record(z.string(), z.unknown())),
  bindings: z.array(z.record(z.string(), z.unknown())),
  assignedIdentities: z.array(z.record(z.string(), z.unknown())),
  mic: component,
  nmi: component,
  imdsRedirect: z.object({
    readable: z.boolean(),
    note: z.string(),
    command: z.string(),
    expectedOutput: z.array(z.string()),
  }),
});

export const inspectPodIdentity = defineTool({
  name: "inspect_pod_identity",
  example: { namespace: "payments", workload: "deployment/payments-api" },
  toolsets: ["podid"],
  summary: "aad-pod-identity: AzureIdentity, bindings, assigned identities, MIC/NMI health.",
  title: "Inspect aad-pod-identity (MIC/NMI)",
  description:
    "For workloads on the legacy aad-pod-identity (pods labelled aadpodidbinding). Give the namespace and a pod or workload, or only a namespace. Checks AzureIdentity and AzureIdentityBinding against the pod label, AzureAssignedIdentity and stuck finalizers, MIC and NMI health and errors, the cluster identity's rights, the node pool's identity, and NetworkPolicies blocking IMDS. Returns findings with evidence and fixes. Next: fix the first finding, or plan_migration.",
  inputSchema: z.object({
    namespace: targetShape.namespace,
    pod: targetShape.pod,
    workload: targetShape.workload,
    serviceAccount: targetShape.serviceAccount,
    errorText: errorTextField("An error the workload or the CSI driver printed (e.g. NMI's 404)").optional(),
  }),
  outputSchema: ReportSchema.extend({ podIdentity: DetailsSchema }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(input, ctx) {
    const env = await envFor(ctx, "inspect_pod_identity", "aks");
    const { errorText, ...target } = input;
    await ctx.progress("reading aad-pod-identity objects, MIC and NMI", 0, 2);
    const facts = await gatherPodIdFacts(env, target, { signal: ctx.signal, progress: ctx.progress, errorText });
    const report = diagnosePodIdentityFacts(facts);
    await ctx.progress("done", 2, 2);
    return { ...report, mechanism: "aad-pod-identity", podIdentity: podIdentityDetails(facts) };
  },
  render(out) {
    const d = out.podIdentity;
    const lines = [renderReport(out), "", `aad-pod-identity (${d.mode} mode${d.namespaced ? ", namespaced" : ""}):`];
    for (const b of d.bindings)
      lines.push(
        `  binding ${b.name}: selector=${JSON.stringify(b.selector)} azureIdentity=${JSON.stringify(b.azureIdentity)}`,
      );
    for (const i of d.identities)
      lines.push(`  identity ${i.name}: type=${i.type} clientID=${i.clientID || "(empty)"}`);
    lines.push(`  IMDS redirect (not readable through the API): ${d.imdsRedirect.command}`);
    for (const e of d.imdsRedirect.expectedOutput) lines.push(`      ${e}`);
    return lines.join("\n");
  },
});
