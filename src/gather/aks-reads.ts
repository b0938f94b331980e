// Reads the workload identity gatherer and the aad-pod-identity one both make, as functions of the providers: a
// diagnosis that runs both gives them one of each (src/gather/index.ts).
import type { ClusterFacts, SecretProviderClassFacts } from "../diagnosis/aks/facts.js";
import type { Gathered } from "../diagnosis/types.js";
import type { AzureProvider } from "../providers/azure.js";
import { gather, ProviderError } from "../providers/errors.js";
import type { KubeProvider } from "../providers/kubernetes.js";

/** A lazily-started promise shared by every check that needs it. */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= fn();
    return p;
  };
}

/**
 * The AKS cluster behind the kube context: matched by API server host across the visible subscriptions, else by the
 * context's name.
 */
export function contextClusterLookup<C extends ClusterFacts>(
  kube: KubeProvider,
  azure: AzureProvider,
  signal: AbortSignal,
): Promise<Gathered<C | null>> {
  return gather<C | null>("AKS cluster", async () => {
    const host = kube.apiServerHost();
    if (!host) throw new ProviderError("no-credential", "no kube context to take the API server host from");
    return ((await azure.findClusterByApiHost(host, signal, kube.contextName())) as C | null) ?? null;
  });
}

/** The namespace's SecretProviderClasses (Secrets Store CSI driver), with their parameters as strings. */
export function readSecretProviderClasses(
  kube: KubeProvider,
  namespace: string,
  signal: AbortSignal,
): Promise<Gathered<SecretProviderClassFacts[]>> {
  return gather<SecretProviderClassFacts[]>("SecretProviderClasses", async () => {
    const items = (await kube.listCustomObjects(
      "secrets-store.csi.x-k8s.io",
      "v1",
      "secretproviderclasses",
      namespace,
      signal,
    )) as {
      metadata?: { name?: string; namespace?: string };
      spec?: { provider?: string; parameters?: Record<string, unknown> };
    }[];
    return items.map((o) => ({
      name: o.metadata?.name ?? "",
      namespace: o.metadata?.namespace ?? namespace,
      provider: o.spec?.provider,
      parameters: Object.fromEntries(Object.entries(o.spec?.parameters ?? {}).map(([k, v]) => [k, String(v)])),
    }));
  });
}
