// One contract for every write tool: a dry run returns a plan and its planId; applying takes the same arguments
// plus dryRun: false, the planId and confirm: true, re-reads the target, refuses when the world changed since the
// plan, applies exactly the planned change, logs it, returns an undo plan and re-verifies the target.
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Target } from "../diagnosis/types.js";
import type { Environment } from "../providers/environment.js";
import { ProviderError } from "../providers/errors.js";
import {
  type AnyObjectSchema,
  defineTool,
  type ToolAnnotations,
  type ToolContext,
  ToolInputError,
} from "../tools/define.js";
import { audit } from "./audit.js";
import { type Verification, VerificationSchema, verifyAfterApply } from "./verify.js";

export type PlanAction = "create" | "update" | "delete" | "restart" | "none";

/** The exact request a plan sends: the ARM/Graph body, the JSON patch, the IAM policy document. */
export interface PlannedChange {
  api: "kubernetes" | "arm" | "graph" | "iam" | "eks";
  method: string;
  /** The REST path or URL, or the AWS API action with its resource. */
  url: string;
  body?: unknown;
}

export interface UndoPlan {
  /** The write tool call (a dry run) that puts the before-state back, when one does. */
  tool?: string;
  arguments?: Record<string, unknown>;
  commands: string[];
  note?: string;
}

export interface WritePlan {
  /** What is written: a Kubernetes object path, an ARM or Graph URL, an IAM role ARN. */
  target: string;
  action: PlanAction;
  summary: string;
  /** The before-state's version: resourceVersion, ETag, or a hash of its content where the API has neither. */
  version: string;
  change: PlannedChange;
  before: unknown;
  after: unknown;
  /** The same change as az / kubectl / aws commands, every value shell-quoted. */
  commands: string[];
  undo: UndoPlan;
  /** The permission the write needs; a refusal names it. */
  permission: string;
  /** Asks the API whether the operator may write (SelfSubjectAccessReview), where the API can tell beforehand. */
  mayWrite?(signal: AbortSignal): Promise<{ allowed: boolean; reason?: string }>;
  apply(signal: AbortSignal): Promise<unknown>;
  /** The change goes to a token service that takes time to see it (Entra, IAM): verification retries meanwhile. */
  propagates?: boolean;
  /** What to diagnose again after the write, and the finding ids the write should remove. */
  verify?: { target: Target; fixes: string[] };
}

export interface PlanContext {
  env: Environment;
  signal: AbortSignal;
}

export const writeControlShape = {
  dryRun: z
    .boolean()
    .default(true)
    .describe("true (default): only plan and return planId. false: apply the plan (needs planId and confirm: true)"),
  planId: z
    .string()
    .regex(/^[0-9a-f]{24}$/, { message: "expected the 24-character planId a dry run returned" })
    .optional()
    .describe("The planId of the dry run with the same arguments (required to apply)"),
  confirm: z.boolean().optional().describe("Must be true to apply: the plan was reviewed"),
  verifyWithinSeconds: z
    .number()
    .int()
    .min(0)
    .max(600)
    .default(60)
    .describe("After applying, how long to re-verify while an Entra/IAM change propagates"),
};

export const WriteOutputSchema = z.object({
  tool: z.string(),
  dryRun: z.boolean(),
  applied: z.boolean().describe("Whether a write was made by this call"),
  planId: z.string().describe("Hash of the arguments and the before-state's version; pass it back to apply"),
  target: z.string(),
  action: z.enum(["create", "update", "delete", "restart", "none"]),
  summary: z.string(),
  change: z.object({ api: z.string(), method: z.string(), url: z.string(), body: z.unknown().optional() }),
  before: z.unknown(),
  after: z.unknown(),
  commands: z.array(z.string()).describe("The same change with az / kubectl / aws"),
  permission: z.string().describe("The permission the write needs"),
  permissionCheck: z
    .object({ allowed: z.boolean(), detail: z.string().optional() })
    .optional()
    .describe(
      "Asked before writing (Kubernetes SelfSubjectAccessReview, ARM permissions, IAM policy simulation): whether the operator may make this write, and which permission is missing",
    ),
  undo: z
    .object({
      tool: z.string().optional(),
      arguments: z.record(z.string(), z.unknown()).optional(),
      commands: z.array(z.string()),
      note: z.string().optional(),
    })
    .describe("How to put the before-state back"),
  verification: VerificationSchema.optional(),
  next: z.string(),
});
export type WriteOutput = z.infer<typeof WriteOutputSchema>;

