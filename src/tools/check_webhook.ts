import type { V1LabelSelector, V1MutatingWebhook } from "@kubernetes/client-node";
import type { AksCheckId, EksCheckId } from "./step.js";
import { z } from "zod";
import type { WebhookFacts } from "../diagnosis/aks/facts.js";
import { WEBHOOK_DEPLOYMENT, WEBHOOK_MWC } from "../diagnosis/aks/names.js";
import {
  AGENT_DAEMONSET,
  AGENT_NAMESPACE,
  WEBHOOK_MWC as EKS_WEBHOOK_MWC,
  POD_IDENTITY_URI,
} from "../diagnosis/eks/names.js";
import { type Gathered, ok, valueOf } from "../diagnosis/types.js";
import type { Environment } from "../providers/environment.js";
import {
  anyIrsaAccount,
  eksGathererFor,
  partialEksFacts,
  platformField,
  platformOutput,
  runEksChecks,
  gather,
  labelSelectorToString,
} from "./step.js";
import { gathererFor, partialFacts, renderStep, runAksChecks, SectionSchema, sectionOf, stepShape } from "./step.js";
import { type ToolContext, ToolInputError } from "./define.js";
import { definePlatformTool } from "./platform.js";
import { k8sName, namespaceField } from "./schemas.js";

const CHECKS: readonly AksCheckId[] = ["webhook.missing", "webhook.unhealthy"];
const EKS_CHECKS: readonly EksCheckId[] = ["webhook.missing", "eks.pod-identity-agent-missing"];

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
  return (
    hooks?.find((h) => h.name.includes("azure-workload-identity") || h.name.includes("iam-for-pods")) ?? hooks?.[0]
  );
}

const inputSchema = z.object({
  namespace: namespaceField.optional().describe("Namespace whose pods should be mutated (to check it is not excluded)"),
  serviceAccount: k8sName("service account")
    .optional()
    .describe("EKS: judge the webhook and Pod Identity agent for this service account"),
  platform: platformField,
});

const outputSchema = z.object({
  platform: platformOutput,
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
            .describe("Fail: pods are rejected while the webhook is down; Ignore: created without injection, silently"),
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
    .nullable()
    .optional()
    .describe("AKS: the webhook's deployment (on EKS the webhook runs in the managed control plane)"),
  readyEndpoints: z.number().int().nullable().optional().describe("AKS"),
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
    .optional()
    .describe("AKS: AZURE_TENANT_ID in azure-wi-webhook-config, injected when a service account names no tenant"),
  silentWhenDown: z
    .boolean()
    .nullable()
    .optional()
    .describe("EKS: failurePolicy Ignore, so pods created while the webhook is unreachable start without credentials"),
  podIdentityAgent: SectionSchema.extend({
    installed: z.boolean().nullable(),
    namespace: z.string(),
    name: z.string(),
    desired: z.number().int().nullable(),
    ready: z.number().int().nullable(),
    healthy: z.boolean().nullable().describe("Installed with every desired pod ready"),
  })
    .optional()
    .describe(`EKS: the ${AGENT_DAEMONSET} DaemonSet that serves Pod Identity credentials at ${POD_IDENTITY_URI}`),
  ...stepShape,
});

type Output = z.infer<typeof outputSchema>;

