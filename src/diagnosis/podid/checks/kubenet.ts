// kubenet: from 1.7 on, NMI refuses to start on a kubenet node (ARP spoofing lets a pod with CAP_NET_RAW pose as
// another pod) unless it runs with --allow-network-plugin-kubenet=true; the AKS add-on passes it when the cluster
// was given --enable-pod-identity-with-kubenet. ARM names the plugin; NMI's own fatal log line settles it too.
import { sh } from "../../aks/names.js";
import { valueOf as factOf } from "../../types.js";
import { clip, derive, flagValue } from "../derive.js";
import { podIdCheck, ranOrUnread } from "../define.js";
import { errorLines } from "./shared.js";

export const KUBENET_REFUSAL = "AAD Pod Identity is not supported for Kubenet";
export const KUBENET_FLAG = "allow-network-plugin-kubenet";

export const kubenetNotAllowed = podIdCheck({
  id: "podid.kubenet-not-allowed",
  doc: {
    meaning:
      "The cluster runs kubenet (ARM's `networkProfile.networkPlugin`, or NMI's own fatal line `AAD Pod Identity is not supported for Kubenet`, which settles it when ARM cannot be read) and NMI lacks `--allow-network-plugin-kubenet=true`: from 1.7 NMI exits at start. The fix names the chart value `nmi.allowNetworkPluginKubenet=true`, or for the AKS add-on `az aks update --enable-pod-identity-with-kubenet`, after dropping `NET_RAW` from application pods (ARP spoofing).",
    symptom: "NMI CrashLoopBackOff; token requests go nowhere",
  },
  severity: "error",
  confirms: ["imds_unreachable"],
  essential(f) {
    return ranOrUnread(this, f, [f.nmi]);
  },
  title: "On kubenet, NMI runs with --allow-network-plugin-kubenet (otherwise it exits at start)",
  skippedBecause(f) {
    if (f.nmi.status !== "ok") return `NMI pods could not be read: ${f.nmi.reason}`;
    if (!derive(f).relies) return "nothing in the target relies on aad-pod-identity";
    const plugin = factOf(f.cluster)?.networkPlugin;
    if (!plugin && !errorLines(f, "nmi").some((l) => l.includes(KUBENET_REFUSAL)))
      return "the cluster's network plugin is unknown (not read from ARM) and NMI logged no kubenet refusal";
    return undefined;
  },
  run(f) {
    const nmi = factOf(f.nmi)!;
    const d = derive(f);
    const pods = nmi.pods.length
      ? nmi.pods
      : (nmi.controllers ?? []).map((c) => ({ spec: { containers: [{ name: c.name, args: c.args }] } }));
    const flag = flagValue(pods, KUBENET_FLAG);
    const allowed = flag !== undefined && flag.toLowerCase() !== "false";
    const refusals = errorLines(f, "nmi").filter((l) => l.includes(KUBENET_REFUSAL));
    const plugin = factOf(f.cluster)?.networkPlugin;
    // The log line wins over ARM: NMI read the kubelet's own flags on the node.
    if (!refusals.length && (plugin !== "kubenet" || allowed)) return [];
    const c = factOf(f.cluster);
    const ns = nmi.pods[0]?.metadata?.namespace ?? nmi.controllers?.[0]?.namespace ?? "kube-system";
    const addon = d.mode === "managed" && ns === "kube-system";
    return [
      {
        id: this.id,
        severity: "error",
        title: `NMI refuses to run on kubenet${allowed ? "" : ` without --${KUBENET_FLAG}=true`}, so no pod on these nodes gets a token`,
        evidence: {
          networkPlugin: plugin ?? (refusals.length ? "kubenet (NMI's log)" : null),
          [`--${KUBENET_FLAG}`]: flag ?? "not set",
          mode: d.mode,
          ...(refusals.length ? { nmiFatalLines: clip(refusals, 2) } : {}),
        },
        fix: {
          summary: `Let NMI run on kubenet, knowing why it refuses: a pod with CAP_NET_RAW can pose as another pod through ARP spoofing. Drop NET_RAW from application pods first (securityContext.capabilities.drop: ["NET_RAW"], or a policy that enforces it). ${
            addon
              ? "The AKS add-on sets the flag when the cluster allows it: az aks update --enable-pod-identity-with-kubenet."
              : `Self-installed: the chart value nmi.allowNetworkPluginKubenet=true adds --${KUBENET_FLAG}=true.`
          } Moving the workloads to workload identity, or the cluster to Azure CNI, avoids the risk altogether.`,
          commands: addon
            ? [
                `az aks update --resource-group ${sh(c?.resourceGroup ?? "<resource-group>")} --name ${sh(c?.name ?? "<cluster>")} --enable-pod-identity --enable-pod-identity-with-kubenet`,
              ]
            : [
                `helm upgrade aad-pod-identity aad-pod-identity/aad-pod-identity -n ${sh(ns)} --reuse-values --set nmi.allowNetworkPluginKubenet=true`,
              ],
        },
      },
    ];
  },
});
