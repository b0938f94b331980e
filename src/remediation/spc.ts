// Plan for a SecretProviderClass's parameters.clientID (and tenantID): the identity the CSI driver's Azure provider
// exchanges the pod's token for. A merge patch carrying the resourceVersion, so a changed object is refused.
import { cmd } from "../diagnosis/command.js";
import { ProviderError } from "../providers/errors.js";
import { kubeMayWrite, mergePatchObject, objectPath, readObject } from "../providers/writes/kubernetes.js";
import type { PlanContext, WritePlan } from "./contract.js";

export interface SpcArgs {
  namespace: string;
  name: string;
  clientID: string;
  tenantID?: string;
  serviceAccount?: string;
}

export async function planSpcClientId(args: SpcArgs, ctx: PlanContext): Promise<WritePlan> {
  const ref = {
    apiVersion: "secrets-store.csi.x-k8s.io/v1",
    kind: "SecretProviderClass",
    namespace: args.namespace,
    name: args.name,
  };
  const spc = (await readObject(ctx.env, ref, ctx.signal)) as {
    metadata?: { resourceVersion?: string };
    spec?: { provider?: string; parameters?: Record<string, string> };
  } | null;
  if (!spc)
    throw new ProviderError("not-found", `SecretProviderClass ${args.namespace}/${args.name} does not exist`, 404);
  if (spc.spec?.provider !== "azure") {
    throw new ProviderError(
      "not-found",
      `SecretProviderClass ${args.namespace}/${args.name} is not for the azure provider`,
    );
  }
  const params = spc.spec.parameters ?? {};
  const wanted: Record<string, string> = {
    clientID: args.clientID,
    ...(args.tenantID ? { tenantID: args.tenantID } : {}),
  };
  const diff = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => params[k] !== v));
  const before = Object.fromEntries(Object.keys(wanted).map((k) => [k, params[k] ?? null]));
  const rv = spc.metadata?.resourceVersion ?? "";
  const patch = { metadata: { resourceVersion: rv }, spec: { parameters: diff } };
  const path = objectPath(ref, "secretproviderclasses");
  const where = cmd`secretproviderclass ${args.name} -n ${args.namespace}`;
  const undoParams = Object.fromEntries(Object.keys(diff).map((k) => [k, params[k] ?? null]));
  return {
    target: path,
    action: Object.keys(diff).length ? "update" : "none",
    summary: Object.keys(diff).length
      ? `set ${Object.entries(diff)
          .map(([k, v]) => `${k}=${v}`)
          .join(", ")} on SecretProviderClass ${args.namespace}/${args.name}`
      : `keep: SecretProviderClass ${args.namespace}/${args.name} already has ${Object.entries(wanted)
          .map(([k, v]) => `${k}=${v}`)
          .join(", ")}`,
    version: rv,
    change: { api: "kubernetes", method: "PATCH (application/merge-patch+json)", url: path, body: patch },
    before,
    after: { ...before, ...wanted },
    commands: Object.keys(diff).length
      ? [`kubectl patch ${where} --type merge -p ${cmd`${JSON.stringify({ spec: { parameters: diff } })}`}`]
      : [],
    undo: {
      tool: "set_secret_provider_class_client_id",
      commands: Object.keys(diff).length
        ? [`kubectl patch ${where} --type merge -p ${cmd`${JSON.stringify({ spec: { parameters: undoParams } })}`}`]
        : [],
      note: "pods mount the secrets when they start: restart the workloads that mount it afterwards",
    },
    permission: `patch secretproviderclasses.secrets-store.csi.x-k8s.io in namespace ${args.namespace} (Kubernetes RBAC)`,
    mayWrite: (signal) =>
      kubeMayWrite(
        ctx.env,
        {
          verb: "patch",
          group: "secrets-store.csi.x-k8s.io",
          resource: "secretproviderclasses",
          namespace: args.namespace,
          name: args.name,
        },
        signal,
      ),
    apply: (signal) => mergePatchObject(ctx.env, ref, patch, signal),
    ...(args.serviceAccount
      ? { verify: { target: { namespace: args.namespace, serviceAccount: args.serviceAccount }, fixes: ["spc."] } }
      : {}),
  };
}
