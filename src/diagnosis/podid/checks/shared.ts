import { valueOf as factOf } from "../../types.js";
import { derive, targetNamed } from "../derive.js";
import type { AzureIdentityView, PodIdFacts } from "../facts.js";

export const needTarget = (f: PodIdFacts) => {
  if (f.pods.status !== "ok") return `the pods could not be read: ${f.pods.reason}`;
  if (!targetNamed(f))
    return f.target.serviceAccount
      ? `no pod runs as service account ${f.target.serviceAccount}`
      : "no pod or workload named";
  if (f.podMissing) return f.podMissing;
  return undefined;
};

export const needRelies = (f: PodIdFacts) =>
  needTarget(f) ?? (derive(f).relies ? undefined : "the target does not use aad-pod-identity");

export const needBindings = (f: PodIdFacts) => {
  const why = needRelies(f);
  if (why) return why;
  if (f.bindings.status !== "ok") return `AzureIdentityBindings could not be read: ${f.bindings.reason}`;
  if (f.identities.status !== "ok") return `AzureIdentities could not be read: ${f.identities.reason}`;
  return undefined;
};

export const podNames = (f: PodIdFacts) => derive(f).pods.map((p) => p.metadata?.name ?? "");

export function errorLines(f: PodIdFacts, which: "mic" | "nmi"): string[] {
  return (factOf(f[which])?.errorLines ?? []).flatMap((e) => e.lines.map((l) => `${e.pod}: ${l}`));
}

/** Identities the checks look at: those bound to the target, or, with no pod named, those in the namespace. */
export function identitiesInScope(f: PodIdFacts): AzureIdentityView[] {
  const d = derive(f);
  if (targetNamed(f)) return d.bound.map((b) => b.identity).filter((i): i is AzureIdentityView => !!i);
  return d.identities.filter((i) => i.namespace === f.target.namespace);
}

export const needIdentities = (f: PodIdFacts) => {
  if (f.identities.status !== "ok") return `AzureIdentities could not be read: ${f.identities.reason}`;
  if (targetNamed(f)) {
    const why = needBindings(f);
    if (why) return why;
  }
  return identitiesInScope(f).length ? undefined : "no AzureIdentity is bound to the target";
};

export const userAssigned = (i: AzureIdentityView) => (i.type ?? 0) === 0 && i.typeRaw === undefined;

/** ARM answered that the identity does not exist: identity-resource-id-invalid says so, nothing else applies. */
export function missingInArm(f: PodIdFacts, i: AzureIdentityView): boolean {
  const arm = factOf(f.armIdentities);
  const key = i.resourceID.toLowerCase();
  return !!arm && Object.hasOwn(arm, key) && arm[key] === null;
}

export function clusterPrincipal(f: PodIdFacts) {
  const c = factOf(f.cluster);
  return c?.kubeletIdentity
    ? { objectId: c.kubeletIdentity.objectId, clientId: c.kubeletIdentity.clientId, kind: "kubelet identity" }
    : undefined;
}

export const needStandardUserAssigned = (f: PodIdFacts) => {
  const why = needIdentities(f);
  if (why) return why;
  if (derive(f).mode === "managed")
    return "managed mode: MIC does not assign identities, so the cluster identity needs no rights on them";
  if (!identitiesInScope(f).some(userAssigned)) return "no user-assigned identity is bound to the target";
  return undefined;
};

/** The scale set a node belongs to: AKS names nodes <vmss-name><6-digit instance>. */
export function vmssOfNode(node: string, sets: { name: string }[]) {
  return sets.find((s) => node.toLowerCase().startsWith(s.name.toLowerCase()));
}
