// The output and input schema parts the step tools share, and their text rendering. The gathering half is in
// src/gather/steps.ts and src/gather/steps-eks.ts (re-exported here, so a tool imports its step helpers from one place).
import { z } from "zod";
import type { IdentityFacts } from "../diagnosis/aks/facts.js";
import { GUID_RE } from "../diagnosis/compare.js";
import type { Gathered } from "../diagnosis/types.js";
import type { StepResult } from "../gather/steps.js";
import { renderFinding } from "../report/text.js";
import { CheckResultSchema, FindingSchema } from "./schemas.js";

export * from "../gather/steps.js";
export * from "../gather/steps-eks.js";

export const platformField = z
  .enum(["aks", "eks"])
  .optional()
  .describe("aks or eks (default: detected from the kube context)");

export const platformOutput = z.enum(["aks", "eks"]).describe("The platform the answer is about");

export const stepShape = {
  findings: z.array(FindingSchema).describe("What the checks of this step raised, most likely root cause first"),
  checks: z.array(CheckResultSchema).describe("Each check of this step: pass, fail, skipped (with why) or error"),
};

/** Whether a part of the world could be read, and why not. */
export const SectionSchema = z.object({
  status: z.enum(["ok", "skipped", "error"]),
  reason: z.string().optional(),
});
export type Section = z.infer<typeof SectionSchema>;

export function sectionOf(g: Gathered<unknown>): Section {
  return g.status === "ok" ? { status: "ok" } : { status: g.status, reason: g.reason };
}

export const IdentitySchema = z.object({
  kind: z.enum(["managedIdentity", "application"]),
  name: z.string(),
  resourceGroup: z.string().optional(),
  subscriptionId: z.string().optional(),
  resourceId: z.string().optional(),
  clientId: z.string(),
  principalId: z
    .string()
    .describe("Object id of the service principal: what role assignments and access policies name"),
  tenantId: z.string(),
  objectId: z.string().optional().describe("Application object id (app registrations)"),
});

export function identityOutput(identity: IdentityFacts): z.infer<typeof IdentitySchema> {
  const { kind, name, resourceGroup, subscriptionId, resourceId, clientId, principalId, tenantId, objectId } = identity;
  return { kind, name, resourceGroup, subscriptionId, resourceId, clientId, principalId, tenantId, objectId };
}

export const guidField = (what: string) =>
  z
    .string()
    .max(64)
    .trim()
    .regex(GUID_RE, { message: `expected a GUID such as 00000000-0000-0000-0000-000000000000 (${what})` })
    .describe(what);

export const resourceIdField = (what: string) =>
  z
    .string()
    .max(2048)
    .trim()
    .regex(/^\/subscriptions\/[^/]+(\/.*)?$/i, {
      message: "expected an Azure resource id starting with /subscriptions/",
    })
    .describe(what);

export const resourceGroupField = z
  .string()
  .min(1)
  .max(90)
  .regex(/^[-\w._()]+$/, { message: "expected a resource group name" })
  .describe("Azure resource group");

/** A headline, a few facts, then the findings with their fixes and a one-line tally of the checks. */
export function renderStep(headline: string, lines: string[], result: StepResult): string {
  const out = [headline, ...lines.map((l) => `  ${l}`)];
  const shown = result.findings.filter((f) => f.severity !== "info");
  if (shown.length) {
    out.push("");
    shown.forEach((f, i) => {
      out.push(...renderFinding(f, i));
    });
  }
  if (!result.checks.length) return out.join("\n");
  const count = (s: string) => result.checks.filter((c) => c.status === s).length;
  out.push(
    "",
    `checks: ${count("pass")} passed, ${count("fail")} failed, ${count("skipped")} skipped, ${count("error")} errored`,
  );
  const reasons = [
    ...new Set(result.checks.filter((c) => c.status === "skipped" || c.status === "error").map((c) => c.detail)),
  ];
  for (const reason of reasons.slice(0, 3)) out.push(`  skipped: ${reason}`);
  return out.join("\n");
}
