// Does a pod's egress NetworkPolicy let it reach IMDS, or NMI on the node after the iptables redirect?
import type { V1LabelSelector, V1NetworkPolicy } from "@kubernetes/client-node";

export function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bitsText] = cidr.split("/");
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const b = ipv4ToInt(base);
  const i = ipv4ToInt(ip);
  if (b === undefined || i === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  if (bits === 0) return true;
  const size = 2 ** (32 - bits);
  return Math.floor(b / size) === Math.floor(i / size);
}

/** Kubernetes label-selector semantics (matchLabels and matchExpressions); an empty selector selects everything. */
export function selectorMatches(selector: V1LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
        if (!has || !values.includes(labels[e.key])) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[e.key])) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

export interface EgressVerdict {
  /** Policies that select the pod and restrict its egress. */
  policies: string[];
  allowed: boolean;
  /** The rule that allows it, for the evidence. */
  allowedBy?: string;
}

function portAllows(
  ports: { port?: number | string; endPort?: number; protocol?: string }[] | undefined,
  port: number,
): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? "TCP").toUpperCase() !== "TCP") return false;
    if (p.port === undefined) return true;
    // Named ports refer to the destination pod's ports; IMDS and the node are not pods.
    if (typeof p.port === "string") return false;
    if (p.endPort !== undefined) return port >= p.port && port <= p.endPort;
    return p.port === port;
  });
}

/**
 * Whether TCP egress from a pod with these labels to `ip:port` is allowed. Pod and namespace peers never match
 * the link-local IMDS address or a node's own address, only ipBlocks do.
 */
export function egressAllowed(
  policies: V1NetworkPolicy[],
  podNamespace: string,
  podLabels: Record<string, string>,
  ip: string | undefined,
  port: number,
): EgressVerdict {
  const applying = policies.filter((p) => {
    if ((p.metadata?.namespace ?? podNamespace) !== podNamespace) return false;
    const types = p.spec?.policyTypes ?? (p.spec?.egress ? ["Ingress", "Egress"] : ["Ingress"]);
    return types.includes("Egress") && selectorMatches(p.spec?.podSelector, podLabels);
  });
  const names = applying.map((p) => `${podNamespace}/${p.metadata?.name ?? "?"}`);
  if (applying.length === 0) return { policies: [], allowed: true };
  for (const p of applying) {
    for (const [i, rule] of (p.spec?.egress ?? []).entries()) {
      if (!portAllows(rule.ports, port)) continue;
      const to = rule.to ?? [];
      const label = `${p.metadata?.name ?? "?"} egress[${i}]`;
      if (to.length === 0) return { policies: names, allowed: true, allowedBy: label };
      for (const peer of to) {
        const block = peer.ipBlock;
        if (!block) continue;
        // Unknown node address: any ipBlock rule on the port is taken as allowing it.
        if (ip === undefined) return { policies: names, allowed: true, allowedBy: `${label} (${block.cidr})` };
        if (cidrContains(block.cidr, ip) && !(block.except ?? []).some((x) => cidrContains(x, ip))) {
          return { policies: names, allowed: true, allowedBy: `${label} (${block.cidr})` };
        }
      }
    }
  }
  return { policies: names, allowed: false };
}