export const checkWebhook = definePlatformTool({
  name: "check_webhook",
  example: { namespace: "payments" },
  toolsets: ["aks", "eks"],
  summary: "The mutating webhook: configuration, readiness, endpoints, namespace selection.",
  title: "Check the workload identity webhook",
  description:
    "Use when pods get no injected credentials (no AZURE_*/AWS_* variables or projected token) or are rejected at creation (AKS and EKS). Reads the identity webhook's MutatingWebhookConfiguration (failurePolicy, selectors, caBundle, service) and its deployment's health, and on EKS the Pod Identity agent. Give namespace to learn whether it is excluded. Next: after a fix, recreate the pods (mutation happens at creation), then inspect_workload.",
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  eks: eksWebhook,
  async aks(env, input, ctx) {
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
      platform: "aks" as const,
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
    if (out.platform === "eks") return renderEks(out);
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

async function eksWebhook(env: Environment, input: z.infer<typeof inputSchema>, ctx: ToolContext): Promise<Output> {
  if (input.serviceAccount && !input.namespace) {
    throw new ToolInputError("namespace", "the namespace of serviceAccount");
  }
  const g = eksGathererFor(env, ctx.signal);
  const ns = input.namespace;
  const saName = input.serviceAccount;
  // The cluster names it in the findings and fix commands; its associations matter only for a named service account.
  const clusterP = g.cluster();
  const associationsP = ns && saName ? clusterP.then((c) => g.associations(c, ns)) : undefined;
  const [raw, webhook, agent, nsObject, sa, cluster, associations] = await Promise.all([
    gather(`${EKS_WEBHOOK_MWC} configuration`, () => g.kube.getMutatingWebhookConfiguration(EKS_WEBHOOK_MWC, g.signal)),
    g.webhook(),
    g.podIdentityAgent(),
    ns ? g.kube.getNamespace(ns, g.signal).catch(() => undefined) : Promise.resolve(undefined),
    ns && saName ? g.serviceAccount(ns, saName) : Promise.resolve(undefined),
    clusterP,
    associationsP,
  ]);

  // Without a service account, the webhook is judged as every IRSA service account needs it.
  const target = { namespace: ns ?? AGENT_NAMESPACE, serviceAccount: saName };
  const facts = partialEksFacts(target, {
    serviceAccount: sa ?? ok(anyIrsaAccount(target.namespace, "sts.amazonaws.com")),
    webhook,
    podIdentityAgent: agent,
    cluster,
    ...(associations ? { associations } : {}),
  });
  const result = runEksChecks(facts, EKS_CHECKS);
  if (!sa) {
    for (const c of result.checks) {
      if (c.id === "eks.pod-identity-agent-missing" && c.status === "skipped") {
        c.detail = "name a service account that uses EKS Pod Identity to judge the agent for it";
      }
    }
  }

  const config = valueOf(raw) ?? undefined;
  const hook = ourHook(config?.webhooks);
  const labels = nsObject?.metadata?.labels ?? {};
  const reasons = ns && hook ? unmet(hook.namespaceSelector, labels) : [];
  if (ns && nsObject === null) reasons.push(`namespace ${ns} does not exist`);
  const a = valueOf(agent);
  return {
    platform: "eks",
    read: sectionOf(raw),
    configuration: config
      ? {
          name: config.metadata?.name ?? EKS_WEBHOOK_MWC,
          webhooks: (config.webhooks ?? []).map((h) => {
            const svc = h.clientConfig?.service;
            return {
              name: h.name,
              failurePolicy: h.failurePolicy ?? null,
              objectSelector: labelSelectorToString(h.objectSelector) ?? null,
              namespaceSelector: labelSelectorToString(h.namespaceSelector) ?? null,
              caBundlePresent: Boolean(h.clientConfig?.caBundle),
              service: svc ? `${svc.namespace}/${svc.name}:${svc.port ?? 443}${svc.path ?? ""}` : null,
              url: h.clientConfig?.url ?? null,
            };
          }),
        }
      : null,
    ...(ns
      ? { namespace: { name: ns, exists: Boolean(nsObject), labels, excluded: reasons.length > 0, reasons } }
      : {}),
    silentWhenDown: hook ? hook.failurePolicy === "Ignore" : null,
    podIdentityAgent: {
      ...sectionOf(agent),
      installed: agent.status === "ok" ? Boolean(a) : null,
      namespace: AGENT_NAMESPACE,
      name: AGENT_DAEMONSET,
      desired: a?.desired ?? null,
      ready: a?.ready ?? null,
      // A DaemonSet without status (hand-written) is taken as running, as the diagnosis does.
      healthy:
        agent.status === "ok" ? Boolean(a && (a.statusKnown === false || (a.ready > 0 && a.ready >= a.desired))) : null,
    },
    ...result,
  };
}

function renderEks(out: Output): string {
  const lines: string[] = [];
  if (out.read.status !== "ok") lines.push(`could not read: ${out.read.reason}`);
  const h = out.configuration?.webhooks[0];
  lines.push(
    out.configuration
      ? `${out.configuration.name}: failurePolicy=${h?.failurePolicy ?? "?"}${out.silentWhenDown ? " (pods start without credentials when it is down)" : ""} caBundle=${h?.caBundlePresent ? "set" : "EMPTY"} calls ${h?.service ?? h?.url ?? "?"}`
      : `${EKS_WEBHOOK_MWC}: not found`,
  );
  const a = out.podIdentityAgent;
  if (a) {
    lines.push(
      a.installed === null
        ? `${a.namespace}/${a.name}: ${a.reason ?? "unknown"}`
        : a.installed
          ? `${a.namespace}/${a.name}: ${a.ready}/${a.desired} ready`
          : `${a.namespace}/${a.name}: not installed (needed only for EKS Pod Identity)`,
    );
  }
  if (out.namespace) {
    lines.push(
      `namespace ${out.namespace.name}: ${out.namespace.excluded ? `excluded (${out.namespace.reasons.join("; ")})` : "selected"}`,
    );
  }
  return renderStep("Pod identity webhook (EKS)", lines, out);
}
