import type { V1Pod, V1ServiceAccount } from "@kubernetes/client-node";
import type { AksCheckId, EksCheckId } from "./step.js";
import { z } from "zod";
import { runsAsNonRoot } from "../diagnosis/rules.js";
import {
  INJECTED_ENV,
  injectionOf,
  type PodInjection,
  TOKEN_PATH_V15,
  TOKEN_PATH_V16,
  tokenFileIn,
} from "../diagnosis/aks/checks/pods.js";
import { WI_CLIENT_ID, WI_SKIP_CONTAINERS, WI_USE_LABEL } from "../diagnosis/aks/names.js";
import { tokenReadableRule } from "../diagnosis/eks/checks/pods.js";
import type { PodLike, ServiceAccountFact } from "../diagnosis/eks/facts.js";
import {
  createdAt,
  IRSA_VOLUMES,
  mutableContainers,
  POD_IDENTITY_AUDIENCE,
  ROLE_ARN_KEY,
  SKIP_CONTAINERS_KEY,
  SKIP_WEBHOOK_LABEL,
} from "../diagnosis/eks/names.js";
import { type Gathered, skipped, valueOf } from "../diagnosis/types.js";
import type { Environment } from "../providers/environment.js";
import {
  audienceOfAccount,
  clusterAndAssociations,
  eksGathererFor,
  kubernetesVersionOf,
  partialEksFacts,
  platformField,
  platformOutput,
  runEksChecks,
} from "./step.js";
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
} from "./step.js";
import { type ToolContext, ToolInputError } from "./define.js";
import { definePlatformTool } from "./platform.js";
import { k8sName, namespaceField, workloadField } from "./schemas.js";

const CHECKS: readonly AksCheckId[] = [
  "pod.service-account-mismatch",
  "pod.label-missing",
  "pod.not-mutated",
  "pod.restart-needed",
  "pod.token-path-hardcoded",
];
const EKS_CHECKS: readonly EksCheckId[] = [
  "pod.service-account-mismatch",
  "pod.aws-env-preset",
  "pod.restart-needed",
  "pod.not-mutated",
  "pod.token-unreadable",
];

/** What the EKS pod identity webhook injects, per mechanism, plus the region settings it adds. */
const IRSA_ENV = ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"];
const POD_IDENTITY_ENV = ["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"];
const EKS_ENV = [...IRSA_ENV, ...POD_IDENTITY_ENV, "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_STS_REGIONAL_ENDPOINTS"];
/** Set by hand, these come before the injected credentials in the SDK's chain (names only: values may be secrets). */
const STATIC_ENV = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"];

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
/** Known token paths a container names although the webhook mounted its token somewhere else. */
function tokenPathMentions(pod: V1Pod, inj: PodInjection) {
  const out: { container: string; where: string; path: string }[] = [];
  for (const c of pod.spec?.containers ?? []) {
    const ci = inj.containers.find((x) => x.container === c.name);
    const mounted = ci ? tokenFileIn(inj, ci) : undefined;
    const look = (where: string, text: string | undefined) => {
      for (const path of [TOKEN_PATH_V15, TOKEN_PATH_V16]) {
        if (text?.includes(path) && mounted && path !== mounted) out.push({ container: c.name, where, path });
      }
    };
    for (const e of c.env ?? []) if (e.name !== "AZURE_FEDERATED_TOKEN_FILE") look(`env ${e.name}`, e.value);
    for (const a of [...(c.command ?? []), ...(c.args ?? [])]) look("command/args", a);
  }
  return out;
}

const ContainerSchema = z.object({
  name: z.string(),
  skipped: z
    .boolean()
    .describe(`Listed in the pod's ${WI_SKIP_CONTAINERS} (AKS) or ${SKIP_CONTAINERS_KEY} (EKS) annotation`),
  env: z
    .record(z.string(), z.string().nullable())
    .describe(`The webhook's variables: ${INJECTED_ENV.join(", ")} (AKS); ${EKS_ENV.join(", ")} (EKS)`),
  missingEnv: z.array(z.string()),
  tokenMountPath: z.string().nullable(),
  presetEnv: z
    .array(z.string())
    .optional()
    .describe(
      "EKS: AWS_* credential variables set in the pod spec itself (static keys, or AWS_ROLE_ARN without the token volume)",
    ),
  runsAsNonRoot: z.boolean().optional().describe("EKS: runAsUser is not 0, or runAsNonRoot without a user"),
});

