// No webhook, no injection: the MutatingWebhookConfiguration and its controller must be present and ready.
import type { Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import type { AksFacts } from "../facts.js";
import { names, sh, WEBHOOK_DEPLOYMENT, WEBHOOK_MWC } from "../names.js";
import { injectionOf } from "./pods.js";
import { aksCheck, unread } from "./define.js";

const needWebhook = (f: AksFacts) =>
  f.webhook.status === "ok" ? undefined : `the webhook could not be inspected: ${f.webhook.reason}`;

export const webhookMissing = aksCheck({
  id: "webhook.missing",
  doc: {
    severity:
      "error (warning when the pods in scope were mutated; info when, in addition, the AKS add-on is enabled, which owns and reconciles the webhook)",
    meaning:
      "The MutatingWebhookConfiguration `azure-wi-webhook-mutating-webhook-configuration` or the `azure-wi-webhook-controller-manager` deployment is missing. Installations under other names are recognised by the `mutation.azure-workload-identity.io` webhook and the `azure-workload-identity.io/system` label.",
    symptom: "pods never mutated",
  },
  supersedes: ["pod.not-mutated"],
  severity: "error",
  confirms: ["missing_env_config", "webhook_not_running"],
  essential: true,
  title: "The workload identity webhook is installed",
  skippedBecause: needWebhook,
  run(f) {
    const wh = valueOf(f.webhook)!;
    if (wh.configuration && wh.deployment) return [];
    const n = names(f);
    // Mutated pods prove the webhook worked when they started: then only new pods are at risk.
    const pods = valueOf(f.pods) ?? [];
    const running = pods.length > 0 && pods.every((p) => injectionOf(p).mutated);
    // With the add-on on, AKS owns and reconciles the webhook; mutated pods show it was there when they started.
    const addOn = valueOf(f.cluster)?.workloadIdentityEnabled === true;
    return [
      {
        id: this.id,
        severity: running ? (addOn ? "info" : "warning") : "error",
        title: !wh.configuration
          ? `The MutatingWebhookConfiguration ${WEBHOOK_MWC} does not exist, so pods are never mutated`
          : `The webhook controller ${WEBHOOK_DEPLOYMENT} is not deployed`,
        evidence: {
          mutatingWebhookConfiguration: wh.configuration ? WEBHOOK_MWC : null,
          deployment: wh.deployment ? `${wh.deployment.namespace}/${wh.deployment.name}` : null,
          searched: [`kube-system/${WEBHOOK_DEPLOYMENT}`, `azure-workload-identity-system/${WEBHOOK_DEPLOYMENT}`],
          runningPodsMutated: running,
          addOnEnabled: addOn,
        },
        fix: {
          summary: "Enable the AKS add-on (or reinstall the self-managed webhook chart), then restart the workloads.",
          commands: [
            `az aks update --resource-group ${sh(n.clusterResourceGroup)} --name ${sh(n.clusterName)} --enable-oidc-issuer --enable-workload-identity`,
          ],
        },
      },
    ];
  },
});

export const webhookUnhealthy = aksCheck({
  id: "webhook.unhealthy",
  doc: {
    severity:
      "error (warning when the pods in scope were mutated and the controller is up; info when the only doubt is an empty caBundle, which the controller writes itself at start-up)",
    meaning:
      "The webhook has no ready replicas or endpoints, no caBundle, or its namespaceSelector excludes the namespace. With `failurePolicy: Ignore` pods are admitted silently without injection.",
    symptom: "pods not mutated, or rejected at creation",
  },
  supersedes: ["pod.not-mutated"],
  severity: "error",
  confirms: ["missing_env_config", "webhook_not_running"],
  essential: (f) => unread(f.webhook) || Boolean(valueOf(f.webhook)?.deployment),
  title: "The webhook is ready, reachable and selects this namespace",
  skippedBecause: (f) =>
    needWebhook(f) ??
    (valueOf(f.webhook)?.configuration && valueOf(f.webhook)?.deployment ? undefined : "the webhook is not installed"),
  run(f) {
    const wh = valueOf(f.webhook)!;
    const dep = wh.deployment!;
    const problems: string[] = [];
    // (problems are listed most serious first: readiness, then reachability, then configuration)
    if (dep.readyReplicas < 1) problems.push(`controller has ${dep.readyReplicas}/${dep.replicas} ready replicas`);
    if (wh.readyEndpoints !== undefined && wh.readyEndpoints < 1)
      problems.push("the webhook service has no ready endpoints");
    const hooks = wh.configuration!.webhooks ?? [];
    const hook = hooks.find((h) => h.name.includes("azure-workload-identity")) ?? hooks[0];
    if (!hook) problems.push("the configuration has no webhooks");
    else {
      if (!hook.clientConfig?.caBundle && !hook.clientConfig?.url)
        problems.push("clientConfig.caBundle is empty, so the API server cannot call the webhook");
      const ns = hook.namespaceSelector;
      const labels = wh.namespaceLabels ?? {};
      for (const expr of ns?.matchExpressions ?? []) {
        const v = labels[expr.key];
        const has = v !== undefined;
        if (expr.operator === "NotIn" && has && expr.values?.includes(v))
          problems.push(`namespace label ${expr.key}=${v} excludes ${f.target.namespace}`);
        if (expr.operator === "DoesNotExist" && has)
          problems.push(`namespace label ${expr.key} excludes ${f.target.namespace}`);
        if (expr.operator === "In" && (!has || !expr.values?.includes(v)))
          problems.push(`namespace ${f.target.namespace} lacks ${expr.key} in [${expr.values?.join(", ")}]`);
        if (expr.operator === "Exists" && !has)
          problems.push(`namespace ${f.target.namespace} lacks label ${expr.key}`);
      }
      for (const [k, v] of Object.entries(ns?.matchLabels ?? {})) {
        if (labels[k] !== v) problems.push(`namespace ${f.target.namespace} lacks label ${k}=${v}`);
      }
    }
    if (!problems.length) return [];
    const failOpen = hook?.failurePolicy === "Ignore";
    // A webhook that is down breaks every pod created now; configuration doubts weigh less when the pods in
    // scope were mutated (the webhook demonstrably worked for them).
    const pods = valueOf(f.pods) ?? [];
    const podsMutated = pods.length > 0 && pods.every((p) => injectionOf(p).mutated);
    const down = dep.readyReplicas < 1 || (wh.readyEndpoints !== undefined && wh.readyEndpoints < 1);
    // The controller writes caBundle itself at start-up (cert rotation): with it ready and the pods mutated,
    // an empty caBundle in the object read is no evidence of a broken webhook.
    const onlyCaBundle = problems.every((p) => p.startsWith("clientConfig.caBundle"));
    return [
      {
        id: this.id,
        severity: down || !podsMutated ? "error" : onlyCaBundle ? "info" : "warning",
        title: `The workload identity webhook is not working: ${problems[0]}`,
        evidence: {
          deployment: `${dep.namespace}/${dep.name}`,
          readyReplicas: dep.readyReplicas,
          replicas: dep.replicas,
          readyEndpoints: wh.readyEndpoints ?? null,
          failurePolicy: hook?.failurePolicy ?? null,
          problems,
          consequence: failOpen
            ? "failurePolicy Ignore: pods are created silently WITHOUT injection"
            : "failurePolicy Fail: labelled pods are rejected at creation",
        },
        fix: {
          summary: "Bring the webhook back (rollout restart, check its logs), then recreate the affected pods.",
          commands: [
            `kubectl get pods -n ${sh(dep.namespace)} -l azure-workload-identity.io/system=true`,
            `kubectl logs -n ${sh(dep.namespace)} ${sh(`deployment/${dep.name}`)} --tail=50`,
            `kubectl rollout restart deployment ${sh(dep.name)} -n ${sh(dep.namespace)}`,
          ],
        },
      },
    ] satisfies Finding[];
  },
});
