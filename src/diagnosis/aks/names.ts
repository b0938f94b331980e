// Real names for fix commands, with <placeholders> only where the world could not tell us.
import { cmd, json, sh, validName } from "../command.js";
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

/**
 * The names a federated-credential command needs, each checked against its naming rule first: a value that is not
 * a valid name of its kind (an issuer with a space, an identity name with a quote) is never placed into the command;
 * its <placeholder> is, so the user fills it in from a trusted source.
 */
function ficNames(facts: AksFacts) {
  const n = names(facts);
  const namespace = validName("namespace", n.namespace) ?? "<namespace>";
  const serviceAccount = validName("k8sName", n.serviceAccount) ?? "<service-account>";
  return {
    identityKind: n.identityKind,
    namespace,
    serviceAccount,
    subject: `system:serviceaccount:${namespace}:${serviceAccount}`,
    issuer: validName("issuer", n.issuer) ?? "<cluster-oidc-issuer-url>",
    audience: validName("audience", n.audience) ?? "<audience>",
    identityName: validName("azureName", n.identityName) ?? "<identity-name>",
    identityResourceGroup: validName("azureName", n.identityResourceGroup) ?? "<identity-resource-group>",
    appObjectId: validName("guid", n.appObjectId) ?? "<app-object-id>",
  };
}

const credentialName = (name: string) => validName("azureName", name) ?? "<federated-credential-name>";

/** The command that creates the right federated credential, for a managed identity or an app registration. */
export function createFicCommand(facts: AksFacts, credential?: string): string {
  const n = ficNames(facts);
  const name = credentialName(credential ?? `${n.namespace}-${n.serviceAccount}`.slice(0, 120));
  if (n.identityKind === "application") {
    const params = { name, issuer: n.issuer, subject: n.subject, audiences: [n.audience] };
    return cmd`az ad app federated-credential create --id ${n.appObjectId} --parameters ${json(params)}`;
  }
  return cmd`az identity federated-credential create --name ${name} --identity-name ${n.identityName} --resource-group ${n.identityResourceGroup} --issuer ${n.issuer} --subject ${n.subject} --audience ${n.audience}`;
}

/** Rewrite an existing credential in place with the values this service account needs. */
export function updateFicCommand(facts: AksFacts, credential: string): string {
  const n = ficNames(facts);
  if (n.identityKind === "application") {
    const name = credentialName(credential);
    const params = { name, issuer: n.issuer, subject: n.subject, audiences: [n.audience] };
    return cmd`az ad app federated-credential update --id ${n.appObjectId} --federated-credential-id ${name} --parameters ${json(params)}`;
  }
  // For a managed identity, create with an existing name replaces that credential.
  return createFicCommand(facts, credential);
}

export function deleteFicCommand(facts: AksFacts, credential: string): string {
  const n = ficNames(facts);
  const name = credentialName(credential);
  if (n.identityKind === "application") {
    return cmd`az ad app federated-credential delete --id ${n.appObjectId} --federated-credential-id ${name}`;
  }
  return cmd`az identity federated-credential delete --name ${name} --identity-name ${n.identityName} --resource-group ${n.identityResourceGroup} --yes`;
}

/** How the workload is restarted so the webhook mutates fresh pods. */
export function restartCommand(facts: AksFacts, podName?: string): string {
  const wl = facts.target.workload;
  if (wl) return `kubectl rollout restart ${sh(wl.toLowerCase())} -n ${sh(facts.target.namespace)}`;
  return `kubectl delete pod ${sh(podName ?? facts.target.pod ?? "<pod>")} -n ${sh(facts.target.namespace)}   # its controller recreates it`;
}
