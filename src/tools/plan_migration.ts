import { z } from "zod";
import { planPodIdentityMigration } from "../gather/podid.js";
import { defineTool } from "./define.js";
import { envFor } from "./platform.js";
import { namespaceField } from "./schemas.js";
import { migrationStepRemediation } from "../remediation/migration.js";

const StepSchema = z.object({
  order: z.number().int(),
  phase: z.enum(["prepare", "switch", "verify", "clean-up"]),
  kind: z.string().describe("e.g. create-federated-credential, switch-pod-template, remove-pod-identity-label"),
  description: z.string(),
  commands: z.array(z.string()).describe("Ready to paste, in order"),
  manifest: z.string().optional().describe("The same change as YAML, for GitOps repositories"),
  change: z.record(z.string(), z.unknown()).optional().describe("The change as data"),
  remediation: z
    .object({ tool: z.string(), arguments: z.record(z.string(), z.unknown()) })
    .optional()
    .describe("The write tool call (a dry run) that makes this step, where one does (with --allow-writes)"),
});

const PlanSchema = z.object({
  issuer: z.string().optional().describe("This cluster's OIDC issuer, which the federated credentials trust"),
  issuerSource: z.enum(["arm", "api-server", "unknown"]),
  audience: z.string(),
  bindings: z.array(
    z.object({
      binding: z.string(),
      selector: z.string(),
      azureIdentity: z.string().nullable(),
      identity: z.record(z.string(), z.unknown()).nullable(),
      workloads: z.array(
        z.object({
          namespace: z.string(),
          kind: z.string(),
          name: z.string(),
          serviceAccount: z.string(),
          serviceAccountIsNew: z.boolean(),
          pods: z.array(z.string()),
          sdk: z
            .array(z.record(z.string(), z.unknown()))
            .describe("Per container: can its Azure identity library use workload identity?"),
          proxySidecar: z
            .boolean()
            .describe("The plan adds the migration sidecar for an identity library too old for workload identity"),
        }),
      ),
      problems: z.array(z.string()),
    }),
  ),
  steps: z.array(StepSchema).describe("Ordered so that every workload can get a token at every step"),
  warnings: z.array(z.string()),
  skipped: z.array(z.string()).describe("What could not be read, and why"),
});

export const planMigration = defineTool({
  name: "plan_migration",
  example: { namespace: "payments" },
  toolsets: ["podid"],
  summary: "aad-pod-identity → workload identity, as an ordered plan with exact commands.",
  title: "Plan the move from aad-pod-identity to workload identity",
  description:
    "Plans moving aad-pod-identity workloads to workload identity (changes nothing). For every AzureIdentityBinding (or one namespace's) and its workloads: ordered steps with exact commands and manifests: enable the issuer, annotate the service account, add the federated credential, relabel, verify, then remove the old binding. Flags too-old Azure identity libraries. Next: apply in order; call diagnose_workload_identity before the clean-up steps.",
  inputSchema: z.object({
    namespace: namespaceField
      .optional()
      .describe("Plan only the workloads in this namespace (default: every binding in the cluster)"),
  }),
  outputSchema: PlanSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(input, ctx) {
    const env = await envFor(ctx, "plan_migration", "aks");
    const plan = await planPodIdentityMigration(
      env,
      { namespace: input.namespace },
      { signal: ctx.signal, progress: ctx.progress },
    );
    return {
      ...plan,
      bindings: plan.bindings.map((b) => ({
        ...b,
        identity: b.identity ? { ...b.identity } : null,
        workloads: b.workloads.map((w) => ({ ...w, sdk: w.sdk.map((s) => ({ ...s })) })),
      })),
      steps: plan.steps.map((s) => {
        const remediation = migrationStepRemediation(s);
        return { ...s, change: s.change ? { ...s.change } : undefined, ...(remediation ? { remediation } : {}) };
      }),
    };
  },
  render(plan) {
    const lines = [
      `Migration to workload identity: ${plan.bindings.length} binding(s), ${plan.steps.length} step(s). Issuer: ${plan.issuer ?? "unknown"}`,
    ];
    for (const b of plan.bindings) {
      lines.push(
        `  ${b.binding} (selector ${b.selector}) → ${b.workloads.map((w) => `${w.namespace}/${w.kind.toLowerCase()}/${w.name} as ${w.serviceAccount}`).join(", ") || "no workloads"}`,
      );
      for (const p of b.problems) lines.push(`    ! ${p}`);
    }
    for (const s of plan.steps) {
      lines.push("", `${s.order}. [${s.phase}] ${s.description}`);
      for (const c of s.commands) lines.push(`   $ ${c}`);
    }
    for (const w of plan.warnings) lines.push(`! ${w}`);
    for (const s of plan.skipped) lines.push(`skipped: ${s}`);
    return lines.join("\n");
  },
});
