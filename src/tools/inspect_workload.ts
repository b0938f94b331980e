import type { V1Pod, V1ServiceAccount } from "@kubernetes/client-node";
import { z } from "zod";
import { INJECTED_ENV, injectionOf, TOKEN_PATH_V15, TOKEN_PATH_V16 } from "../diagnosis/aks/checks/pods.js";
import { WI_CLIENT_ID, WI_SKIP_CONTAINERS, WI_USE_LABEL } from "../diagnosis/aks/names.js";
import { type Gathered, skipped, valueOf } from "../diagnosis/types.js";
import {
  gathererFor,
  partialFacts,
  renderStep,
  resolveTarget,
  runAksChecks,
  SectionSchema,
  sectionOf,
  serviceAccountOf,
  stepShape,
} from "../gather/steps.js";
import { defineTool, ToolInputError } from "./define.js";
import { k8sName, namespaceField, workloadField } from "./schemas.js";

const CHECKS = [
  "pod.service-account-mismatch",
  "pod.label-missing",
  "pod.not-mutated",
  "pod.restart-needed",
  "pod.token-path-hardcoded",
];

const iso = (t: Date | string | undefined) => (t ? new Date(t).toISOString() : undefined);

/** The newest write to the service account, from its managed fields (the API keeps no "modified" time). */
function lastChanged(sa: V1ServiceAccount | null | undefined): string | undefined {
  const times = [sa?.metadata?.creationTimestamp, ...(sa?.metadata?.managedFields ?? []).map((m) => m.time)]
    .map(iso)
    .filter((t): t is string => Boolean(t))
    .sort();
  return times.at(-1);
}

/** Where a container names a token path itself instead of reading $AZURE_FEDERATED_TOKEN_FILE. */
function tokenPathMentions(pod: V1Pod, injectedPath: string | undefined) {
  const out: { container: string; where: string; path: string }[] = [];
  for (const c of pod.spec?.containers ?? []) {
    const look = (where: string, text: string | undefined) => {
      for (const path of [TOKEN_PATH_V15, TOKEN_PATH_V16]) {
        if (text?.includes(path) && path !== injectedPath) out.push({ container: c.name, where, path });
      }
    };
    for (const e of c.env ?? []) look(`env ${e.name}`, e.value);
    for (const a of [...(c.command ?? []), ...(c.args ?? [])]) look("command/args", a);
  }
  return out;
}

const ContainerSchema = z.object({
  name: z.string(),
  skipped: z.boolean().describe(`Listed in the pod's ${WI_SKIP_CONTAINERS} annotation`),
  env: z.record(z.string(), z.string().nullable()).describe(`The webhook's variables: ${INJECTED_ENV.join(", ")}`),
  missingEnv: z.array(z.string()),
  tokenMountPath: z.string().nullable(),
});

const PodSchema = z.object({
  name: z.string(),
  createdAt: z.string().nullable(),
  serviceAccountName: z.string(),
  label: z.string().nullable().describe(`Value of the ${WI_USE_LABEL} label on the pod`),
  skipContainers: z.array(z.string()),
  tokenVolume: z
    .object({
      name: z.string(),
      audience: z.string().nullable(),
      path: z.string().nullable(),
      layout: z.enum(["v1.5", "v1.6"]).describe("v1.5: azure-identity-token; v1.6: azure-workload-identity-reserved-*"),
    })
    .nullable(),
  mutated: z.boolean().describe("Every container not skipped has the token mount and all the variables"),
  containers: z.array(ContainerSchema),
  createdBeforeWebhook: z.boolean().nullable(),
  createdBeforeServiceAccountChange: z.boolean().nullable(),
  injectedClientIdMatchesAnnotation: z.boolean().nullable(),
  hardcodedTokenPaths: z.array(z.object({ container: z.string(), where: z.string(), path: z.string() })),
});

