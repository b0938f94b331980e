import { sh } from "../../aks/names.js";
import { heredocApply } from "../../command.js";
import { valueOf as factOf } from "../../types.js";
import { derive } from "../derive.js";
import { IMDS_IP, labelsOf, PODID_LABEL, type PodIdFacts } from "../facts.js";
import { egressAllowed } from "../network.js";
import { podIdCheck, ranOrUnread } from "../define.js";
import { needRelies } from "./shared.js";

export const egressBlocked = podIdCheck({
  id: "podid.egress-blocked",
  doc: {
    severity: "error (warning when only one of the two is allowed)",
    meaning:
      "An egress NetworkPolicy selecting the pod allows neither 169.254.169.254:80 nor NMI's port on the node. Which one a policy sees depends on the network plugin, so both are checked.",
    symptom: "token requests time out",
  },
  severity: "error",
  confirms: ["imds_unreachable"],
  essential(f) {
    return ranOrUnread(this, f, [f.pods, f.networkPolicies]);
  },
  title: "Egress NetworkPolicies let the pod reach IMDS (169.254.169.254:80) and NMI on its node",
  skippedBecause(f) {
    const why = needRelies(f);
    if (why) return why;
    if (f.networkPolicies.status !== "ok") return `NetworkPolicies could not be read: ${f.networkPolicies.reason}`;
    return undefined;
  },
  run(f) {
    const d = derive(f);
    const policies = factOf(f.networkPolicies)!;
    const ns = f.target.namespace;
    const templateLabels = d.templateLabels;
    const subjects = d.pods.length
      ? d.pods.map((p) => ({ name: p.metadata?.name ?? "", labels: labelsOf(p), hostIP: p.status?.hostIP }))
      : templateLabels
        ? [{ name: "(pod template)", labels: templateLabels, hostIP: undefined }]
        : [];
    for (const s of subjects) {
      const imds = egressAllowed(policies, ns, s.labels, IMDS_IP, 80);
      const nmi = egressAllowed(policies, ns, s.labels, s.hostIP, d.nmiPort);
      if (imds.allowed && nmi.allowed) continue;
      const nodeCidr = s.hostIP ? `${s.hostIP}/32` : "<node address or node subnet CIDR>";
      const manifest = [
        "apiVersion: networking.k8s.io/v1",
        "kind: NetworkPolicy",
        "metadata:",
        "  name: allow-aad-pod-identity",
        `  namespace: ${ns}`,
        "spec:",
        "  podSelector:",
        "    matchLabels:",
        `      ${PODID_LABEL}: ${JSON.stringify(d.labelValue ?? s.labels[PODID_LABEL] ?? "<selector>")}`,
        "  policyTypes: [Egress]",
        "  egress:",
        `    - to: [{ ipBlock: { cidr: ${IMDS_IP}/32 } }]`,
        "      ports: [{ protocol: TCP, port: 80 }]",
        `    - to: [{ ipBlock: { cidr: ${nodeCidr} } }]`,
        `      ports: [{ protocol: TCP, port: ${d.nmiPort} }]`,
      ].join("\n");
      return [
        {
          id: this.id,
          severity: !imds.allowed && !nmi.allowed ? "error" : "warning",
          title:
            !imds.allowed && !nmi.allowed
              ? `Egress policy ${imds.policies.join(", ")} blocks both IMDS and NMI's port ${d.nmiPort} for pod ${s.name}`
              : `Egress policy ${[...imds.policies, ...nmi.policies].filter((v, i, a) => a.indexOf(v) === i).join(", ")} allows only one of IMDS (80) and NMI (${d.nmiPort}); which one counts depends on the network plugin`,
          evidence: {
            pod: `${ns}/${s.name}`,
            policies: [...new Set([...imds.policies, ...nmi.policies])],
            imds: { to: `${IMDS_IP}:80`, allowed: imds.allowed, allowedBy: imds.allowedBy ?? null },
            nmi: {
              to: `${s.hostIP ?? "<node address>"}:${d.nmiPort}`,
              allowed: nmi.allowed,
              allowedBy: nmi.allowedBy ?? null,
            },
          },
          fix: {
            summary:
              "NMI redirects 169.254.169.254:80 to itself on the node's port; allow both destinations for the pods that use pod identity.",
            commands: [heredocApply(manifest)],
          },
        },
      ];
    }
    return [];
  },
});

/** The redirect lives in the node's iptables, which the API cannot show: say how to look. */
export function iptablesCommand(f: PodIdFacts): { command: string; expected: string[]; nmiPod?: string } {
  const d = derive(f);
  const nmiPods = factOf(f.nmi)?.pods ?? [];
  const node = d.pods[0]?.spec?.nodeName;
  const nmi = nmiPods.find((p) => p.spec?.nodeName === node) ?? nmiPods[0];
  const hostIP = d.pods[0]?.status?.hostIP ?? nmi?.status?.hostIP ?? "<node IP>";
  const command = nmi
    ? `kubectl exec ${sh(nmi.metadata?.name ?? "")} -n ${sh(nmi.metadata?.namespace ?? "kube-system")} -- iptables -t nat -S aad-metadata`
    : `kubectl exec <nmi-pod-on-the-node> -n kube-system -- iptables -t nat -S aad-metadata`;
  return {
    command,
    nmiPod: nmi ? `${nmi.metadata?.namespace}/${nmi.metadata?.name}` : undefined,
    expected: [
      "-N aad-metadata",
      `-A aad-metadata ! -s 127.0.0.1/32 -d ${IMDS_IP}/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination ${hostIP}:${d.nmiPort}`,
      "-A aad-metadata -j RETURN",
    ],
  };
}

export const iptablesRule = podIdCheck({
  id: "podid.iptables-rule",
  doc: {
    severity: "info (never raised: always skipped)",
    meaning:
      "NMI's iptables redirect of IMDS traffic on the pod's node. The Kubernetes API cannot show it, so the check is always skipped, and its reason carries the `kubectl exec <nmi-pod> -n <ns> -- iptables -t nat -S aad-metadata` command and the three lines to expect. Not essential.",
    symptom: "token requests reach the real IMDS instead of NMI",
  },
  severity: "info",
  title: "NMI's iptables redirect of IMDS traffic on the node",
  skippedBecause(f) {
    const { command, expected } = iptablesCommand(f);
    return `the node's iptables cannot be read through the Kubernetes API; run \`${command}\` and expect: ${expected.join(" | ")}`;
  },
  run: () => [],
});
