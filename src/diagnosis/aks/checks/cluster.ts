// The cluster must publish an OIDC issuer and run the workload identity webhook.
import { issuerDifference } from "../../compare.js";
import type { Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import type { AksFacts } from "../facts.js";
import { names, sh } from "../names.js";
import { aksCheck, unread } from "./define.js";

const needCluster = (f: AksFacts) => {
  if (f.cluster.status !== "ok") return `the AKS cluster could not be read: ${f.cluster.reason}`;
  if (!f.cluster.value) return "no AKS cluster in the visible subscriptions serves this kube context's API server";
  return undefined;
};

export const oidcIssuerDisabled = aksCheck({
  id: "cluster.oidc-issuer-disabled",
  doc: {
    meaning:
      "The cluster does not publish an OIDC issuer (`oidcIssuerProfile.enabled` false or no `issuerURL`). Tokens carry an issuer Entra cannot reach.",
    symptom: "AADSTS90061, AADSTS70021",
  },
  supersedes: [
    "issuer.unreachable",
    "issuer.signing-key-missing",
    "cluster.issuer-disagreement",
    "fic.issuer-mismatch",
    "exchange.failed",
  ],
  severity: "error",
  confirms: ["fic_issuer_mismatch", "issuer_unreachable"],
  essential: (f) => unread(f.cluster) || Boolean(valueOf(f.cluster)),
  title: "The cluster publishes an OIDC issuer",
  skippedBecause: needCluster,
  run(f) {
    const c = valueOf(f.cluster)!;
    if (c.oidcIssuerEnabled && c.issuerUrl) return [];
    const n = names(f);
    return [
      {
        id: this.id,
        severity: "error",
        title: "The cluster's OIDC issuer is disabled, so Entra cannot verify its service-account tokens",
        evidence: { cluster: c.name, "oidcIssuerProfile.enabled": c.oidcIssuerEnabled, issuerURL: c.issuerUrl ?? null },
        fix: {
          summary:
            "Enable the OIDC issuer (it cannot be disabled again), then create federated credentials with the new issuer URL.",
          commands: [
            `az aks update --resource-group ${sh(n.clusterResourceGroup)} --name ${sh(n.clusterName)} --enable-oidc-issuer`,
            `az aks show --resource-group ${sh(n.clusterResourceGroup)} --name ${sh(n.clusterName)} --query oidcIssuerProfile.issuerUrl -o tsv`,
          ],
        },
      },
    ];
  },
});

export const workloadIdentityDisabled = aksCheck({
  id: "cluster.workload-identity-disabled",
  doc: {
    severity: "error (info when a self-managed webhook is installed)",
    meaning:
      "`securityProfile.workloadIdentity.enabled` is false: the AKS add-on's webhook is not there to mutate pods.",
    symptom: 'pods start without `AZURE_*` variables; "no client ID/tenant ID/token file specified"',
  },
  supersedes: ["webhook.missing", "webhook.unhealthy", "pod.not-mutated"],
  severity: "error",
  confirms: ["missing_env_config", "webhook_not_running"],
  title: "The workload identity add-on is enabled",
  skippedBecause: needCluster,
  run(f) {
    const c = valueOf(f.cluster)!;
    if (c.workloadIdentityEnabled) return [];
    // A self-managed webhook also works: only an error when no webhook is installed either.
    const wh = valueOf(f.webhook);
    const selfManaged = wh?.configuration && wh.deployment && wh.deployment.namespace !== "kube-system";
    const n = names(f);
    return [
      {
        id: this.id,
        severity: selfManaged ? "info" : "error",
        title: selfManaged
          ? "The AKS workload identity add-on is off; a self-managed webhook is installed instead"
          : "Workload identity is not enabled on the cluster, so no webhook injects the token and environment into pods",
        evidence: {
          cluster: c.name,
          "securityProfile.workloadIdentity.enabled": false,
          selfManagedWebhook: Boolean(selfManaged),
        },
        fix: {
          summary: "Enable the workload identity add-on, then restart the workloads so their pods are mutated.",
          commands: [
            `az aks update --resource-group ${sh(n.clusterResourceGroup)} --name ${sh(n.clusterName)} --enable-oidc-issuer --enable-workload-identity`,
          ],
        },
      },
    ];
  },
});

/** ARM's issuer URL, the API server's own discovery document and the minted token should all agree. */
export const issuerAgreement = aksCheck({
  id: "cluster.issuer-disagreement",
  doc: {
    meaning:
      "ARM's issuer URL differs from the issuer the API server announces. Federated credentials must use the tokens' issuer.",
    symptom: "AADSTS70021 / 700211",
  },
  severity: "warning",
  confirms: ["fic_issuer_mismatch"],
  title: "ARM, the API server and the token agree on the issuer",
  skippedBecause: (f) =>
    valueOf(f.cluster)?.issuerUrl && valueOf(f.apiServerIssuer)
      ? undefined
      : "needs both the ARM issuer URL and the API server's discovery document",
  run(f) {
    const arm = valueOf(f.cluster)!.issuerUrl!;
    const api = valueOf(f.apiServerIssuer)!;
    if (arm === api) return [];
    return [
      {
        id: this.id,
        severity: "warning",
        title: "The API server signs tokens with a different issuer than the one ARM reports",
        evidence: { armIssuerURL: arm, apiServerIssuer: api, difference: issuerDifference(arm, api) },
        fix: {
          summary:
            "Federated credentials must use the issuer in the tokens (the API server's). If the kube context points at another cluster, switch contexts.",
          commands: [],
        },
      },
    ] satisfies Finding[];
  },
});