export const inspectWorkload = defineTool({
  name: "inspect_workload",
  title: "Inspect a pod or workload",
  description:
    "Use to see whether the workload identity webhook did its job for a pod, or for a workload (KIND/NAME: deployment, statefulset, " +
    `daemonset, job, cronjob) and its current pods: the ${WI_USE_LABEL}: "true" label on the pod template (the workload's own metadata ` +
    "does not count), serviceAccountName, per container the injected AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_FEDERATED_TOKEN_FILE / " +
    "AZURE_AUTHORITY_HOST and the projected token (v1.5 and v1.6 layouts), skip-containers, pods created before the webhook or before the " +
    "service account changed, token paths hard-coded in env or args, and an injected client id that differs from the annotation. " +
    "Give serviceAccount to check the pods run as it. Needs no Azure credential. " +
    "Next: check_webhook when pods are labelled but not mutated; inspect_service_account for the annotations.",
  inputSchema: z.object({
    namespace: namespaceField,
    pod: k8sName("pod").optional(),
    workload: workloadField.optional(),
    serviceAccount: k8sName("service account").optional().describe("The service account the pods should run as"),
  }),
  outputSchema: z.object({
    namespace: z.string(),
    workload: SectionSchema.extend({
      value: z
        .object({
          kind: z.string(),
          name: z.string(),
          serviceAccountName: z.string(),
          podTemplateLabel: z
            .string()
            .nullable()
            .describe(`${WI_USE_LABEL} on spec.template.metadata.labels (what the webhook sees)`),
          workloadMetadataLabel: z
            .string()
            .nullable()
            .describe(`${WI_USE_LABEL} on the workload's own metadata (ignored)`),
          selector: z.string().nullable(),
        })
        .nullable(),
    }).optional(),
    podMissing: z.string().optional().describe("The named pod does not exist"),
    serviceAccount: z.object({
      name: z.string().nullable(),
      read: SectionSchema,
      clientIdAnnotation: z.string().nullable(),
      lastChangedAt: z.string().nullable(),
    }),
    webhookCreatedAt: z.string().nullable(),
    pods: SectionSchema.extend({ items: z.array(PodSchema) }),
    ...stepShape,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(input, ctx) {
    if (input.pod && input.workload) throw new ToolInputError("pod | workload", "one of them, not both");
    if (!input.pod && !input.workload)
      throw new ToolInputError("pod | workload", "a pod name or KIND/NAME of a workload");
    const env = await ctx.env();
    const g = gathererFor(env, ctx.signal);
    const { namespace } = input;
    const target = { namespace, pod: input.pod, workload: input.workload, serviceAccount: input.serviceAccount };
    const webhookP = g.webhook(namespace);
    const resolved = await resolveTarget(g, target);
    const sa: Gathered<V1ServiceAccount | null> = resolved.saName
      ? await serviceAccountOf(g, namespace, resolved.saName)
      : skipped("no service account to read");
    const webhook = await webhookP;

    const facts = partialFacts(env, target, {
      serviceAccountName: resolved.saName,
      serviceAccount: sa,
      workload: resolved.workload,
      pods: resolved.pods,
      podMissing: resolved.podMissing,
      webhook,
    });
    const result = runAksChecks(facts, CHECKS);

    const annotated = valueOf(sa)?.metadata?.annotations?.[WI_CLIENT_ID]?.trim();
    const webhookCreatedAt = valueOf(webhook)?.deployment?.createdAt;
    const saChanged = lastChanged(valueOf(sa));
    const pods = (valueOf(resolved.pods) ?? []).map((pod) => {
      const inj = injectionOf(pod);
      const created = iso(pod.metadata?.creationTimestamp);
      const injectedIds = inj.containers
        .filter((c) => !c.skipped && c.env.AZURE_CLIENT_ID)
        .map((c) => c.env.AZURE_CLIENT_ID);
      const injectedPath = inj.tokenVolume
        ? inj.tokenVolume.layout === "v1.5"
          ? TOKEN_PATH_V15
          : TOKEN_PATH_V16
        : undefined;
      return {
        name: inj.pod,
        createdAt: created ?? null,
        serviceAccountName: pod.spec?.serviceAccountName ?? "default",
        label: pod.metadata?.labels?.[WI_USE_LABEL] ?? null,
        skipContainers: inj.containers.filter((c) => c.skipped).map((c) => c.container),
        tokenVolume: inj.tokenVolume
          ? {
              name: inj.tokenVolume.name,
              audience: inj.tokenVolume.audience ?? null,
              path: inj.tokenVolume.path ?? null,
              layout: inj.tokenVolume.layout,
            }
          : null,
        mutated: inj.mutated,
        containers: inj.containers.map((c) => ({
          name: c.container,
          skipped: c.skipped,
          env: Object.fromEntries(INJECTED_ENV.filter((k) => k in c.env).map((k) => [k, c.env[k] ?? null])),
          missingEnv: c.missingEnv,
          tokenMountPath: c.tokenMount ?? null,
        })),
        createdBeforeWebhook: created && webhookCreatedAt ? created < webhookCreatedAt : null,
        createdBeforeServiceAccountChange: created && saChanged ? created < saChanged : null,
        injectedClientIdMatchesAnnotation:
          annotated && injectedIds.length
            ? injectedIds.every((id) => id?.toLowerCase() === annotated.toLowerCase())
            : null,
        hardcodedTokenPaths: tokenPathMentions(pod, injectedPath),
      };
    });

    const wl = resolved.workload;
    const w = valueOf(wl);
    return {
      namespace,
      ...(wl
        ? {
            workload: {
              ...sectionOf(wl),
              value: w
                ? {
                    kind: w.kind,
                    name: w.name,
                    serviceAccountName: w.podTemplate.spec?.serviceAccountName ?? "default",
                    podTemplateLabel: w.podTemplate.metadata?.labels?.[WI_USE_LABEL] ?? null,
                    workloadMetadataLabel: w.labels[WI_USE_LABEL] ?? null,
                    selector: resolved.selector ?? null,
                  }
                : null,
            },
          }
        : {}),
      ...(resolved.podMissing ? { podMissing: resolved.podMissing } : {}),
      serviceAccount: {
        name: resolved.saName ?? null,
        read: sectionOf(sa),
        clientIdAnnotation: annotated ?? null,
        lastChangedAt: saChanged ?? null,
      },
      webhookCreatedAt: webhookCreatedAt ?? null,
      pods: { ...sectionOf(resolved.pods), items: pods },
      ...result,
    };
  },
  render(out) {
    const lines: string[] = [];
    const w = out.workload?.value;
    if (out.workload && !w) lines.push(`workload: ${out.workload.reason ?? "does not exist"}`);
    if (w) {
      lines.push(
        `${w.kind}/${w.name}: serviceAccountName=${w.serviceAccountName} template label=${w.podTemplateLabel ?? "(none)"} metadata label=${w.workloadMetadataLabel ?? "(none)"}`,
      );
    }
    if (out.podMissing) lines.push(`pod ${out.podMissing} does not exist`);
    for (const p of out.pods.items) {
      const skip = p.skipContainers.length ? ` skip=${p.skipContainers.join(";")}` : "";
      lines.push(
        `pod ${p.name}: sa=${p.serviceAccountName} label=${p.label ?? "(none)"} mutated=${p.mutated}${p.tokenVolume ? ` (${p.tokenVolume.layout})` : ""}${skip}`,
      );
      if (p.createdBeforeWebhook) lines.push("    created before the webhook");
      if (p.injectedClientIdMatchesAnnotation === false)
        lines.push("    injected AZURE_CLIENT_ID differs from the annotation");
      for (const h of p.hardcodedTokenPaths) lines.push(`    ${h.container} hard-codes ${h.path} in ${h.where}`);
    }
    if (!out.pods.items.length) lines.push(out.pods.reason ? `pods: ${out.pods.reason}` : "no pods");
    const name = w ? `${w.kind}/${w.name}` : (out.pods.items[0]?.name ?? out.podMissing ?? "workload");
    return renderStep(`Workload identity injection in ${out.namespace}: ${name}`, lines, out);
  },
});