/** Keys sorted at every level, so the same arguments always hash the same. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

export function planIdOf(
  tool: string,
  args: Record<string, unknown>,
  plan: Pick<WritePlan, "version" | "change">,
): string {
  return createHash("sha256")
    .update(canonical({ tool, args, version: plan.version, change: plan.change }))
    .digest("hex")
    .slice(0, 24);
}

/** A hash of a before-state that carries no version of its own. */
export function contentVersion(value: unknown): string {
  return `sha256:${createHash("sha256").update(canonical(value)).digest("hex").slice(0, 16)}`;
}

/** A write refused on purpose: the world changed since the plan, or the operator may not write. */
export class WriteRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WriteRefused";
  }
}

export interface WriteToolSpec<S extends z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  args: S;
  /** The dry run's test arguments (`ToolDefinition.example`). */
  example: z.input<z.ZodObject<S>>;
  annotations: Pick<ToolAnnotations, "destructiveHint" | "idempotentHint">;
  plan(args: z.infer<z.ZodObject<S>>, ctx: PlanContext): Promise<WritePlan>;
}

function view(tool: string, planId: string, plan: WritePlan) {
  return {
    tool,
    planId,
    target: plan.target,
    action: plan.action,
    summary: plan.summary,
    change: plan.change,
    before: plan.before ?? null,
    after: plan.after ?? null,
    commands: plan.commands,
    permission: plan.permission,
    undo: plan.undo,
  };
}

async function applyPlan(name: string, planId: string, plan: WritePlan, env: Environment, signal: AbortSignal) {
  if (plan.mayWrite) {
    const may = await plan.mayWrite(signal);
    if (!may.allowed) {
      throw new WriteRefused(
        `the operator may not write ${plan.target}: needs ${plan.permission}${may.reason ? ` (${may.reason})` : ""}; no write was made`,
      );
    }
  }
  const entry = {
    tool: name,
    planId,
    action: plan.action,
    target: plan.target,
    before: plan.before,
    after: plan.after,
  };
  try {
    await plan.apply(signal);
  } catch (err) {
    const forbidden = err instanceof ProviderError && err.kind === "forbidden";
    const message = forbidden
      ? `the write to ${plan.target} was refused: needs ${plan.permission}. ${(err as Error).message}`
      : `the write to ${plan.target} failed: ${(err as Error).message}`;
    audit(env, { ...entry, outcome: "failed", error: message });
    throw forbidden ? new WriteRefused(message) : new Error(message);
  }
  audit(env, { ...entry, outcome: "applied" });
}

