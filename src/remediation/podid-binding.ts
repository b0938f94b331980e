// Plan for an aad-pod-identity AzureIdentityBinding: set its selector (the aadpodidbinding label value the pods
// carry) or its AzureIdentity, and rename fields spelt the pre-1.6 way (Selector, AzureIdentity), which MIC 1.6+
// reads as empty. A merge patch carrying the resourceVersion, so a changed binding is refused.
import { cmd } from "../diagnosis/command.js";
import { ProviderError } from "../providers/errors.js";
import { kubeMayWrite, mergePatchObject, objectPath, readObject } from "../providers/writes/kubernetes.js";
import type { PlanContext, WritePlan } from "./contract.js";

export interface BindingArgs {
  namespace: string;
  name: string;
  selector?: string;
  azureIdentity?: string;
  /** The workload the binding serves: re-diagnosed after the write. */
  workload?: string;
}

const FIELDS = ["selector", "azureIdentity"] as const;

export async function planAzureIdentityBinding(args: BindingArgs, ctx: PlanContext): Promise<WritePlan> {
  const ref = {
    apiVersion: "aadpodidentity.k8s.io/v1",
    kind: "AzureIdentityBinding",
    namespace: args.namespace,
    name: args.name,
  };
  const binding = (await readObject(ctx.env, ref, ctx.signal)) as {
    metadata?: { resourceVersion?: string };
    spec?: Record<string, unknown>;
  } | null;
  if (!binding) {
    throw new ProviderError("not-found", `AzureIdentityBinding ${args.namespace}/${args.name} does not exist`, 404);
  }
  const spec = binding.spec ?? {};
  const diff: Record<string, string | null> = {};
  const before: Record<string, unknown> = {};
  for (const field of FIELDS) {
    // The same field under another spelling (pre-1.6: Selector, AzureIdentity): its value moves to the exact name.
    const old = Object.keys(spec).filter((k) => k !== field && k.toLowerCase() === field.toLowerCase());
    const current = typeof spec[field] === "string" ? (spec[field] as string) : undefined;
    const wanted = args[field] ?? current ?? old.map((k) => spec[k]).find((v): v is string => typeof v === "string");
    if (wanted !== undefined && wanted !== current) {
      diff[field] = wanted;
      before[field] = current ?? null;
    }
    for (const k of old) {
      diff[k] = null;
      before[k] = spec[k] ?? null;
    }
  }
  const rv = binding.metadata?.resourceVersion ?? "";
  const patch = { metadata: { resourceVersion: rv }, spec: diff };
  const path = objectPath(ref, "azureidentitybindings");
  const where = cmd`azureidentitybinding ${args.name} -n ${args.namespace}`;
  const changed = Object.keys(diff).length > 0;
  return {
    target: path,
    action: changed ? "update" : "none",
    summary: changed
      ? `set ${Object.entries(diff)
          .map(([k, v]) => (v === null ? `remove ${k}` : `${k}=${v}`))
          .join(", ")} on AzureIdentityBinding ${args.namespace}/${args.name}`
      : `keep: AzureIdentityBinding ${args.namespace}/${args.name} already has these fields`,
    version: rv,
    change: { api: "kubernetes", method: "PATCH (application/merge-patch+json)", url: path, body: patch },
    before,
    after: diff,
    commands: changed ? [`kubectl patch ${where} --type merge -p ${cmd`${JSON.stringify({ spec: diff })}`}`] : [],
    undo: {
      commands: changed ? [`kubectl patch ${where} --type merge -p ${cmd`${JSON.stringify({ spec: before })}`}`] : [],
      note: "MIC re-evaluates the binding on its next sync: pods it selects get (or lose) the identity",
    },
    permission: `patch azureidentitybindings.aadpodidentity.k8s.io in namespace ${args.namespace} (Kubernetes RBAC)`,
    mayWrite: (signal) =>
      kubeMayWrite(
        ctx.env,
        {
          verb: "patch",
          group: "aadpodidentity.k8s.io",
          resource: "azureidentitybindings",
          namespace: args.namespace,
          name: args.name,
        },
        signal,
      ),
    apply: (signal) => mergePatchObject(ctx.env, ref, patch, signal),
    ...(args.workload
      ? { verify: { target: { namespace: args.namespace, workload: args.workload }, fixes: ["podid.binding-"] } }
      : {}),
  };
}
