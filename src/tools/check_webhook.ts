import type { V1LabelSelector, V1MutatingWebhook } from "@kubernetes/client-node";
import { z } from "zod";
import type { WebhookFacts } from "../diagnosis/aks/facts.js";
import { WEBHOOK_DEPLOYMENT, WEBHOOK_MWC } from "../diagnosis/aks/names.js";
import { type Gathered, ok, valueOf } from "../diagnosis/types.js";
import { labelSelectorToString } from "../providers/kubernetes.js";
import {
  gathererFor,
  partialFacts,
  renderStep,
  runAksChecks,
  SectionSchema,
  sectionOf,
  stepShape,
} from "../gather/steps.js";
import { defineTool } from "./define.js";
import { namespaceField } from "./schemas.js";

const CHECKS = ["webhook.missing", "webhook.unhealthy"];

/** Which of a selector's requirements a set of labels fails (empty: selected). */
function unmet(selector: V1LabelSelector | undefined, labels: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {}))
    if (labels[k] !== v) out.push(`needs label ${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const v = labels[e.key];
    const has = v !== undefined;
    if (e.operator === "In" && (!has || !e.values?.includes(v)))
      out.push(`needs ${e.key} in [${e.values?.join(", ")}]`);
    if (e.operator === "NotIn" && has && e.values?.includes(v)) out.push(`label ${e.key}=${v} is excluded`);
    if (e.operator === "Exists" && !has) out.push(`needs label ${e.key}`);
    if (e.operator === "DoesNotExist" && has) out.push(`label ${e.key} is excluded`);
  }
  return out;
}

function ourHook(hooks: V1MutatingWebhook[] | undefined): V1MutatingWebhook | undefined {
  return hooks?.find((h) => h.name.includes("azure-workload-identity")) ?? hooks?.[0];
}

export const checkWebhook = defineTool({
  name: "check_webhook",
  title: "Check the workload identity webhook",
  description:
    "Use when pods are labelled but get no AZURE_* variables or projected token, or are rejected at creation. " +
    `Reads the MutatingWebhookConfiguration ${WEBHOOK_MWC} (failurePolicy, objectSelector, namespaceSelector, whether caBundle is set, ` +
    `the service it calls) and the ${WEBHOOK_DEPLOYMENT} deployment in kube-system (AKS add-on) or azure-workload-identity-system ` +
    "(self-managed): ready replicas, ready endpoints, image. Give namespace to learn whether the webhook's namespaceSelector excludes it. " +
    "Needs no Azure credential. Next: after fixing the webhook, recreate the pods (the webhook only mutates at creation) and call inspect_workload.",
  inputSchema: z.object({
    namespace: namespaceField
      .optional()
      .describe("Namespace whose pods should be mutated (to check it is not excluded)"),
  }),
  outputSchema: z.object({
    read: SectionSchema,
    configuration: z
      .object({
        name: z.string(),
        webhooks: z.array(
          z.object({
            name: z.string(),
            failurePolicy: z
              .string()
              .nullable()
              .describe("Fail: labelled pods are rejected while the webhook is down; Ignore: created unmutated"),
            objectSelector: z.string().nullable(),
            namespaceSelector: z.string().nullable(),
            caBundlePresent: z.boolean(),
            service: z.string().nullable().describe("namespace/name:port/path the API server calls"),
            url: z.string().nullable(),
          }),
        ),
      })
      .nullable(),
    deployment: z
      .object({
        namespace: z.string(),
        name: z.string(),
        mode: z.enum(["aks-add-on", "self-managed"]),
        replicas: z.number().int(),
        readyReplicas: z.number().int(),
        createdAt: z.string().nullable(),
        images: z.array(z.string()),
      })
      .nullable(),
    readyEndpoints: z.number().int().nullable(),
    namespace: z
      .object({
        name: z.string(),
        exists: z.boolean(),
        labels: z.record(z.string(), z.string()),
        excluded: z.boolean(),
        reasons: z.array(z.string()),
      })
      .optional(),
    defaultTenantId: z
      .string()
      .nullable()
      .describe("AZURE_TENANT_ID in azure-wi-webhook-config: injected when a service account names no tenant"),
    ...stepShape,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(input, ctx) {
    const env = await ctx.env();
    const g = gathererFor(env, ctx.signal);
    const ns = input.namespace;
    // The cluster only names the resource group and cluster in the fix commands.
    const [webhook, defaultTenant, nsObject, cluster] = await Promise.all([
      g.webhook(ns ?? "kube-system"),
      g.defaultTenant(),
      ns ? g.kube.getNamespace(ns, g.signal).catch(() => undefined) : Promise.resolve(undefined),
      g.cluster(),
    ]);
    const wh = valueOf(webhook);
    const images = wh?.deployment
      ? await g.kube
          .getDeployment(wh.deployment.namespace, wh.deployment.name, g.signal)
          .then((d) => (d?.spec?.template.spec?.containers ?? []).map((c) => c.image ?? "").filter(Boolean))
          .catch(() => [])
      : [];

    // Without a namespace there is nothing to select against: judge the webhook itself only.
    let factsWebhook: Gathered<WebhookFacts> = webhook;
    if (wh?.configuration && !ns) {
      const configuration = {
        ...wh.configuration,
        webhooks: wh.configuration.webhooks?.map((h) => ({ ...h, namespaceSelector: undefined })),
      };
      factsWebhook = ok({ ...wh, configuration });
    }
    const facts = partialFacts(env, { namespace: ns ?? "kube-system" }, { webhook: factsWebhook, cluster });
    const result = runAksChecks(facts, CHECKS);

    const hook = ourHook(wh?.configuration?.webhooks);
    const labels = wh?.namespaceLabels ?? {};
    const reasons = ns && hook ? unmet(hook.namespaceSelector, labels) : [];
    if (ns && hook && reasons.length === 0 && nsObject === null) reasons.push(`namespace ${ns} does not exist`);
    return {
      read: sectionOf(webhook),
      configuration: wh?.configuration
        ? {
            name: wh.configuration.metadata?.name ?? WEBHOOK_MWC,
            webhooks: (wh.configuration.webhooks ?? []).map((h) => {
              const s = h.clientConfig?.service;
              return {
                name: h.name,
                failurePolicy: h.failurePolicy ?? null,
                objectSelector: labelSelectorToString(h.objectSelector) ?? null,
                namespaceSelector: labelSelectorToString(h.namespaceSelector) ?? null,
                caBundlePresent: Boolean(h.clientConfig?.caBundle),
                service: s ? `${s.namespace}/${s.name}:${s.port ?? 443}${s.path ?? ""}` : null,
                url: h.clientConfig?.url ?? null,
              };
            }),
          }
        : null,
      deployment: wh?.deployment
        ? {
            namespace: wh.deployment.namespace,
            name: wh.deployment.name,
            mode: wh.deployment.namespace === "kube-system" ? ("aks-add-on" as const) : ("self-managed" as const),
            replicas: wh.deployment.replicas,
            readyReplicas: wh.deployment.readyReplicas,
            createdAt: wh.deployment.createdAt ?? null,
            images,
          }
        : null,
      readyEndpoints: wh?.readyEndpoints ?? null,
      ...(ns
        ? {
            namespace: {
              name: ns,
              exists: Boolean(nsObject),
              labels,
              excluded: reasons.length > 0,
              reasons,
            },
          }
        : {}),
      defaultTenantId: defaultTenant ?? null,
      ...result,
    };
  },
  render(out) {
    const lines: string[] = [];
    if (out.read.status !== "ok") lines.push(`could not read: ${out.read.reason}`);
    const h = out.configuration?.webhooks[0];
    lines.push(
      out.configuration
        ? `${out.configuration.name}: failurePolicy=${h?.failurePolicy ?? "?"} objectSelector=${h?.objectSelector ?? "(none)"} caBundle=${h?.caBundlePresent ? "set" : "EMPTY"}`
        : `${WEBHOOK_MWC}: not found`,
    );
    const d = out.deployment;
    lines.push(
      d
        ? `${d.namespace}/${d.name} (${d.mode}): ${d.readyReplicas}/${d.replicas} ready, ${out.readyEndpoints ?? "?"} endpoint(s) ${d.images.join(", ")}`
        : `${WEBHOOK_DEPLOYMENT}: not deployed`,
    );
    if (out.namespace) {
      lines.push(
        `namespace ${out.namespace.name}: ${out.namespace.excluded ? `excluded (${out.namespace.reasons.join("; ")})` : "selected"}`,
      );
    }
    return renderStep("Workload identity webhook", lines, out);
  },
});
