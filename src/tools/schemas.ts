// Zod schemas shared by several tools: targets, findings, checks, the report.
import { z } from "zod";
import { keepEnd, MAX_INPUT_CHARS } from "../diagnosis/errors/normalize.js";
import { ToolInputError } from "./define.js";

// RFC 1123 names as Kubernetes checks them (labels of [a-z0-9] and inner '-', joined by '.'), written short because
// tools/list repeats them for every name field.
const dnsLabel = /^[a-z0-9]+(-+[a-z0-9]+)*$/;
const dnsSubdomain = /^[a-z0-9]+((-+|\.)[a-z0-9]+)*$/;

// The patterns need one character at least, so no minLength is listed beside them.
export const namespaceField = z
  .string()
  .max(63)
  .regex(dnsLabel, { message: "expected a Kubernetes namespace name (lowercase letters, digits, '-')" })
  .describe("Kubernetes namespace");

export const k8sName = (what: string) =>
  z
    .string()
    .max(253)
    .regex(dnsSubdomain, { message: `expected a Kubernetes ${what} name (lowercase letters, digits, '-', '.')` })
    .describe(what);

export const workloadField = z
  .string()
  // KIND/ plus a 253-character name.
  .max(270)
  .regex(/^([A-Za-z]+\/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, {
    message:
      "expected KIND/NAME, e.g. deployment/payments-api (deployment, statefulset, daemonset, job, cronjob); a bare NAME means a Deployment",
  })
  .describe("KIND/NAME, e.g. deployment/payments-api (a bare NAME is a Deployment)");

/** Error text accepted at all (longer is refused; the transport refuses messages over 8 MiB). */
const MAX_ERROR_TEXT_INPUT_CHARS = 4 * MAX_INPUT_CHARS;

/** Pasted error text or log: up to 4 MB accepted, the last 1 MB kept. */
export const errorTextField = (description: string, min = 0) =>
  (min > 0 ? z.string().min(min) : z.string())
    .max(MAX_ERROR_TEXT_INPUT_CHARS)
    .transform((t) => keepEnd(t))
    .describe(description);

export const targetShape = {
  namespace: namespaceField,
  serviceAccount: k8sName("service account").optional(),
  pod: k8sName("pod").optional(),
  workload: workloadField.optional(),
};

/** At least one of service account, pod or workload. */
export function requireTarget(input: { serviceAccount?: string; pod?: string; workload?: string }) {
  if (!input.serviceAccount && !input.pod && !input.workload) {
    throw new ToolInputError("serviceAccount | pod | workload", "at least one of them, to say what to diagnose");
  }
}

export const FindingSchema = z.object({
  id: z.string().describe("Stable id, documented in docs/findings.md"),
  severity: z.enum(["error", "warning", "info"]),
  title: z.string(),
  evidence: z.record(z.string(), z.unknown()).describe("The compared values side by side"),
  fix: z.object({
    summary: z.string(),
    commands: z.array(z.string()).describe("One sequence, run in order"),
    alternatives: z
      .array(z.object({ summary: z.string(), commands: z.array(z.string()) }))
      .optional()
      .describe("Other complete sequences to the same end: run commands or one alternative, not several"),
  }),
  remediation: z
    .object({ tool: z.string(), arguments: z.record(z.string(), z.unknown()) })
    .optional()
    .describe("Dry-run call of the write tool that applies the fix (needs --allow-writes)"),
});

export const CheckResultSchema = z.object({
  id: z.string(),
  status: z.enum(["pass", "fail", "skipped", "error"]),
  detail: z.string(),
  essential: z.boolean().optional().describe("A verdict of healthy needs this check to have run and passed"),
});

export const TargetSchema = z.object({
  namespace: z.string(),
  serviceAccount: z.string().optional(),
  pod: z.string().optional(),
  workload: z.string().optional(),
});

export const ReportSchema = z.object({
  verdict: z.enum(["healthy", "broken", "inconclusive"]),
  platform: z.enum(["aks", "eks"]),
  target: TargetSchema,
  findings: z.array(FindingSchema).describe("Most likely root cause first"),
  checks: z.array(CheckResultSchema),
  mechanism: z.string().optional().describe("Which identity mechanism the workload uses"),
  unsettled: z
    .array(z.object({ check: z.string(), reason: z.string() }))
    .optional()
    .describe("Why the verdict is inconclusive: essential checks that could not run, and what would settle each"),
  exchange: z
    .object({
      predicted: z.object({
        accepted: z.boolean().optional().describe("Absent when the facts do not allow a prediction"),
        stage: z.enum(["provider", "audience", "role", "trust-policy", "unknown"]),
        reason: z.string(),
      }),
      actual: z.object({ ok: z.boolean(), code: z.string().optional() }).optional(),
    })
    .optional()
    .describe("EKS IRSA: what the configuration predicts STS answers, next to what it did answer"),
  podIdentityExchange: z
    .object({
      predicted: z.object({
        accepted: z.boolean().optional(),
        stage: z.enum(["role", "session-tags", "source-permission", "target-trust", "unknown"]),
        reason: z.string(),
      }),
      actual: z.object({ ok: z.boolean(), code: z.string().optional() }).optional(),
    })
    .optional()
    .describe("EKS Pod Identity: what the association and roles predict EKS Auth answers, next to its answer"),
  errorText: z
    .object({
      codes: z.array(z.string()),
      classes: z.array(z.string()),
      asserted: z.record(z.string(), z.string()),
      confirmedBy: z.array(z.string()),
      explanation: z.string().optional().describe("What the most likely cause of the error means"),
      note: z.string(),
    })
    .optional()
    .describe("What the given error text asserts, and whether the live checks confirm it"),
});
