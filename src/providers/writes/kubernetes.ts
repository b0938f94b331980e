// Kubernetes writes for the remediation tools: a permission check by SelfSubjectAccessReview, and reads and merge
// patches through the same client as every other Kubernetes call.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Environment } from "../environment.js";
import { ProviderError, withTimeout } from "../errors.js";
import { type KubeObjectRef, KubeProvider, type WorkloadKind } from "../kubernetes.js";

export const workloadApiVersion: Record<WorkloadKind, string> = {
  Deployment: "apps/v1",
  StatefulSet: "apps/v1",
  DaemonSet: "apps/v1",
  ReplicaSet: "apps/v1",
  Job: "batch/v1",
  CronJob: "batch/v1",
};

export interface AccessAttributes {
  verb: string;
  resource: string;
  group?: string;
  namespace?: string;
  name?: string;
}

/** `kubectl auth can-i` for the operator: a SelfSubjectAccessReview. */
export async function kubeMayWrite(
  env: Environment,
  attrs: AccessAttributes,
  signal: AbortSignal,
): Promise<{ allowed: boolean; reason?: string }> {
  const kc = env.kubeconfig;
  if (!kc) throw new ProviderError("no-credential", env.kubeconfigProblem ?? "no kubeconfig");
  const { AuthorizationV1Api } = await import("@kubernetes/client-node");
  const api = kc.makeApiClient(AuthorizationV1Api);
  const review = await withTimeout("SelfSubjectAccessReview", env.timeoutMs, signal, () =>
    api.createSelfSubjectAccessReview({
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: { resourceAttributes: { ...attrs, group: attrs.group ?? "" } },
      },
    }),
  );
  return { allowed: review.status?.allowed === true, reason: review.status?.reason || review.status?.evaluationError };
}

export function readObject(
  env: Environment,
  ref: KubeObjectRef,
  signal: AbortSignal,
): Promise<KubernetesObject | null> {
  return new KubeProvider(env).getObject(ref, signal);
}

/** An RFC 7386 merge patch; a metadata.resourceVersion in it makes the API server refuse a changed object (409). */
export function mergePatchObject(
  env: Environment,
  ref: KubeObjectRef,
  patch: object,
  signal: AbortSignal,
): Promise<KubernetesObject> {
  return new KubeProvider(env).patchObject(ref, patch, { type: "merge" }, signal);
}

/** The REST path of an object, as shown in plans and the audit log. */
export function objectPath(ref: KubeObjectRef, plural: string): string {
  const base = ref.apiVersion.includes("/") ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  return `${base}${ref.namespace ? `/namespaces/${ref.namespace}` : ""}/${plural}/${ref.name}`;
}