const PodSchema = z.object({
  name: z.string(),
  createdAt: z.string().nullable(),
  serviceAccountName: z.string(),
  label: z.string().nullable().optional().describe(`AKS: value of the ${WI_USE_LABEL} label on the pod`),
  skipWebhookLabel: z.string().nullable().optional().describe(`EKS: value of the ${SKIP_WEBHOOK_LABEL} label`),
  skipContainers: z.array(z.string()),
  tokenVolume: z
    .object({
      name: z.string(),
      audience: z.string().nullable(),
      path: z.string().nullable(),
      layout: z
        .enum(["v1.5", "v1.6", "eks-irsa", "eks-pod-identity"])
        .describe(
          "AKS v1.5: azure-identity-token; v1.6: azure-workload-identity-reserved-*; EKS: aws-iam-token (or aws-token), eks-pod-identity-token",
        ),
    })
    .nullable(),
  mutated: z.boolean().describe("Every container not skipped has the token mount and all the variables"),
  injected: z
    .enum(["irsa", "pod-identity", "none"])
    .optional()
    .describe("EKS: which credentials the webhook put into the containers"),
  containers: z.array(ContainerSchema),
  createdBeforeWebhook: z.boolean().nullable().optional().describe("AKS"),
  createdBeforeServiceAccountChange: z.boolean().nullable(),
  injectedClientIdMatchesAnnotation: z.boolean().nullable().optional().describe("AKS"),
  injectedRoleArnMatchesAnnotation: z
    .boolean()
    .nullable()
    .optional()
    .describe("EKS: AWS_ROLE_ARN equals the annotation"),
  fsGroup: z.number().int().nullable().optional().describe("EKS: spec.securityContext.fsGroup"),
  hardcodedTokenPaths: z
    .array(z.object({ container: z.string(), where: z.string(), path: z.string() }))
    .optional()
    .describe("AKS"),
});

const inputSchema = z.object({
  namespace: namespaceField,
  pod: k8sName("pod").optional(),
  workload: workloadField.optional(),
  serviceAccount: k8sName("service account").optional().describe("The service account the pods should run as"),
  platform: platformField,
});

const outputSchema = z.object({
  platform: platformOutput,
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
          .optional()
          .describe(`AKS: ${WI_USE_LABEL} on spec.template.metadata.labels (what the webhook sees)`),
        workloadMetadataLabel: z
          .string()
          .nullable()
          .optional()
          .describe(`AKS: ${WI_USE_LABEL} on the workload's own metadata (ignored)`),
        selector: z.string().nullable(),
      })
      .nullable(),
  }).optional(),
  podMissing: z.string().optional().describe("The named pod does not exist"),
  serviceAccount: z.object({
    name: z.string().nullable(),
    read: SectionSchema,
    clientIdAnnotation: z.string().nullable().optional().describe("AKS"),
    roleArnAnnotation: z.string().nullable().optional().describe(`EKS: ${ROLE_ARN_KEY}`),
    audience: z.string().optional().describe("EKS: the audience its IRSA tokens are projected for"),
    podIdentityAssociations: z
      .array(z.string())
      .optional()
      .describe("EKS: association ids for it; with one, new pods get Pod Identity rather than IRSA"),
    expectedInjection: z
      .enum(["irsa", "pod-identity", "none"])
      .optional()
      .describe("EKS: what the webhook injects into pods created now"),
    lastChangedAt: z.string().nullable(),
  }),
  webhookCreatedAt: z.string().nullable().optional().describe("AKS"),
  kubernetesVersion: z
    .string()
    .nullable()
    .optional()
    .describe("EKS: decides whether non-root containers can read the token"),
  tokenFileMode: z
    .enum(["legacy-0600", "kep-1598", "unknown"])
    .optional()
    .describe("EKS: before 1.19 the projected token is root-only (0600) unless fsGroup is set"),
  pods: SectionSchema.extend({ items: z.array(PodSchema) }),
  ...stepShape,
});

type Output = z.infer<typeof outputSchema>;

