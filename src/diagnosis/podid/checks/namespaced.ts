// Namespaced matching: with `--forceNamespaced` on MIC and NMI (always so in managed mode), or the
// `aadpodidentity.k8s.io/Behavior: namespaced` annotation on one AzureIdentity, a pod only gets an identity through
// a binding and an AzureIdentity of its own namespace. MIC skips the others without an error line.
import { sh } from "../../aks/names.js";
import type { Finding, FixOption } from "../../types.js";
import { derive, nsFlag } from "../derive.js";
import { BEHAVIOR_KEY, BEHAVIOR_NAMESPACED, PODID_LABEL } from "../facts.js";
import { podIdCheck, ranOrUnread } from "../define.js";
import { needBindings } from "./shared.js";

/** kubectl get … -o json | jq (namespace rewritten) | kubectl apply: the object copied into another namespace. */
function copyInto(kind: string, name: string, from: string, to: string): string {
  const jq = `del(.metadata.uid, .metadata.resourceVersion, .metadata.creationTimestamp, .metadata.managedFields) | .metadata.namespace=${JSON.stringify(to)}`;
  return `kubectl get ${kind} ${sh(name)} ${nsFlag(from)} -o json | jq ${sh(jq)} | kubectl apply -f -`;
}

const BECAUSE: Record<string, string> = {
  forceNamespaced: "MIC or NMI runs with --forceNamespaced (or FORCENAMESPACED=true)",
  "managed mode": "NMI runs in managed mode, which always matches within one namespace",
  annotation: `the AzureIdentity carries ${BEHAVIOR_KEY}: ${BEHAVIOR_NAMESPACED}`,
};

export const namespacedBindingIgnored = podIdCheck({
  id: "podid.namespaced-binding-ignored",
  doc: {
    meaning:
      "A binding selects the pod's label, but MIC and NMI ignore it because pod, binding and AzureIdentity are not all in one namespace while matching is namespaced: `--forceNamespaced` (or `FORCENAMESPACED=true`) on MIC or NMI, managed mode, or the `aadpodidentity.k8s.io/Behavior: namespaced` annotation on that one AzureIdentity. Evidence says which, and whether MIC and NMI disagree on the flag. The fix copies the binding and identity into the pod's namespace; dropping the annotation comes second.",
    symptom: "NMI 403; MIC logs nothing",
  },
  severity: "error",
  confirms: ["nmi_identity_not_assigned"],
  essential(f) {
    return ranOrUnread(this, f, [f.pods, f.workload, f.bindings, f.identities, f.mic, f.nmi]);
  },
  title:
    "Namespaced matching (--forceNamespaced, managed mode, or the Behavior annotation) does not set aside the binding",
  skippedBecause(f) {
    return needBindings(f) ?? (derive(f).labelValue ? undefined : "the pod has no aadpodidbinding label");
  },
  run(f) {
    const d = derive(f);
    if (d.bound.some((b) => b.identity) || d.ignored.length === 0) return [];
    const ns = f.target.namespace;
    const findings: Finding[] = [];
    for (const { binding, identity, because } of d.ignored) {
      const where = identity ? `${identity.namespace}/${identity.name}` : undefined;
      const alternatives: FixOption[] = [];
      if (because === "annotation" && identity) {
        alternatives.push({
          summary: `Or drop the annotation, so that MIC matches ${where} across namespaces again (any pod labelled ${PODID_LABEL}=${binding.selector} in any namespace may then use it).`,
          commands: [
            `kubectl annotate azureidentity ${sh(identity.name)} ${nsFlag(identity.namespace)} ${BEHAVIOR_KEY}-`,
          ],
        });
      }
      const disagree = d.mode === "standard" && d.forceNamespaced.mic !== d.forceNamespaced.nmi;
      findings.push({
        id: this.id,
        severity: "error",
        title: `Binding ${binding.namespace}/${binding.name} selects the pod but is ignored: ${BECAUSE[because]}, and the pod runs in ${ns}`,
        evidence: {
          podNamespace: ns,
          podLabel: d.labelValue,
          binding: `${binding.namespace}/${binding.name}`,
          ...(where ? { azureIdentity: where } : {}),
          namespacedBy: because,
          ...(because !== "annotation" ? { forceNamespaced: d.forceNamespaced, mode: d.mode } : {}),
          rule: "pod, AzureIdentityBinding and AzureIdentity must all be in one namespace",
        },
        fix: {
          summary: `Give the pod a binding and an AzureIdentity in its own namespace ${ns} (copies of the ones in ${binding.namespace}).${
            disagree ? " MIC and NMI also disagree on --forceNamespaced: set it on both or on neither." : ""
          }`,
          commands: [
            ...(identity && identity.namespace !== ns
              ? [copyInto("azureidentity", identity.name, identity.namespace, ns)]
              : []),
            ...(binding.namespace !== ns
              ? [copyInto("azureidentitybinding", binding.name, binding.namespace, ns)]
              : []),
          ],
          ...(alternatives.length ? { alternatives } : {}),
        },
      });
    }
    return findings;
  },
});
