import { sh } from "../../aks/names.js";
import type { Finding } from "../../types.js";
import { valueOf as factOf } from "../../types.js";
import { clip, derive, micLogsCommand, nmiLogsCommand, podReady, podState } from "../derive.js";
import { podIdCheck, ranOrUnread } from "../define.js";
import { errorLines } from "./shared.js";

export const micUnhealthy = podIdCheck({
  id: "podid.mic-unhealthy",
  doc: {
    meaning:
      "No MIC pod exists, or none is ready (evidence: phase, restarts, waiting reason, MIC's `E` lines of the last hour). When no MIC pod can be found, MIC's Deployment (labels `component=mic` or `app.kubernetes.io/component=mic`, or a name ending in `mic`) is read instead, and its ready replicas decide. A pod that reports no status at all is not taken as broken.",
    symptom: "no AzureAssignedIdentity; NMI 404",
  },
  supersedes: ["podid.assigned-identity-missing"],
  severity: "error",
  confirms: ["nmi_identity_not_assigned"],
  essential(f) {
    return ranOrUnread(this, f, [f.mic]);
  },
  title: "MIC (Managed Identity Controller) is running and ready",
  skippedBecause(f) {
    if (f.mic.status !== "ok") return `MIC pods could not be read: ${f.mic.reason}`;
    if (derive(f).mode === "managed")
      return "NMI runs in managed mode: there is no MIC, identities are assigned by hand";
    if (!derive(f).relies) return "nothing in the target relies on aad-pod-identity";
    return undefined;
  },
  run(f) {
    const mic = factOf(f.mic)!;
    const d = derive(f);
    const lines = clip(errorLines(f, "mic"));
    if (mic.pods.length === 0 && mic.controllers?.length) {
      if (d.micReady > 0) return [];
      const c = mic.controllers[0];
      return [
        {
          id: this.id,
          severity: "error",
          title: `MIC's Deployment ${c.namespace}/${c.name} has no ready replica`,
          evidence: { controllers: mic.controllers.map(({ args: _, ...x }) => x), micPods: 0 },
          fix: {
            summary: "Find out why MIC's pods do not start (the Deployment's events and its pods' logs).",
            commands: [
              `kubectl describe deployment -n ${sh(c.namespace)} ${sh(c.name)}`,
              `kubectl get pods -n ${sh(c.namespace)} -l component=mic -o wide`,
            ],
          },
        },
      ];
    }
    if (mic.pods.length === 0) {
      return [
        {
          id: this.id,
          severity: "error",
          title: "No MIC pods found in any namespace (label component=mic)",
          evidence: {
            micPods: 0,
            searched: "all namespaces, labels component=mic and app.kubernetes.io/component=mic",
          },
          fix: {
            summary:
              "Without MIC no AzureAssignedIdentity is created and NMI refuses every token request. Reinstall aad-pod-identity (or, better, migrate to workload identity: see plan_migration).",
            commands: [
              "kubectl get deploy -A -l component=mic",
              "helm upgrade --install aad-pod-identity aad-pod-identity/aad-pod-identity -n kube-system",
            ],
          },
        },
      ];
    }
    if (d.micReady > 0) return [];
    const ns = mic.pods[0].metadata?.namespace ?? "kube-system";
    return [
      {
        id: this.id,
        severity: "error",
        title: `No MIC pod is ready (${mic.pods.length} found)`,
        evidence: { pods: mic.pods.map(podState), errorLinesLastHour: lines },
        fix: {
          summary:
            "Find out why MIC does not start (its events and error lines), fix that, and let the deployment roll.",
          commands: [
            `kubectl describe pod -n ${sh(ns)} -l component=mic`,
            micLogsCommand(f),
            `kubectl rollout restart deployment -n ${sh(ns)} -l component=mic`,
          ],
        },
      },
    ];
  },
});