export const inspectWorkload = definePlatformTool({
  name: "inspect_workload",
  example: { namespace: "payments", workload: "deployment/payments-api" },
  toolsets: ["aks", "eks"],
  summary: "Pod labels, service account, and what the webhook injected per container.",
  title: "Inspect a pod or workload",
  description:
    "Use to see whether the identity webhook mutated a pod, or a workload (KIND/NAME) and its pods (AKS and EKS). AKS: the azure.workload.identity/use pod-template label, serviceAccountName, injected AZURE_* variables and projected token per container. EKS: AWS_ROLE_ARN and the web identity token, or the Pod Identity variables; preset AWS_* credentials. Also pods older than the webhook or annotation. Next: check_webhook when pods are not mutated.",
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  validate(input) {
    if (input.pod && input.workload) throw new ToolInputError("pod | workload", "one of them, not both");
    if (!input.pod && !input.workload)
      throw new ToolInputError("pod | workload", "a pod name or KIND/NAME of a workload");
  },
  eks: eksWorkload,
  async aks(env, input, ctx) {
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
        hardcodedTokenPaths: tokenPathMentions(pod, inj),
      };
    });

    const wl = resolved.workload;
    const w = valueOf(wl);
    return {
      platform: "aks" as const,
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
    if (out.platform === "eks") return renderEks(out);
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
      for (const h of p.hardcodedTokenPaths ?? []) lines.push(`    ${h.container} hard-codes ${h.path} in ${h.where}`);
    }
    if (!out.pods.items.length) lines.push(out.pods.reason ? `pods: ${out.pods.reason}` : "no pods");
    const name = w ? `${w.kind}/${w.name}` : (out.pods.items[0]?.name ?? out.podMissing ?? "workload");
    return renderStep(`Workload identity injection in ${out.namespace}: ${name}`, lines, out);
  },
});

type Mechanism = "irsa" | "pod-identity" | "none";

function eksPod(pod: PodLike, sa: ServiceAccountFact | null | undefined, expected: Mechanism) {
  const saAnnotations = sa?.annotations ?? {};
  const roleArn = saAnnotations[ROLE_ARN_KEY]?.trim();
  let tokenVolume: z.infer<typeof PodSchema>["tokenVolume"] = null;
  for (const v of pod.spec?.volumes ?? []) {
    const sat = v.projected?.sources?.find((x) => x.serviceAccountToken)?.serviceAccountToken;
    if (!sat) continue;
    if (IRSA_VOLUMES.includes(v.name) || (sat.audience === POD_IDENTITY_AUDIENCE && !tokenVolume)) {
      tokenVolume = {
        name: v.name,
        audience: sat.audience ?? null,
        path: sat.path ?? null,
        layout: IRSA_VOLUMES.includes(v.name) ? "eks-irsa" : "eks-pod-identity",
      };
    }
  }
  const mutable = new Set(mutableContainers(pod, saAnnotations).map((c) => c.name));
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const wanted = expected === "irsa" ? IRSA_ENV : expected === "pod-identity" ? POD_IDENTITY_ENV : [];
  const containers = all.map((c) => {
    const has = (name: string) => c.env?.some((e) => e.name === name) ?? false;
    const mount = c.volumeMounts?.find((m) => tokenVolume && m.name === tokenVolume.name);
    const irsaMounted = c.volumeMounts?.some((m) => IRSA_VOLUMES.includes(m.name)) ?? false;
    return {
      name: c.name,
      skipped: !mutable.has(c.name),
      env: Object.fromEntries(EKS_ENV.filter(has).map((k) => [k, c.env?.find((e) => e.name === k)?.value ?? null])),
      missingEnv: wanted.filter((k) => !has(k)),
      tokenMountPath: mount?.mountPath ?? null,
      presetEnv: [...STATIC_ENV.filter(has), ...(irsaMounted ? [] : IRSA_ENV.filter(has))],
      runsAsNonRoot: runsAsNonRoot(pod, c),
    };
  });
  const considered = containers.filter((c) => !c.skipped);
  const names = new Set(considered.flatMap((c) => Object.keys(c.env)));
  const injected: Mechanism = POD_IDENTITY_ENV.every((k) => names.has(k))
    ? "pod-identity"
    : IRSA_ENV.every((k) => names.has(k))
      ? "irsa"
      : "none";
  const mutated =
    expected !== "none" &&
    considered.length > 0 &&
    considered.every((c) => c.missingEnv.length === 0 && (expected === "pod-identity" || c.tokenMountPath));
  const injectedArns = considered.map((c) => c.env.AWS_ROLE_ARN).filter((v): v is string => Boolean(v));
  const born = createdAt(pod.metadata);
  const changed = sa?.lastModified ? Date.parse(sa.lastModified) : undefined;
  return {
    name: pod.metadata?.name ?? "",
    createdAt: born !== undefined ? new Date(born).toISOString() : null,
    serviceAccountName: pod.spec?.serviceAccountName || "default",
    skipWebhookLabel: pod.metadata?.labels?.[SKIP_WEBHOOK_LABEL] ?? null,
    skipContainers: containers.filter((c) => c.skipped).map((c) => c.name),
    tokenVolume,
    mutated,
    injected,
    containers,
    createdBeforeServiceAccountChange: born !== undefined && changed !== undefined ? born < changed : null,
    injectedRoleArnMatchesAnnotation: roleArn && injectedArns.length ? injectedArns.every((a) => a === roleArn) : null,
    fsGroup: pod.spec?.securityContext?.fsGroup ?? null,
  };
}

