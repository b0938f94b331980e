// The facts explain_error compares an error text against: the cluster's issuer, the namespaces and
// service accounts that exist, and the federated credentials of the identity the text names. Every
// read that fails becomes a "skipped" line; the explanation is returned regardless.
import type { CrossCheckFacts } from "../diagnosis/errors/cross-check.js";
import { parseSubject } from "../diagnosis/errors/extract.js";
import type { Extracted } from "../diagnosis/errors/taxonomy.js";
import { AzureProvider } from "../providers/azure.js";
import type { Environment } from "../providers/environment.js";
import { ProviderError } from "../providers/errors.js";
import { KubeProvider } from "../providers/kubernetes.js";

const CLIENT_ID_ANNOTATION = "azure.workload.identity/client-id";

function reason(what: string, err: unknown): string {
  if (err instanceof ProviderError) return `${what}: ${err.message}${err.remedy ? ` (${err.remedy})` : ""}`;
  return `${what}: ${(err as Error)?.message ?? String(err)}`;
}

/** Whether there is anything in the extracted values worth comparing with the world. */
export function worthCrossChecking(x: Extracted): boolean {
  return Boolean(x.issuer || x.subject || x.audience || x.clientId || (x.namespace && x.serviceAccount));
}

export async function gatherCrossCheckFacts(
  env: Environment,
  x: Extracted,
  signal?: AbortSignal,
): Promise<CrossCheckFacts> {
  const facts: CrossCheckFacts = { skipped: [] };
  const skipped = facts.skipped as string[];
  const kube = env.kubeconfig ? new KubeProvider(env) : undefined;
  const azure = new AzureProvider(env);
  if (!kube) skipped.push(`the cluster: ${env.kubeconfigProblem ?? "no kube context"}`);

  // The issuer the API server announces; ARM's view of the same cluster when the API server will not say.
  if (kube && x.issuer) {
    try {
      facts.clusterIssuer = (await kube.getIssuerDiscovery(signal)).issuer;
    } catch (err) {
      const host = kube.apiServerHost();
      try {
        const cluster = host && env.azure.credential ? await azure.findClusterByApiHost(host, signal) : null;
        if (cluster?.issuerUrl) facts.clusterIssuer = cluster.issuerUrl;
        else skipped.push(reason("the cluster's OIDC issuer", err));
      } catch (armErr) {
        skipped.push(reason("the cluster's OIDC issuer", armErr));
      }
    }
  }

  // The namespace and service account the subject names.
  const sa = x.subject
    ? parseSubject(x.subject)
    : x.namespace && x.serviceAccount
      ? { namespace: x.namespace, serviceAccount: x.serviceAccount }
      : undefined;
  let annotatedClientId: string | undefined;
  if (kube && sa) {
    try {
      const ns = await kube.getNamespace(sa.namespace, signal);
      if (ns) {
        const accounts = await kube.listServiceAccounts(sa.namespace, signal);
        facts.serviceAccounts = accounts.map((a) => ({
          namespace: sa.namespace,
          name: a.metadata?.name ?? "",
          clientId: a.metadata?.annotations?.[CLIENT_ID_ANNOTATION],
        }));
        annotatedClientId = facts.serviceAccounts.find((a) => a.name === sa.serviceAccount)?.clientId;
        facts.namespaces = [sa.namespace];
      } else {
        // The namespace does not exist: the namespaces that run pods are the candidates for a typo.
        const pods = await kube.listPods(undefined, {}, signal);
        facts.namespaces = [...new Set(pods.map((p) => p.metadata?.namespace).filter((n): n is string => Boolean(n)))];
        facts.serviceAccounts = [];
      }
    } catch (err) {
      skipped.push(reason(`service accounts in namespace ${sa.namespace}`, err));
    }
  }

  // The federated credentials of the identity: the client ID in the text, else the service account's.
  const clientId = x.clientId ?? annotatedClientId;
  if (clientId && (x.issuer || x.subject || x.audience)) {
    if (!env.azure.credential) {
      skipped.push(`federated credentials of ${clientId}: ${env.azure.credentialProblem ?? "no Azure credential"}`);
    } else {
      try {
        const identity = await azure.findIdentity({ clientId }, signal);
        if (identity) facts.federatedCredentials = await azure.listFederatedCredentials(identity, signal);
        else
          skipped.push(
            `federated credentials: no managed identity or application with client ID ${clientId} is visible`,
          );
      } catch (err) {
        skipped.push(reason(`federated credentials of ${clientId}`, err));
      }
    }
  } else if (x.issuer || x.subject) {
    skipped.push(
      "federated credentials: the text names no client ID and the service account has no client-id annotation",
    );
  }
  return facts;
}
