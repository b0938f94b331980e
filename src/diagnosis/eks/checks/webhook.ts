import { valueOf } from "../../types.js";
import { mechanismOf, WEBHOOK_MWC } from "../names.js";
import { podsAlreadyInjected } from "./pods.js";
import { eksCheck, unread } from "./define.js";

export const webhookMissing = eksCheck({
  id: "webhook.missing",
  doc: {
    meaning: "The `pod-identity-webhook` MutatingWebhookConfiguration is gone: new pods get nothing injected.",
    symptom: "no `AWS_ROLE_ARN` / `AWS_WEB_IDENTITY_TOKEN_FILE`",
  },
  supersedes: ["pod.not-mutated"],
  severity: "error",
  confirms: ["irsa_sa_annotation_missing"],
  essential: (f) => unread(f.webhook) || mechanismOf(f) !== "none",
  title: `The ${WEBHOOK_MWC} MutatingWebhookConfiguration exists`,
  skippedBecause(f) {
    if (f.webhook.status !== "ok") return `webhook configurations could not be read: ${f.webhook.reason}`;
    if (mechanismOf(f) === "none" && !valueOf(f.podIdentityAgent))
      return "the service account uses neither IRSA nor Pod Identity";
    return undefined;
  },
  run(f) {
    if (valueOf(f.webhook)) return [];
    const cluster = valueOf(f.cluster);
    // Pods that were injected prove the webhook worked when they started; only new pods are at risk.
    const running = podsAlreadyInjected(f);
    return [
      {
        id: this.id,
        severity: running ? "warning" : "error",
        title: `The ${WEBHOOK_MWC} MutatingWebhookConfiguration is missing: new pods get no AWS credentials`,
        evidence: {
          expected: `mutatingwebhookconfiguration/${WEBHOOK_MWC}`,
          found: "none",
          runningPodsInjected: running,
          cluster: cluster?.name,
          note: cluster
            ? "On EKS the webhook itself runs in the managed control plane; only this configuration object lives in the cluster, and EKS manages it."
            : "On self-managed clusters the webhook is deployed from aws/amazon-eks-pod-identity-webhook.",
        },
        fix: {
          summary: cluster
            ? "Restore the configuration object (from a backup or a cluster of the same EKS version), or ask AWS Support to restore it; then restart the workloads."
            : "Redeploy amazon-eks-pod-identity-webhook (deploy/ manifests), then restart the workloads.",
          commands: [
            `kubectl get mutatingwebhookconfiguration ${WEBHOOK_MWC} -o yaml`,
            `kubectl get mutatingwebhookconfigurations`,
          ],
        },
      },
    ];
  },
});
