// Real names for fix commands, with <placeholders> only where the world could not tell us.
import { sh } from "../command.js";
import { valueOf } from "../types.js";
import type { AksFacts } from "./facts.js";

export const WI_CLIENT_ID = "azure.workload.identity/client-id";
export const WI_TENANT_ID = "azure.workload.identity/tenant-id";
export const WI_TOKEN_EXPIRATION = "azure.workload.identity/service-account-token-expiration";
export const WI_USE_LABEL = "azure.workload.identity/use";
export const WI_SKIP_CONTAINERS = "azure.workload.identity/skip-containers";
export const WEBHOOK_MWC = "azure-wi-webhook-mutating-webhook-configuration";
export const WEBHOOK_DEPLOYMENT = "azure-wi-webhook-controller-manager";

export { sh } from "../command.js";

export function names(facts: AksFacts) {
  const cluster = valueOf(facts.cluster) ?? undefined;
  const identity = valueOf(facts.identity) ?? undefined;
  const ns = facts.target.namespace;
  const sa = facts.serviceAccountName ?? facts.target.serviceAccount ?? "<service-account>";
  // The tokens' own issuer is what Entra compares; ARM's issuer URL is the fallback.
  const issuer =
    valueOf(facts.token)?.claims.iss ??
    valueOf(facts.apiServerIssuer) ??
    cluster?.issuerUrl ??
    "<cluster-oidc-issuer-url>";
  return {
    namespace: ns,
    serviceAccount: sa,
    subject: `system:serviceaccount:${ns}:${sa}`,
    issuer,
    audience: facts.cloud.tokenExchangeAudience,
    clusterName: cluster?.name ?? "<cluster-name>",
    clusterResourceGroup: cluster?.resourceGroup ?? "<cluster-resource-group>",
    clusterSubscription: cluster?.subscriptionId,
    identityName: identity?.name ?? "<identity-name>",
    identityResourceGroup: identity?.resourceGroup ?? "<identity-resource-group>",
    identityKind: identity?.kind ?? "managedIdentity",
    clientId: identity?.clientId ?? "<client-id>",
    principalId: identity?.principalId ?? "<principal-id>",
    appObjectId: identity?.objectId ?? identity?.clientId ?? "<app-id>",
  };
}

/** The command that creates the right federated credential, for a managed identity or an app registration. */
export function createFicCommand(facts: AksFacts, credentialName?: string): string {
  const n = names(facts);
  const name = credentialName ?? `${n.namespace}-${n.serviceAccount}`.slice(0, 120);
  if (n.identityKind === "application") {
    const params = JSON.stringify({ name, issuer: n.issuer, subject: n.subject, audiences: [n.audience] });
    return `az ad app federated-credential create --id ${sh(n.appObjectId)} --parameters ${sh(params)}`;
  }
  return [
    "az identity federated-credential create",
    `--name ${sh(name)}`,
    `--identity-name ${sh(n.identityName)}`,
    `--resource-group ${sh(n.identityResourceGroup)}`,
    `--issuer ${sh(n.issuer)}`,
    `--subject ${sh(n.subject)}`,
    `--audience ${sh(n.audience)}`,
  ].join(" ");
}

/** Rewrite an existing credential in place with the values this service account needs. */
export function updateFicCommand(facts: AksFacts, credentialName: string): string {
  const n = names(facts);
  if (n.identityKind === "application") {
    const params = JSON.stringify({
      name: credentialName,
      issuer: n.issuer,
      subject: n.subject,
      audiences: [n.audience],
    });
    return `az ad app federated-credential update --id ${sh(n.appObjectId)} --federated-credential-id ${sh(credentialName)} --parameters ${sh(params)}`;
  }
  // For a managed identity, create with an existing name replaces that credential.
  return createFicCommand(facts, credentialName);
}

export function deleteFicCommand(facts: AksFacts, credentialName: string): string {
  const n = names(facts);
  if (n.identityKind === "application") {
    return `az ad app federated-credential delete --id ${sh(n.appObjectId)} --federated-credential-id ${sh(credentialName)}`;
  }
  return `az identity federated-credential delete --name ${sh(credentialName)} --identity-name ${sh(n.identityName)} --resource-group ${sh(n.identityResourceGroup)} --yes`;
}

/** How the workload is restarted so the webhook mutates fresh pods. */
export function restartCommand(facts: AksFacts, podName?: string): string {
  const wl = facts.target.workload;
  if (wl) return `kubectl rollout restart ${sh(wl.toLowerCase())} -n ${sh(facts.target.namespace)}`;
  return `kubectl delete pod ${sh(podName ?? facts.target.pod ?? "<pod>")} -n ${sh(facts.target.namespace)}   # its controller recreates it`;
}
