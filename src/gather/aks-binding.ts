// The facts of the AKS identity binding path: the cluster's bindings (ARM) and the RBAC objects that can grant a
// service account `use-managed-identity` (Kubernetes). Read beside the rest of the AKS facts.
import type { V1ClusterRole, V1ClusterRoleBinding, V1Role, V1RoleBinding } from "@kubernetes/client-node";
import { podOptsIn, WI_USE_IDENTITY_BINDING } from "../diagnosis/aks/checks/binding-opt-in.js";
import type { ClusterFacts, IdentityBindingFacts, KubeRbacFacts } from "../diagnosis/aks/facts.js";
import { type Gathered, skipped } from "../diagnosis/types.js";
import type { AzureProvider } from "../providers/azure.js";
import { gather } from "../providers/errors.js";
import type { KubeProvider } from "../providers/kubernetes.js";
import type { ResolvedTarget } from "./target.js";

/** The target's pods or pod template carry the identity binding annotation. */
export function optsIntoBinding(r: ResolvedTarget): boolean {
  const pods = r.pods.status === "ok" ? r.pods.value : [];
  const template = r.workload?.status === "ok" ? r.workload.value?.podTemplate : undefined;
  return pods.some(podOptsIn) || template?.metadata?.annotations?.[WI_USE_IDENTITY_BINDING]?.trim() === "true";
}

export function readIdentityBindings(
  azure: AzureProvider,
  cluster: Gathered<ClusterFacts | null>,
  signal: AbortSignal,
): Promise<Gathered<IdentityBindingFacts[]>> {
  if (cluster.status !== "ok" || !cluster.value)
    return Promise.resolve(skipped<IdentityBindingFacts[]>("the AKS cluster is not known"));
  const c = cluster.value;
  return gather("identity bindings", () => azure.listIdentityBindings({ ...c, location: c.location ?? "" }, signal));
}

const RBAC = "rbac.authorization.k8s.io";

/** ClusterRoles and ClusterRoleBindings, and the namespace's Roles and RoleBindings. */
export function readKubeRbac(
  kube: KubeProvider,
  namespace: string,
  signal: AbortSignal,
): Promise<Gathered<KubeRbacFacts>> {
  return gather<KubeRbacFacts>("RBAC roles and bindings", async () => {
    const [clusterRoles, clusterRoleBindings, roles, roleBindings] = await Promise.all([
      kube.listCustomObjects(RBAC, "v1", "clusterroles", undefined, signal),
      kube.listCustomObjects(RBAC, "v1", "clusterrolebindings", undefined, signal),
      kube.listCustomObjects(RBAC, "v1", "roles", namespace, signal),
      kube.listCustomObjects(RBAC, "v1", "rolebindings", namespace, signal),
    ]);
    return {
      clusterRoles: clusterRoles as V1ClusterRole[],
      clusterRoleBindings: clusterRoleBindings as V1ClusterRoleBinding[],
      roles: roles as V1Role[],
      roleBindings: roleBindings as V1RoleBinding[],
    };
  });
}

/** Why no live exchange is made on the binding path. */
export const PROXY_EXCHANGE =
  "the pods exchange through the identity binding proxy, which answers only inside the cluster (a direct exchange would prove nothing)";

/**
 * The binding facts of one diagnosis: the cluster's bindings; the RBAC objects, read only when the pods opt in or a
 * binding names the identity; and whether the pods take the proxy path.
 */
export function bindingReads(
  g: { azure: AzureProvider; kube: KubeProvider },
  clusterP: Promise<Gathered<ClusterFacts | null>>,
  targetP: Promise<ResolvedTarget>,
  clientId: string | undefined,
  namespace: string,
  signal: AbortSignal,
) {
  const bindingsP = clusterP.then((c) => readIdentityBindings(g.azure, c, signal));
  const viaProxyP = targetP.then(optsIntoBinding);
  const rbacP = Promise.all([viaProxyP, bindingsP]).then(([viaProxy, b]) => {
    const named =
      b.status === "ok" && b.value.some((x) => clientId && x.clientId?.toLowerCase() === clientId.toLowerCase());
    return viaProxy || named ? readKubeRbac(g.kube, namespace, signal) : undefined;
  });
  for (const p of [bindingsP, viaProxyP, rbacP]) p.catch(() => undefined);
  return { bindingsP, rbacP, viaProxyP };
}
