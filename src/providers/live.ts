// The Environment for the real world: kubeconfig (or in-cluster config), DefaultAzureCredential, the AWS default chain.
import { DefaultAzureCredential } from "@azure/identity";
import { KubeConfig } from "@kubernetes/client-node";
import { azureClouds, type Environment } from "./environment.js";
import { proxyForUrl } from "./outbound.js";

export interface LiveOptions {
  context?: string;
  kubeconfigPath?: string;
  cloud?: string;
  subscriptionIds?: string[];
  awsRegion?: string;
  awsProfile?: string;
  timeoutMs?: number;
  allowExchange?: boolean;
  allowPrivateIssuer?: boolean;
}

export function loadKubeConfig(opts: Pick<LiveOptions, "context" | "kubeconfigPath">): {
  kubeconfig?: KubeConfig;
  problem?: string;
} {
  const kc = new KubeConfig();
  const howToFix = "set KUBECONFIG or pass --kubeconfig FILE and --context NAME";
  try {
    if (opts.kubeconfigPath) kc.loadFromFile(opts.kubeconfigPath);
    else kc.loadFromDefault();
  } catch (err) {
    return { problem: `no kube context found: could not load a kubeconfig (${(err as Error).message}); ${howToFix}` };
  }
  // Without a kubeconfig file or an in-cluster service account, client-node falls back to an unauthenticated
  // http://localhost:8080: that is no context at all, and calling it only yields misleading errors.
  const fallback =
    kc.getCurrentContext() === "loaded-context" && kc.getCurrentCluster()?.server === "http://localhost:8080";
  if (!opts.kubeconfigPath && (fallback || !kc.getContexts().length)) {
    return { problem: `no kube context found (no kubeconfig in KUBECONFIG or ~/.kube/config); ${howToFix}` };
  }
  if (opts.context) {
    if (!kc.getContexts().some((c) => c.name === opts.context)) {
      return {
        problem: `kube context "${opts.context}" not found; available: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(", ") || "none"
        }`,
      };
    }
    kc.setCurrentContext(opts.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) return { problem: "the kubeconfig has no current cluster (set a context with --context)" };
  // HTTPS_PROXY/NO_PROXY apply to the API server as they do for kubectl, unless the kubeconfig names a proxy.
  const proxyUrl = cluster.proxyUrl ? undefined : proxyForUrl(cluster.server);
  if (proxyUrl) kc.clusters = kc.clusters.map((c) => (c === cluster ? { ...c, proxyUrl } : c));
  return { kubeconfig: kc };
}

export async function createLiveEnvironment(opts: LiveOptions = {}): Promise<Environment> {
  const { kubeconfig, problem } = loadKubeConfig(opts);
  const cloudName = opts.cloud ?? process.env.AZURE_CLOUD ?? "AzurePublicCloud";
  const cloud = azureClouds[cloudName];
  if (!cloud) {
    throw new Error(`unknown Azure cloud "${cloudName}"; expected one of ${Object.keys(azureClouds).join(", ")}`);
  }
  let credential: Environment["azure"]["credential"] = null;
  let credentialProblem: string | undefined;
  try {
    credential = new DefaultAzureCredential({ authorityHost: cloud.authorityHost });
  } catch (err) {
    credentialProblem = `no Azure credential: ${(err as Error).message}`;
  }
  const subscriptionIds =
    opts.subscriptionIds ?? (process.env.AZURE_SUBSCRIPTION_ID ? [process.env.AZURE_SUBSCRIPTION_ID] : undefined);
  return {
    mode: "live",
    kubeconfig,
    kubeconfigProblem: problem,
    azure: { cloud, credential, credentialProblem, subscriptionIds },
    aws: {
      region: opts.awsRegion ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
      profile: opts.awsProfile,
    },
    timeoutMs: opts.timeoutMs ?? 15_000,
    allowExchange: opts.allowExchange ?? true,
    allowPrivateIssuer: opts.allowPrivateIssuer ?? false,
  };
}