async function eksWorkload(env: Environment, input: z.infer<typeof inputSchema>, ctx: ToolContext): Promise<Output> {
  const g = eksGathererFor(env, ctx.signal);
  const { namespace } = input;
  const target = { namespace, pod: input.pod, workload: input.workload, serviceAccount: input.serviceAccount };
  const webhookP = g.webhook();
  const versionP = g.kubernetesVersion();
  const placeP = clusterAndAssociations(g, namespace);
  for (const p of [webhookP, versionP, placeP]) p.catch(() => undefined);
  const resolved = await resolveTarget(g, target);
  const sa = await g.serviceAccount(namespace, resolved.saName);
  const [webhook, fromApi, { cluster, associations }] = await Promise.all([webhookP, versionP, placeP]);
  const kubernetesVersion = kubernetesVersionOf(cluster, fromApi);

  const facts = partialEksFacts(target, {
    serviceAccountName: resolved.saName,
    serviceAccount: sa,
    pods: resolved.pods as Gathered<PodLike[]>,
    webhook,
    associations,
    cluster,
    kubernetesVersion,
    region: valueOf(cluster)?.region ?? g.region,
  });
  const result = runEksChecks(facts, EKS_CHECKS);

  const account = valueOf(sa);
  const own = (valueOf(associations) ?? []).filter(
    (a) => a.namespace === namespace && a.serviceAccount === resolved.saName,
  );
  const roleArn = account?.annotations[ROLE_ARN_KEY];
  const expected: Mechanism = own.length ? "pod-identity" : roleArn !== undefined ? "irsa" : "none";
  const pods = ((valueOf(resolved.pods) ?? []) as PodLike[]).map((p) => eksPod(p, account, expected));
  const wl = resolved.workload;
  const w = valueOf(wl);
  return {
    platform: "eks",
    namespace,
    ...(wl
      ? {
          workload: {
            ...sectionOf(wl),
            value: w
              ? {
                  kind: w.kind,
                  name: w.name,
                  serviceAccountName: w.podTemplate.spec?.serviceAccountName || "default",
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
      roleArnAnnotation: roleArn ?? null,
      audience: audienceOfAccount(account),
      ...(associations.status === "ok" ? { podIdentityAssociations: own.map((a) => a.associationId) } : {}),
      expectedInjection: expected,
      lastChangedAt: account?.lastModified ?? null,
    },
    kubernetesVersion: kubernetesVersion ?? null,
    tokenFileMode: tokenReadableRule(kubernetesVersion),
    pods: { ...sectionOf(resolved.pods), items: pods },
    ...result,
  };
}

function renderEks(out: Output): string {
  const lines: string[] = [];
  const w = out.workload?.value;
  if (out.workload && !w) lines.push(`workload: ${out.workload.reason ?? "does not exist"}`);
  if (w) lines.push(`${w.kind}/${w.name}: serviceAccountName=${w.serviceAccountName}`);
  if (out.podMissing) lines.push(`pod ${out.podMissing} does not exist`);
  const sa = out.serviceAccount;
  lines.push(
    `service account ${sa.name ?? "?"}: role-arn=${sa.roleArnAnnotation ?? "(none)"} associations=${sa.podIdentityAssociations?.join(", ") || "none"} → new pods get ${sa.expectedInjection ?? "?"}`,
  );
  for (const p of out.pods.items) {
    const skip = p.skipContainers.length ? ` skip=${p.skipContainers.join(";")}` : "";
    lines.push(
      `pod ${p.name}: sa=${p.serviceAccountName} injected=${p.injected ?? "?"} mutated=${p.mutated}${p.tokenVolume ? ` (${p.tokenVolume.name})` : ""}${skip}`,
    );
    if (p.createdBeforeServiceAccountChange) lines.push("    created before the service account last changed");
    if (p.injectedRoleArnMatchesAnnotation === false)
      lines.push("    injected AWS_ROLE_ARN differs from the annotation");
    for (const c of p.containers) {
      if (c.presetEnv?.length) lines.push(`    ${c.name} sets ${c.presetEnv.join(", ")} itself`);
    }
  }
  if (!out.pods.items.length) lines.push(out.pods.reason ? `pods: ${out.pods.reason}` : "no pods");
  const name = w ? `${w.kind}/${w.name}` : (out.pods.items[0]?.name ?? out.podMissing ?? "workload");
  return renderStep(`AWS credential injection in ${out.namespace}: ${name} (EKS)`, lines, out);
}
