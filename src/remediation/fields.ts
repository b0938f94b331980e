// Argument schemas of the write tools.
import { z } from "zod";
import { nameRules } from "../diagnosis/command.js";

const labelKey =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** What each workload identity annotation must hold. */
const annotationRules: Record<string, { what: string; ok: (v: string) => boolean }> = {
  "azure.workload.identity/client-id": nameRules.guid,
  "azure.workload.identity/tenant-id": nameRules.guid,
  "azure.workload.identity/service-account-token-expiration": {
    what: "seconds from 3600 to 86400",
    ok: (v) => /^\d+$/.test(v) && Number(v) >= 3600 && Number(v) <= 86400,
  },
  "eks.amazonaws.com/role-arn": nameRules.roleArn,
  "eks.amazonaws.com/audience": nameRules.audience,
  "eks.amazonaws.com/token-expiration": {
    what: "seconds from 600 to 86400",
    ok: (v) => /^\d+$/.test(v) && Number(v) >= 600 && Number(v) <= 86400,
  },
  "eks.amazonaws.com/sts-regional-endpoints": { what: "true or false", ok: (v) => v === "true" || v === "false" },
};

export const annotationsField = z
  .record(
    z.string().regex(labelKey, { message: "expected an annotation key such as azure.workload.identity/client-id" }),
    z.string().max(2048).nullable(),
  )
  .superRefine((map, ctx) => {
    const keys = Object.keys(map);
    if (!keys.length) ctx.addIssue({ code: "custom", message: "expected at least one annotation" });
    if (keys.length > 10) ctx.addIssue({ code: "custom", message: "expected at most 10 annotations" });
    for (const [k, v] of Object.entries(map)) {
      const rule = annotationRules[k];
      if (v === null) continue;
      if (!rule) {
        ctx.addIssue({
          code: "custom",
          path: [k],
          message: `only null (remove) is accepted for ${k}; settable: ${Object.keys(annotationRules).join(", ")}`,
        });
      } else if (!rule.ok(v)) {
        ctx.addIssue({ code: "custom", path: [k], message: `expected a ${rule.what}` });
      }
    }
  })
  .describe("Annotation key → value; null removes the key");

export const labelsField = z
  .record(
    z.string().regex(labelKey, { message: "expected a label key such as azure.workload.identity/use" }),
    z
      .string()
      .max(63)
      .regex(labelValue, { message: "expected a label value (letters, digits, '-', '_', '.')" })
      .nullable(),
  )
  .refine((m) => Object.keys(m).length >= 1 && Object.keys(m).length <= 10, { message: "expected 1 to 10 labels" })
  .describe("Label key → value; null removes the label");
