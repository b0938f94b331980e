// Plans for Kubernetes writes: service-account annotations, pod-template labels, a rollout restart.
import { cmd, json } from "../diagnosis/command.js";
import { ProviderError } from "../providers/errors.js";
import { parseWorkloadRef } from "../providers/kubernetes.js";
import {
  kubeMayWrite,
  mergePatchObject,
  objectPath,
  readObject,
  workloadApiVersion,
} from "../providers/writes/kubernetes.js";
import type { PlanContext, WritePlan } from "./contract.js";

type StringMap = Record<string, string | null>;

function changed(current: Record<string, string> | undefined, wanted: StringMap): StringMap {
  const out: StringMap = {};
  for (const [k, v] of Object.entries(wanted)) if ((current?.[k] ?? null) !== v) out[k] = v;
  return out;
}

function pick(current: Record<string, string> | undefined, keys: string[]): StringMap {
  return Object.fromEntries(keys.map((k) => [k, current?.[k] ?? null]));
}

/** `kubectl annotate`/`label` arguments: key=value, or key- to remove. */
function kvArgs(map: StringMap): string[] {
  return Object.entries(map).map(([k, v]) => (v === null ? `${k}-` : `${k}=${v}`));
}

export async function planServiceAccountAnnotations(
  args: { namespace: string; serviceAccount: string; annotations: StringMap },
  ctx: PlanContext,
): Promise<WritePlan> {
  const ref = { apiVersion: "v1", kind: "ServiceAccount", namespace: args.namespace, name: args.serviceAccount };
  const sa = await readObject(ctx.env, ref, ctx.signal);
  if (!sa) {
    throw new ProviderError(
      "not-found",
      `service account ${args.namespace}/${args.serviceAccount} does not exist`,
      404,
    );
  }
  const current = sa.metadata?.annotations;
  const diff = changed(current, args.annotations);
  const keys = Object.keys(args.annotations);
  const rv = sa.metadata?.resourceVersion ?? "";
  const patch = { metadata: { resourceVersion: rv, annotations: diff } };
  const path = objectPath(ref, "serviceaccounts");
  const annotateArgs = kvArgs(diff);
  return {
    target: path,
    action: Object.keys(diff).length ? "update" : "none",
    summary: `annotate service account ${args.namespace}/${args.serviceAccount}: ${annotateArgs.join(" ") || "(already so)"}`,
    version: rv,
    change: { api: "kubernetes", method: "PATCH (application/merge-patch+json)", url: path, body: patch },
    before: pick(current, keys),
    after: args.annotations,
    commands: annotateArgs.length
      ? [
          `kubectl annotate serviceaccount ${cmd`${args.serviceAccount} -n ${args.namespace}`} ${annotateArgs
            .map((a) => cmd`${a}`)
            .join(" ")} --overwrite`,
        ]
      : [],
    undo: {
      tool: "annotate_service_account",
      arguments: { namespace: args.namespace, serviceAccount: args.serviceAccount, annotations: pick(current, keys) },
      commands: kvArgs(changed(args.annotations as Record<string, string>, pick(current, keys))).length
        ? [
            `kubectl annotate serviceaccount ${cmd`${args.serviceAccount} -n ${args.namespace}`} ${kvArgs(
              pick(current, keys),
            )
              .map((a) => cmd`${a}`)
              .join(" ")} --overwrite`,
          ]
        : [],
    },
    permission: `patch serviceaccounts in namespace ${args.namespace} (Kubernetes RBAC)`,
    mayWrite: (signal) =>
      kubeMayWrite(
        ctx.env,
        { verb: "patch", resource: "serviceaccounts", namespace: args.namespace, name: args.serviceAccount },
        signal,
      ),
    apply: (signal) => mergePatchObject(ctx.env, ref, patch, signal),
    verify: { target: { namespace: args.namespace, serviceAccount: args.serviceAccount }, fixes: ["sa."] },
  };
}

interface WorkloadObject {
  metadata?: { resourceVersion?: string; uid?: string };
  spec?: {
    template?: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec?: { serviceAccountName?: string };
    };
    jobTemplate?: {
      spec?: { template?: { metadata?: { labels?: Record<string, string> }; spec?: { serviceAccountName?: string } } };
    };
  };
}

async function readWorkload(workload: string, namespace: string, ctx: PlanContext) {
  const parsed = parseWorkloadRef(workload.includes("/") ? workload : `deployment/${workload}`);
  if (!parsed) throw new ProviderError("not-found", `workload ${workload}: expected KIND/NAME`);
  const ref = { apiVersion: workloadApiVersion[parsed.kind], kind: parsed.kind, namespace, name: parsed.name };
  const obj = (await readObject(ctx.env, ref, ctx.signal)) as WorkloadObject | null;
  if (!obj) throw new ProviderError("not-found", `${parsed.kind} ${namespace}/${parsed.name} does not exist`, 404);
  const plural = `${parsed.kind.toLowerCase()}s`;
  return { ref, obj, plural, kind: parsed.kind, name: parsed.name, group: ref.apiVersion.split("/")[0] };
}

