// The aad-pod-identity objects and components behind a report, as inspect_pod_identity shows them.
import { valueOf as factOf } from "../types.js";
import { iptablesCommand } from "./checks.js";
import { clip, derive, podState } from "./derive.js";
import { IDENTITY_TYPES, type PodIdFacts } from "./facts.js";

export function podIdentityDetails(f: PodIdFacts) {
  const d = derive(f);
  const boundKeys = new Set(d.bound.map((b) => `${b.binding.namespace}/${b.binding.name}`));
  const podNames = new Set(d.pods.map((p) => p.metadata?.name));
  const component = (which: "mic" | "nmi") => {
    const c = factOf(f[which]);
    if (!c) return { available: false, reason: f[which].status === "ok" ? "" : f[which].reason };
    return {
      available: true,
      pods: c.pods.map(podState),
      errorLinesLastHour: clip(
        c.errorLines.flatMap((e) => e.lines.map((l) => `${e.pod}: ${l}`)),
        10,
      ),
      ...(c.logProblems.length ? { logProblems: c.logProblems } : {}),
    };
  };
  const redirect = iptablesCommand(f);
  return {
    mode: d.mode,
    namespaced: d.namespaced,
    podLabel: d.labelValue ?? null,
    identities: d.identities
      .filter((i) => i.namespace === f.target.namespace || d.bound.some((b) => b.identity === i))
      .map((i) => ({
        name: `${i.namespace}/${i.name}`,
        type: i.type ?? (i.typeRaw as number | string | undefined) ?? 0,
        typeMeaning: IDENTITY_TYPES[i.type ?? 0] ?? "unknown",
        resourceID: i.resourceID,
        clientID: i.clientID,
        ...(i.miscased.length
          ? { miscasedFields: i.miscased.map((m) => `${m.found} (MIC ≥ 1.6 reads ${m.expected})`) }
          : {}),
      })),
    bindings: d.bindings
      .filter((b) => b.namespace === f.target.namespace || boundKeys.has(`${b.namespace}/${b.name}`))
      .map((b) => ({
        name: `${b.namespace}/${b.name}`,
        azureIdentity: b.azureIdentity,
        selector: b.selector,
        selectsTarget: boundKeys.has(`${b.namespace}/${b.name}`),
        ...(b.miscased.length
          ? { miscasedFields: b.miscased.map((m) => `${m.found} (MIC ≥ 1.6 reads ${m.expected})`) }
          : {}),
      })),
    assignedIdentities: d.assigned
      .filter((a) => (a.podNamespace === f.target.namespace && podNames.has(a.pod)) || a.deleting)
      .map((a) => ({
        name: `${a.namespace}/${a.name}`,
        pod: `${a.podNamespace}/${a.pod}`,
        node: a.nodeName ?? null,
        state: a.state ?? null,
        finalizers: a.finalizers,
        deleting: a.deleting,
      })),
    mic: component("mic"),
    nmi: component("nmi"),
    imdsRedirect: {
      readable: false,
      note: "NMI's iptables rule lives in the node's network namespace, which the Kubernetes API cannot show; run the command on the NMI pod of the pod's node.",
      command: redirect.command,
      expectedOutput: redirect.expected,
    },
  };
}