export const nmiUnhealthy = podIdCheck({
  id: "podid.nmi-unhealthy",
  doc: {
    meaning:
      "No NMI pod runs, or the one on the pod's node is not ready. With no NMI pod to read, NMI's DaemonSet status decides (ready pods against desired).",
    symptom: "connection refused on 169.254.169.254; token timeouts",
  },
  severity: "error",
  confirms: ["imds_unreachable"],
  essential(f) {
    return ranOrUnread(this, f, [f.nmi]);
  },
  title: "NMI (Node Managed Identity) runs and is ready on the pod's node",
  skippedBecause(f) {
    if (f.nmi.status !== "ok") return `NMI pods could not be read: ${f.nmi.reason}`;
    if (!derive(f).relies) return "nothing in the target relies on aad-pod-identity";
    return undefined;
  },
  run(f) {
    const nmi = factOf(f.nmi)!;
    const lines = clip(errorLines(f, "nmi"));
    // Only the DaemonSet could be read: its status says whether every node has a ready NMI.
    const sets = nmi.pods.length === 0 ? (nmi.controllers ?? []) : [];
    if (sets.length) {
      const short = sets.filter((x) => x.ready !== undefined && x.ready < Math.max(1, x.desired ?? 1));
      if (short.length < sets.length) return [];
      const c = short[0];
      return [
        {
          id: this.id,
          severity: "error",
          title: `NMI's DaemonSet ${c.namespace}/${c.name} has ${c.ready} of ${c.desired ?? "?"} pods ready`,
          evidence: { controllers: sets.map(({ args: _, ...x }) => x), nmiPods: 0 },
          fix: {
            summary: "Each node needs a ready NMI: find out why they do not start (events, logs).",
            commands: [
              `kubectl describe daemonset -n ${sh(c.namespace)} ${sh(c.name)}`,
              `kubectl get pods -n ${sh(c.namespace)} -l component=nmi -o wide`,
            ],
          },
        },
      ];
    }
    if (nmi.pods.length === 0) {
      return [
        {
          id: this.id,
          severity: "error",
          title: "No NMI pods found in any namespace (label component=nmi)",
          evidence: {
            nmiPods: 0,
            searched: "all namespaces, labels component=nmi and app.kubernetes.io/component=nmi",
          },
          fix: {
            summary:
              "NMI is the DaemonSet that answers the pod's IMDS requests; without it token requests go to the node's own identity or fail. Reinstall it.",
            commands: ["kubectl get ds -A -l component=nmi"],
          },
        },
      ];
    }
    const ns = nmi.pods[0].metadata?.namespace ?? "kube-system";
    const nodes = [
      ...new Set(
        derive(f)
          .pods.map((p) => p.spec?.nodeName)
          .filter((n): n is string => !!n),
      ),
    ];
    const findings: Finding[] = [];
    for (const node of nodes) {
      const onNode = nmi.pods.filter((p) => p.spec?.nodeName === node);
      if (onNode.some(podReady)) continue;
      findings.push({
        id: this.id,
        severity: "error",
        title: onNode.length ? `The NMI pod on node ${node} is not ready` : `No NMI pod runs on node ${node}`,
        evidence: {
          node,
          nmiOnNode: onNode.map(podState),
          nmiNodes: nmi.pods.map((p) => p.spec?.nodeName),
          errorLinesLastHour: lines,
        },
        fix: {
          summary: onNode.length
            ? "The pod's IMDS requests are redirected to this NMI; get it ready (its events and logs say why it is not)."
            : "The NMI DaemonSet does not cover this node (node selector, taints or tolerations); let it schedule there.",
          commands: [
            `kubectl get pods -n ${sh(ns)} -l component=nmi -o wide --field-selector spec.nodeName=${sh(node)}`,
            onNode.length
              ? `kubectl describe pod -n ${sh(ns)} ${sh(onNode[0].metadata?.name ?? "")}`
              : `kubectl describe node ${sh(node)}`,
            nmiLogsCommand(f),
          ],
        },
      });
    }
    if (nodes.length === 0 && !nmi.pods.some(podReady)) {
      findings.push({
        id: this.id,
        severity: "error",
        title: `No NMI pod is ready (${nmi.pods.length} found)`,
        evidence: { pods: nmi.pods.map(podState), errorLinesLastHour: lines },
        fix: {
          summary: "Get the NMI DaemonSet ready.",
          commands: [`kubectl describe pod -n ${sh(ns)} -l component=nmi`, nmiLogsCommand(f)],
        },
      });
    }
    return findings;
  },
});