export async function planTemplateLabels(
  args: { namespace: string; workload: string; labels: StringMap },
  ctx: PlanContext,
): Promise<WritePlan> {
  const w = await readWorkload(args.workload, args.namespace, ctx);
  const cron = w.kind === "CronJob";
  const template = cron ? w.obj.spec?.jobTemplate?.spec?.template : w.obj.spec?.template;
  const current = template?.metadata?.labels;
  const diff = changed(current, args.labels);
  const keys = Object.keys(args.labels);
  const rv = w.obj.metadata?.resourceVersion ?? "";
  const templatePatch = { metadata: { labels: diff } };
  const patch = {
    metadata: { resourceVersion: rv },
    spec: cron ? { jobTemplate: { spec: { template: templatePatch } } } : { template: templatePatch },
  };
  const path = objectPath(w.ref, w.plural);
  const undoLabels = pick(current, keys);
  const patchCommand = (body: object) =>
    cmd`kubectl patch ${w.kind.toLowerCase()} ${w.name} -n ${args.namespace} --type merge -p ${json(body)}`;
  const saName = template?.spec?.serviceAccountName;
  return {
    target: path,
    action: Object.keys(diff).length ? "update" : "none",
    summary: `set pod-template labels of ${w.kind} ${args.namespace}/${w.name}: ${kvArgs(diff).join(" ") || "(already so)"}${
      w.kind === "Job" || cron ? "" : "; the change rolls out new pods"
    }`,
    version: rv,
    change: { api: "kubernetes", method: "PATCH (application/merge-patch+json)", url: path, body: patch },
    before: undoLabels,
    after: args.labels,
    commands: Object.keys(diff).length ? [patchCommand({ spec: patch.spec })] : [],
    undo: {
      tool: "label_pod_template",
      arguments: { namespace: args.namespace, workload: `${w.kind.toLowerCase()}/${w.name}`, labels: undoLabels },
      commands: [
        patchCommand(
          cron
            ? { spec: { jobTemplate: { spec: { template: { metadata: { labels: undoLabels } } } } } }
            : { spec: { template: { metadata: { labels: undoLabels } } } },
        ),
      ],
    },
    ...patchWorkloadPermission(ctx, args.namespace, w),
    apply: (signal) => mergePatchObject(ctx.env, w.ref, patch, signal),
    verify: {
      target: saName
        ? { namespace: args.namespace, serviceAccount: saName }
        : { namespace: args.namespace, workload: `${w.kind}/${w.name}` },
      fixes: ["pod.label-missing", "pod.not-mutated", "podid.label-missing"],
    },
  };
}

/** The RBAC a workload patch needs, and the SelfSubjectAccessReview that asks for it before writing. */
function patchWorkloadPermission(
  ctx: PlanContext,
  namespace: string,
  w: { plural: string; group: string; name: string },
): Pick<WritePlan, "permission" | "mayWrite"> {
  return {
    permission: `patch ${w.plural}.${w.group} in namespace ${namespace} (Kubernetes RBAC)`,
    mayWrite: (signal) =>
      kubeMayWrite(ctx.env, { verb: "patch", resource: w.plural, group: w.group, namespace, name: w.name }, signal),
  };
}

const RESTARTABLE = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

export async function planRestart(args: { namespace: string; workload: string }, ctx: PlanContext): Promise<WritePlan> {
  const w = await readWorkload(args.workload, args.namespace, ctx);
  if (!RESTARTABLE.has(w.kind)) {
    throw new ProviderError(
      "invalid-response",
      `a ${w.kind} cannot be restarted in place: its next run starts new pods (delete the current pods to replace them now)`,
    );
  }
  const rv = w.obj.metadata?.resourceVersion ?? "";
  const path = objectPath(w.ref, w.plural);
  const key = "kubectl.kubernetes.io/restartedAt";
  const planned = {
    metadata: { resourceVersion: rv },
    spec: { template: { metadata: { annotations: { [key]: "<the time of the apply, RFC 3339>" } } } },
  };
  const saName = w.obj.spec?.template?.spec?.serviceAccountName;
  return {
    target: path,
    action: "restart",
    summary: `rollout restart ${w.kind} ${args.namespace}/${w.name}: its pods are replaced by new ones, which the admission webhooks mutate`,
    version: rv,
    change: { api: "kubernetes", method: "PATCH (application/merge-patch+json)", url: path, body: planned },
    before: { [key]: w.obj.spec?.template?.metadata?.annotations?.[key] ?? null },
    after: { [key]: "<the time of the apply>" },
    commands: [cmd`kubectl rollout restart ${w.kind.toLowerCase()}/${w.name} -n ${args.namespace}`],
    undo: { commands: [], note: "a restart cannot be undone; the replaced pods are gone" },
    ...patchWorkloadPermission(ctx, args.namespace, w),
    apply: (signal) =>
      mergePatchObject(
        ctx.env,
        w.ref,
        {
          metadata: { resourceVersion: rv },
          spec: {
            template: { metadata: { annotations: { [key]: new Date().toISOString().replace(/\.\d{3}Z$/, "Z") } } },
          },
        },
        signal,
      ),
    verify: {
      target: saName
        ? { namespace: args.namespace, serviceAccount: saName }
        : { namespace: args.namespace, workload: `${w.kind}/${w.name}` },
      fixes: ["pod."],
    },
  };
}