export function defineWriteTool<S extends z.ZodRawShape>(spec: WriteToolSpec<S>) {
  const inputSchema = z.object({ ...spec.args, ...writeControlShape }) as unknown as AnyObjectSchema;
  return defineTool({
    name: spec.name,
    title: spec.title,
    description: `${spec.description} Writes only with --allow-writes. Call with dryRun (the default) first: it returns the exact change, before/after, the equivalent commands and a planId. To apply, call again with the same arguments plus dryRun: false, planId and confirm: true; a plan is refused if the target changed since.`,
    inputSchema,
    outputSchema: WriteOutputSchema,
    example: spec.example,
    annotations: { readOnlyHint: false, openWorldHint: true, ...spec.annotations },
    async handler(input: Record<string, unknown>, ctx: ToolContext): Promise<WriteOutput> {
      const { dryRun, planId, confirm, verifyWithinSeconds, ...args } = input as Record<string, unknown> & {
        dryRun: boolean;
        planId?: string;
        confirm?: boolean;
        verifyWithinSeconds: number;
      };
      const env = await ctx.env();
      const plan = await spec.plan(args as z.infer<z.ZodObject<S>>, { env, signal: ctx.signal });
      const id = planIdOf(spec.name, args, plan);
      const shown = view(spec.name, id, plan);
      const again = `call ${spec.name} again with the same arguments plus dryRun: false, planId: "${id}", confirm: true`;
      if (dryRun) {
        const may = plan.action !== "none" && plan.mayWrite ? await plan.mayWrite(ctx.signal) : undefined;
        return {
          ...shown,
          dryRun: true,
          applied: false,
          ...(may ? { permissionCheck: { allowed: may.allowed, ...(may.reason ? { detail: may.reason } : {}) } } : {}),
          next:
            plan.action === "none"
              ? "Nothing to change: the planned state is already in place."
              : may && !may.allowed
                ? `The operator may not make this write: ${may.reason ?? `needs ${plan.permission}`}. Grant ${plan.permission}, then ${again}.`
                : `Review the change, then ${again}.`,
        };
      }
      if (confirm !== true) {
        throw new ToolInputError("confirm", "true to apply a reviewed plan (run with dryRun: true first)", confirm);
      }
      if (!planId) throw new ToolInputError("planId", "the planId returned by a dry run with the same arguments");
      if (plan.action === "none") {
        return {
          ...shown,
          dryRun: false,
          applied: false,
          next: "Nothing to change: the planned state is already in place; no write was made.",
        };
      }
      if (planId !== id) {
        throw new WriteRefused(
          `plan ${planId} no longer matches ${plan.target}: it or the arguments changed since the dry run (the plan now is ${id}, at version ${plan.version}); no write was made. Run a dry run again and review the new plan.`,
        );
      }
      const asked = ctx.elicit ? await ctx.elicit(`Apply this change? ${plan.summary} (${plan.target})`) : undefined;
      if (asked === "decline" || asked === "cancel") {
        throw new WriteRefused(
          `the change was ${asked === "decline" ? "declined" : "cancelled"} at the client's confirmation prompt; no write was made`,
        );
      }
      await applyPlan(spec.name, id, plan, env, ctx.signal);
      const verification: Verification | undefined = plan.verify
        ? await verifyAfterApply(env, plan, ctx, verifyWithinSeconds * 1000)
        : undefined;
      return {
        ...shown,
        dryRun: false,
        applied: true,
        ...(verification ? { verification } : {}),
        next: verification
          ? verification.status === "healthy"
            ? "Applied and verified: the target is healthy."
            : `Applied; verification: ${verification.status}. ${verification.detail}`
          : "Applied.",
      };
    },
    render: renderWrite,
  });
}

export function renderWrite(o: WriteOutput): string {
  const lines = [
    `${o.dryRun ? "Plan" : o.applied ? "Applied" : "No write"} (${o.tool}): ${o.summary}`,
    `  target:  ${o.target}`,
    `  action:  ${o.action}`,
    `  planId:  ${o.planId}`,
    `  needs:   ${o.permission}`,
    `  request: ${o.change.method} ${o.change.url}`,
  ];
  if (o.permissionCheck) {
    lines.push(
      `  may write: ${o.permissionCheck.allowed ? "yes" : "no"}${o.permissionCheck.detail ? ` (${o.permissionCheck.detail})` : ""}`,
    );
  }
  if (o.change.body !== undefined) lines.push(`  body:    ${JSON.stringify(o.change.body)}`);
  lines.push(`  before:  ${JSON.stringify(o.before)}`, `  after:   ${JSON.stringify(o.after)}`);
  if (o.commands.length) lines.push("  commands:", ...o.commands.map((c) => `    ${c}`));
  if (o.undo.commands.length || o.undo.note) {
    lines.push("  undo:", ...o.undo.commands.map((c) => `    ${c}`), ...(o.undo.note ? [`    (${o.undo.note})`] : []));
  }
  if (o.verification) lines.push(`  verification: ${o.verification.status}: ${o.verification.detail}`);
  lines.push(o.next);
  return lines.join("\n");
}
