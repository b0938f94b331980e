import { sh } from "../../aks/names.js";
import { valueOf as factOf } from "../../types.js";
import { derive, nsFlag, restartCommand, templatePatch } from "../derive.js";
import { labelsOf, PODID_LABEL } from "../facts.js";
import { misspeltLabelKeys } from "../detect.js";
import { podIdCheck, ranOrUnread } from "../define.js";
import { needTarget } from "./shared.js";

export const labelMissing = podIdCheck({
  id: "podid.label-missing",
  doc: {
    meaning:
      "The pod template has no `aadpodidbinding` label: it is on the workload's own metadata (or a CronJob's job template), its key is in another case or a letter or two off (`aadPodIdBinding`, `aadpodbinding`), or it is missing, also when only a SecretProviderClass with `usePodIdentity: \"true\"` says the pod relies on pod identity. Or the running pods predate a label that a binding selects.",
    symptom: "NMI 403 / no identity for the pod",
  },
  severity: "error",
  confirms: ["nmi_identity_not_assigned"],
  essential(f) {
    return ranOrUnread(this, f, [f.pods, f.workload]);
  },
  title: "The aadpodidbinding label is on the pod template and on the running pods",
  skippedBecause: needTarget,
  run(f) {
    const d = derive(f);
    const ns = f.target.namespace;
    const wl = factOf(f.workload) ?? undefined;
    const pods = d.pods;
    const candidates = d.bindings
      .filter((b) => b.namespace === ns || !d.namespaced)
      .map((b) => b.selector)
      .filter(Boolean);
    const suggested =
      d.labelValue ?? (candidates.length === 1 ? candidates[0] : "<selector of the AzureIdentityBinding>");
    const patch = `kubectl patch ${d.workloadRef ? sh(d.workloadRef) : "deployment/<name>"} ${nsFlag(ns)} --type=merge -p ${templatePatch(
      d.workloadKind,
      { metadata: { labels: { [PODID_LABEL]: suggested } } },
    )}`;
    const allLabels = [...(wl ? [wl.podTemplate.metadata?.labels ?? {}] : []), ...pods.map(labelsOf)];
    const exactKeyUsed = allLabels.some((l) => l[PODID_LABEL]);
    const misspelt = exactKeyUsed ? [] : [...new Set(allLabels.flatMap((l) => misspeltLabelKeys(l)))];
    if (misspelt.length) {
      const value = allLabels.map((l) => l[misspelt[0]]).find((v) => !!v) ?? suggested;
      const fixed = `kubectl patch ${d.workloadRef ? sh(d.workloadRef) : "deployment/<name>"} ${nsFlag(ns)} --type=merge -p ${templatePatch(
        d.workloadKind,
        { metadata: { labels: { [PODID_LABEL]: value, [misspelt[0]]: null } } },
      )}`;
      return [
        {
          id: this.id,
          severity: "error",
          title: `The label key is written "${misspelt[0]}"; aad-pod-identity only reads "${PODID_LABEL}"`,
          evidence: { found: misspelt, expected: PODID_LABEL, value, bindingSelectorsInNamespace: candidates },
          fix: {
            summary: `Use the exact key ${PODID_LABEL} (all lower case) on the pod template, with the binding's selector as its value.`,
            commands: [fixed],
          },
        },
      ];
    }
    if (wl) {
      const onTemplate = wl.podTemplate.metadata?.labels?.[PODID_LABEL];
      if (!onTemplate) {
        const onWorkload = wl.labels[PODID_LABEL];
        return [
          {
            id: this.id,
            severity: "error",
            title: onWorkload
              ? `${wl.kind} ${wl.name} has the ${PODID_LABEL} label on its own metadata${wl.kind === "CronJob" ? " or job template" : ""}, not on its pod template`
              : `The pod template of ${wl.kind} ${wl.name} has no ${PODID_LABEL} label`,
            evidence: {
              workloadLabel: onWorkload ?? null,
              podTemplateLabel: null,
              bindingSelectorsInNamespace: candidates,
            },
            fix: {
              summary: `Bindings select pods, so the label must be in spec.template.metadata.labels; set it to the binding's selector${candidates.length === 1 ? ` ("${candidates[0]}")` : ""}.`,
              commands: [patch],
            },
          },
        ];
      }
      const stale = pods.filter((p) => labelsOf(p)[PODID_LABEL] !== onTemplate && !p.metadata?.deletionTimestamp);
      // Rolling helps only when the template's label is one a binding selects; otherwise the selector is the problem.
      if (stale.length && d.bound.length) {
        return [
          {
            id: this.id,
            severity: "error",
            title: `${stale.length} running pod(s) of ${wl.kind} ${wl.name} lack the template's ${PODID_LABEL}=${onTemplate} label`,
            evidence: {
              podTemplateLabel: onTemplate,
              pods: stale.map((p) => ({ pod: p.metadata?.name, label: labelsOf(p)[PODID_LABEL] ?? null })),
            },
            fix: {
              summary: "The pods predate the label; roll the workload so new pods carry it.",
              commands: [restartCommand(d, ns, [])],
            },
          },
        ];
      }
      return [];
    }
    const unlabelled = pods.filter((p) => !labelsOf(p)[PODID_LABEL]);
    if (unlabelled.length === 0) return [];
    return [
      {
        id: this.id,
        severity: "error",
        title: `Pod ${unlabelled.map((p) => p.metadata?.name).join(", ")} has no ${PODID_LABEL} label`,
        evidence: { podLabels: labelsOf(unlabelled[0]), bindingSelectorsInNamespace: candidates },
        fix: {
          summary:
            "Add the label to the template of the workload that owns the pod (a label added to the pod alone is lost on restart).",
          commands: [
            patch,
            `kubectl label pod ${sh(unlabelled[0].metadata?.name ?? "")} ${nsFlag(ns)} ${PODID_LABEL}=${sh(suggested)}   # a quick test only`,
          ],
        },
      },
    ];
  },
});
