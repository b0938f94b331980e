// Which cloud a kube context points at: from the API server host (or the simulated scenario).
import type { Platform, Target } from "../diagnosis/types.js";
import type { Environment } from "../providers/environment.js";

export function detectPlatform(env: Environment): Platform | undefined {
  const kc = env.kubeconfig;
  const cluster = kc?.getCurrentCluster();
  const host = (cluster?.tlsServerName || (cluster?.server ? new URL(cluster.server).hostname : "")).toLowerCase();
  const context = kc?.getCurrentContext() ?? "";
  if (host.endsWith(".eks.amazonaws.com") || host.endsWith(".eks.amazonaws.com.cn") || context.startsWith("arn:aws"))
    return "eks";
  if (host.endsWith(".azmk8s.io") || host.includes(".azmk8s.") || host.endsWith(".azure.com")) return "aks";
  if (env.aws.credentials && !env.azure.credential) return "eks";
  return undefined;
}

/** A bare workload name means a Deployment, the way kubectl users usually mean it. */
export function normalizeTarget<T extends Target>(target: T): T {
  if (target.workload && !target.workload.includes("/"))
    return { ...target, workload: `deployment/${target.workload}` };
  return target;
}
