import { z } from "zod";
import { type AuditResult, auditCluster } from "../audit/index.js";
import { defineTool, ToolInputError } from "./define.js";
import { namespaceField } from "./schemas.js";

const VerdictSchema = z.enum(["healthy", "broken", "inconclusive"]);

const EntrySchema = z.object({
  context: z.string().optional(),
  namespace: z.string(),
  workload: z.string().describe('"deployment/NAME", or "serviceaccount/NAME" when no pod runs with it'),
  serviceAccount: z.string().optional(),
  pod: z.string().optional(),
  reason: z.string().describe("Why it was audited: the annotation, association or binding"),
  mechanism: z.string().optional(),
  verdict: VerdictSchema,
  findings: z
    .array(
      z.object({
        id: z.string(),
        severity: z.enum(["error", "warning", "info"]),
        title: z.string(),
        fix: z.string(),
      }),
    )
    .describe("Top findings, root cause first"),
  moreFindings: z.number().int().describe("Findings left out of this entry"),
});

export const AuditOutputSchema = z.object({
  verdict: VerdictSchema,
  scope: z.object({
    contexts: z.array(z.string()),
    namespace: z.string().optional(),
    allNamespaces: z.boolean(),
  }),
  summary: z.object({
    namespaces: z.number().int(),
    serviceAccounts: z.number().int(),
    pods: z.number().int(),
    audited: z.number().int().describe("Service accounts and pod-identity users diagnosed"),
    podsUsingIdentity: z.number().int(),
    verdicts: z.record(z.string(), z.number().int()),
    findingsById: z.record(z.string(), z.number().int()),
    findingsByNamespace: z.record(z.string(), z.number().int()),
  }),
  entries: z.array(EntrySchema).describe("One page of workloads, broken first"),
  page: z.object({
    cursor: z.string(),
    nextCursor: z.string().optional().describe("Pass as cursor for the next page; absent on the last page"),
    pageSize: z.number().int(),
    total: z.number().int(),
  }),
  problems: z.array(z.string()).describe("Reads that failed: the audit could not see everything"),
});
export type AuditOutput = z.infer<typeof AuditOutputSchema>;

const FINDINGS_PER_ENTRY = 3;

/** One page of an audit: entries from `cursor` (an offset), findings per entry bounded. */
export function pageOf(result: AuditResult, cursor = "0", pageSize = 25): AuditOutput {
  if (!/^\d+$/.test(cursor)) throw new ToolInputError("cursor", "a cursor from a previous page's nextCursor", cursor);
  const start = Number(cursor);
  const slice = result.entries.slice(start, start + pageSize);
  const end = start + slice.length;
  return {
    verdict: result.verdict,
    scope: result.scope,
    summary: result.summary,
    entries: slice.map((e) => ({
      ...e,
      findings: e.findings.slice(0, FINDINGS_PER_ENTRY),
      moreFindings: Math.max(0, e.findings.length - FINDINGS_PER_ENTRY),
    })),
    page: {
      cursor,
      nextCursor: end < result.entries.length ? String(end) : undefined,
      pageSize,
      total: result.entries.length,
    },
    problems: result.problems.slice(0, 20),
  };
}

export function renderAudit(o: AuditOutput): string {
  const where = o.scope.namespace ? `namespace ${o.scope.namespace}` : "all namespaces";
  const ctx = o.scope.contexts.length ? ` in ${o.scope.contexts.join(", ")}` : "";
  const s = o.summary;
  const lines = [
    `Audit of ${where}${ctx}: ${o.verdict.toUpperCase()}`,
    `${s.audited} identity users diagnosed (${s.verdicts.broken ?? 0} broken, ${s.verdicts.inconclusive ?? 0} inconclusive, ${s.verdicts.healthy ?? 0} healthy) among ${s.serviceAccounts} service accounts and ${s.pods} pods (${s.podsUsingIdentity} using an identity) in ${s.namespaces} namespaces`,
  ];
  const byId = Object.entries(s.findingsById).sort((a, b) => b[1] - a[1]);
  if (byId.length) lines.push(`Findings by id: ${byId.map(([id, n]) => `${id} ×${n}`).join(", ")}`);
  const byNs = Object.entries(s.findingsByNamespace).sort((a, b) => b[1] - a[1]);
  if (byNs.length) lines.push(`Findings by namespace: ${byNs.map(([ns, n]) => `${ns} ×${n}`).join(", ")}`);
  lines.push("");
  for (const e of o.entries) {
    const head = `${e.context ? `${e.context}/` : ""}${e.namespace}/${e.workload}`;
    const sa = e.serviceAccount ? ` (service account ${e.serviceAccount})` : e.pod ? ` (pod ${e.pod})` : "";
    lines.push(`${e.verdict.toUpperCase().padEnd(12)} ${head}${sa}`);
    for (const f of e.findings) lines.push(`    [${f.severity}] ${f.id}: ${f.title}`);
    if (e.moreFindings) lines.push(`    … ${e.moreFindings} more (wi-doctor diagnose for the full report)`);
  }
  const { page } = o;
  const shown = o.entries.length ? `${Number(page.cursor) + 1}-${Number(page.cursor) + o.entries.length}` : "none";
  lines.push(
    "",
    `Workloads ${shown} of ${page.total}${page.nextCursor ? `; next page: cursor ${page.nextCursor}` : ""}`,
  );
  for (const p of o.problems) lines.push(`Could not read: ${p}`);
  return lines.join("\n");
}

export const auditClusterTool = defineTool({
  name: "audit_cluster",
  oneCall: true,
  example: {},
  toolsets: ["aks", "eks", "podid"],
  summary:
    "Every identity in a namespace or cluster checked like `diagnose`: summary by finding and namespace, workloads broken first, paged.",
  title: "Audit every workload identity in the cluster",
  description:
    "Use for every identity in a cluster or namespace. Finds every service account with an identity annotation, EKS Pod Identity association or aad-pod-identity binding, and runs the diagnose_workload_identity checks on each. Returns a verdict, a summary by finding and namespace, and a page of workloads, broken first, with top findings; pass nextCursor as cursor for more. Next: diagnose_workload_identity on a broken workload.",
  inputSchema: z.object({
    namespace: namespaceField.optional().describe("Audit only this namespace"),
    allNamespaces: z.boolean().optional().describe("Audit every namespace (the default when no namespace is given)"),
    cursor: z.string().max(20).optional().describe("nextCursor from the previous page"),
    pageSize: z.number().int().min(1).max(200).optional().describe("Workloads per page (default 25)"),
  }),
  outputSchema: AuditOutputSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(input, ctx) {
    if (input.namespace && input.allNamespaces) {
      throw new ToolInputError("namespace | allNamespaces", "one of them, not both");
    }
    const env = await ctx.env();
    const result = await auditCluster(env, {
      namespace: input.namespace,
      signal: ctx.signal,
      progress: ctx.progress,
      context: env.kubeconfig?.getCurrentContext() || undefined,
    });
    return pageOf(result, input.cursor, input.pageSize);
  },
  render: renderAudit,
});
