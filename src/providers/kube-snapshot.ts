// Kubernetes reads answered from an audit's snapshots (see read-cache.ts): the same objects the typed client
// returns, filtered the way the API server filters them.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { ListOptions, Workload, WorkloadKind } from "./kubernetes.js";
import { normalizeWorkloadKind, toWorkload } from "./kubernetes.js";
import { type ReadCache, selectFrom } from "./read-cache.js";

/** Resources an audit can snapshot, as "plural" or "plural.group". */
export const workloadResources: Record<WorkloadKind, string> = {
  Deployment: "deployments.apps",
  StatefulSet: "statefulsets.apps",
  DaemonSet: "daemonsets.apps",
  ReplicaSet: "replicasets.apps",
  Job: "jobs.batch",
  CronJob: "cronjobs.batch",
};

const ownedBy = (o: KubernetesObject, kind: string) =>
  (o.metadata?.ownerReferences ?? []).some((r) => r.controller && r.kind === kind);

async function one<T>(cache: ReadCache, resource: string, namespace: string, name: string): Promise<T | null> {
  const s = cache.snapshotFor(resource, namespace);
  const items = s ? await selectFrom<KubernetesObject>(s, namespace, { fieldSelector: `metadata.name=${name}` }) : [];
  return (items?.[0] as T | undefined) ?? null;
}

/** An answer from the snapshots for a KubeProvider read, or undefined to let the call through. */
export function kubeSnapshotAnswer(cache: ReadCache, method: string, args: unknown[]): Promise<unknown> | undefined {
  const ns = args[0] as string | undefined;
  switch (method) {
    case "listPods": {
      const s = cache.snapshotFor("pods", ns);
      return s && selectFrom(s, ns, (args[1] as ListOptions | undefined) ?? {});
    }
    case "listServiceAccounts": {
      const s = cache.snapshotFor("serviceaccounts", ns);
      return s && selectFrom(s, ns);
    }
    case "getPod":
      return cache.snapshotFor("pods", ns) && one(cache, "pods", ns!, args[1] as string);
    case "getServiceAccount":
      return cache.snapshotFor("serviceaccounts", ns) && one(cache, "serviceaccounts", ns!, args[1] as string);
    case "listNetworkPolicies": {
      const s = cache.snapshotFor("networkpolicies.networking.k8s.io", ns);
      return s && selectFrom(s, ns);
    }
    case "getWorkload": {
      const kind = normalizeWorkloadKind(args[1] as string);
      const resource = kind && workloadResources[kind];
      if (!resource || !cache.snapshotFor(resource, ns)) return undefined;
      return one<Workload["object"]>(cache, resource, ns!, args[2] as string).then((o) =>
        o ? toWorkload(kind, o, ns!) : null,
      );
    }
    case "listDeployments": {
      const s = cache.snapshotFor(workloadResources.Deployment, ns);
      return s && selectFrom(s, ns);
    }
    case "listWorkloads": {
      const kinds = Object.keys(workloadResources) as WorkloadKind[];
      if (!kinds.every((k) => cache.snapshotFor(workloadResources[k], ns))) return undefined;
      return Promise.all(
        kinds.map(async (k) => {
          const items = (await selectFrom<Workload["object"]>(cache.snapshotFor(workloadResources[k], ns)!, ns)) ?? [];
          const kept =
            k === "ReplicaSet"
              ? items.filter((o) => !ownedBy(o as KubernetesObject, "Deployment"))
              : k === "Job"
                ? items.filter((o) => !ownedBy(o as KubernetesObject, "CronJob"))
                : items;
          return kept.map((o) => toWorkload(k, o, ns!));
        }),
      ).then((lists) => lists.flat());
    }
    case "listCustomObjects": {
      const [group, , plural, namespace, , options] = args as [
        string,
        string,
        string,
        string | undefined,
        unknown,
        ListOptions | undefined,
      ];
      const s = cache.snapshotFor(`${plural}.${group}`, namespace);
      return s && selectFrom(s, namespace, options ?? {});
    }
    default:
      return undefined;
  }
}
