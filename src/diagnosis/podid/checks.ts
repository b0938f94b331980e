// aad-pod-identity checks: the objects MIC and NMI read, the components themselves, the node pool in ARM,
// and the network path from the pod to IMDS.
import { differenceReason, editDistance } from "../compare.js";
import { sh } from "../aks/names.js";
import { heredocApply } from "../command.js";
import type { Check, Finding, FixOption, Gathered } from "../types.js";
import { valueOf as factOf } from "../types.js";
import {
  clip,
  derive,
  micLogsCommand,
  nmiLogsCommand,
  nsFlag,
  podReady,
  podState,
  restartCommand,
  targetNamed,
  templatePatch,
} from "./derive.js";
import {
  ASSIGNED_FINALIZER,
  type AzureIdentityView,
  IDENTITY_TYPES,
  IMDS_IP,
  labelsOf,
  parseIdentityResourceId,
  PODID_LABEL,
  type PodIdFacts,
  RESOURCE_ID_FORM,
} from "./facts.js";
import { misspeltLabelKeys } from "./detect.js";
import { egressAllowed } from "./network.js";
import { actionAllowed, ASSIGN_ACTION, VMSS_WRITE_ACTION } from "./roles.js";

export { ASSIGN_ACTION, VMSS_WRITE_ACTION };

/** Upstream causes first: a broken controller or object explains everything after it. */
export const PODID_ROOT_CAUSE_ORDER = [
  "podid.mic-unhealthy",
  "podid.nmi-unhealthy",
  "podid.label-missing",
  "podid.binding-selector-mismatch",
  "podid.binding-identity-not-found",
  "podid.identity-resource-id-invalid",
  "podid.linked-authorization-failed",
  "podid.node-rg-role-missing",
  "podid.client-id-mismatch",
  "podid.identity-not-on-vmss",
  "podid.assigned-identity-missing",
  "podid.egress-blocked",
  "podid.finalizer-stuck",
];

const needTarget = (f: PodIdFacts) => {
  if (f.pods.status !== "ok") return `the pods could not be read: ${f.pods.reason}`;
  if (!targetNamed(f))
    return f.target.serviceAccount
      ? `no pod runs as service account ${f.target.serviceAccount}`
      : "no pod or workload named";
  if (f.podMissing) return f.podMissing;
  return undefined;
};

const needRelies = (f: PodIdFacts) =>
  needTarget(f) ?? (derive(f).relies ? undefined : "the target does not use aad-pod-identity");

const needBindings = (f: PodIdFacts) => {
  const why = needRelies(f);
  if (why) return why;
  if (f.bindings.status !== "ok") return `AzureIdentityBindings could not be read: ${f.bindings.reason}`;
  if (f.identities.status !== "ok") return `AzureIdentities could not be read: ${f.identities.reason}`;
  return undefined;
};

const podNames = (f: PodIdFacts) => derive(f).pods.map((p) => p.metadata?.name ?? "");

function errorLines(f: PodIdFacts, which: "mic" | "nmi"): string[] {
  return (factOf(f[which])?.errorLines ?? []).flatMap((e) => e.lines.map((l) => `${e.pod}: ${l}`));
}

// ---------------------------------------------------------------------------------------------------------------
// The controllers

export const micUnhealthy: Check<PodIdFacts> = {
  id: "podid.mic-unhealthy",
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
};

export const nmiUnhealthy: Check<PodIdFacts> = {
  id: "podid.nmi-unhealthy",
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
};

// ---------------------------------------------------------------------------------------------------------------
// The pod and its binding

export const labelMissing: Check<PodIdFacts> = {
  id: "podid.label-missing",
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
};

export const bindingSelectorMismatch: Check<PodIdFacts> = {
  id: "podid.binding-selector-mismatch",
  title: "An AzureIdentityBinding's selector equals the pod's aadpodidbinding label",
  skippedBecause(f) {
    return needBindings(f) ?? (derive(f).labelValue ? undefined : "the pod has no aadpodidbinding label");
  },
  run(f) {
    const d = derive(f);
    if (d.bound.length) return [];
    const ns = f.target.namespace;
    const value = d.labelValue!;
    const all = d.bindings.map((b) => ({
      binding: `${b.namespace}/${b.name}`,
      selector: b.selector,
      reason: b.selector ? differenceReason(value, b.selector) : "selector is empty",
      miscased: b.miscased.length ? b.miscased : undefined,
      distance: editDistance(value, b.selector),
      sameNamespace: b.namespace === ns,
      b,
    }));
    all.sort((a, b) => Number(b.sameNamespace) - Number(a.sameNamespace) || a.distance - b.distance);
    // The pre-1.6 spelling of a binding written for this pod: MIC reads its selector as empty.
    const oldStyle = d.bindings.find((b) => b.miscased.some((m) => m.expected === "selector" && m.value === value));
    if (oldStyle) {
      const spec: Record<string, unknown> = {};
      for (const m of oldStyle.miscased) {
        spec[m.expected] = m.value;
        spec[m.found] = null;
      }
      return [
        {
          id: this.id,
          severity: "error",
          title: `Binding ${oldStyle.namespace}/${oldStyle.name} spells its fields the pre-1.6 way (${oldStyle.miscased.map((m) => m.found).join(", ")}); MIC ≥ 1.6 reads its selector as empty`,
          evidence: {
            podLabel: value,
            binding: `${oldStyle.namespace}/${oldStyle.name}`,
            miscasedFields: oldStyle.miscased.map((m) => `${m.found} → ${m.expected}`),
          },
          fix: {
            summary: "Rename the binding's fields to azureIdentity and selector (exact case) and drop the old ones.",
            commands: [
              `kubectl patch azureidentitybinding ${sh(oldStyle.name)} ${nsFlag(oldStyle.namespace)} --type=merge -p ${sh(JSON.stringify({ spec }))}`,
            ],
          },
        },
      ];
    }
    const nearest = all[0];
    const otherNs = d.namespaced ? d.bindings.filter((b) => b.selector === value && b.namespace !== ns) : [];
    const commands: string[] = [];
    const alternatives: FixOption[] = [];
    if (nearest) {
      commands.push(
        `kubectl patch azureidentitybinding ${sh(nearest.b.name)} ${nsFlag(nearest.b.namespace)} --type=merge -p ${sh(JSON.stringify({ spec: { selector: value } }))}`,
      );
      if (nearest.b.selector) {
        // The other way round: the pods take the binding's selector. Either one makes them equal, both would not.
        alternatives.push({
          summary: `Or relabel the pods: set ${PODID_LABEL}=${nearest.b.selector} on the pod template (this rolls the pods).`,
          commands: [
            `kubectl patch ${d.workloadRef ? sh(d.workloadRef) : "deployment/<name>"} ${nsFlag(ns)} --type=merge -p ${templatePatch(
              d.workloadKind,
              {
                metadata: { labels: { [PODID_LABEL]: nearest.b.selector } },
              },
            )}`,
          ],
        });
      }
    }
    return [
      {
        id: this.id,
        severity: "error",
        title: otherNs.length
          ? `Only bindings in other namespaces select ${PODID_LABEL}=${value}, and aad-pod-identity runs namespaced`
          : `No AzureIdentityBinding has selector "${value}"`,
        evidence: {
          podLabel: value,
          bindings: all
            .slice(0, 5)
            .map(({ binding, selector, reason, miscased }) => ({ binding, selector, reason, miscased })),
          ...(otherNs.length
            ? { namespaced: true, matchingElsewhere: otherNs.map((b) => `${b.namespace}/${b.name}`) }
            : {}),
        },
        fix: {
          summary: nearest?.miscased
            ? `The binding's fields are capitalised the old way; MIC ≥ 1.6 reads "selector" and "azureIdentity" exactly.`
            : alternatives.length
              ? `Make the binding's selector and the pod label equal (exact, case-sensitive): set binding ${nearest?.b.namespace}/${nearest?.b.name}'s selector to "${value}".`
              : "Make the binding's selector and the pod label equal (exact, case-sensitive).",
          commands: commands.length
            ? commands
            : [
                `kubectl get azureidentitybinding -A -o custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,SELECTOR:.spec.selector`,
              ],
          ...(alternatives.length ? { alternatives } : {}),
        },
      },
    ];
  },
};

export const bindingIdentityNotFound: Check<PodIdFacts> = {
  id: "podid.binding-identity-not-found",
  title: "Each binding's azureIdentity names an existing AzureIdentity (its metadata.name)",
  skippedBecause(f) {
    return needBindings(f) ?? (derive(f).bound.length ? undefined : "no binding selects the pod");
  },
  run(f) {
    const d = derive(f);
    const findings: Finding[] = [];
    for (const { binding, identity } of d.bound) {
      if (identity) continue;
      const pool = d.identities.filter((i) => i.namespace === binding.namespace);
      const elsewhere = d.identities.filter(
        (i) => binding.azureIdentity && i.name === binding.azureIdentity && i.namespace !== binding.namespace,
      );
      const byArmName = pool.find(
        (i) =>
          binding.azureIdentity &&
          parseIdentityResourceId(i.resourceID)?.name.toLowerCase() === binding.azureIdentity.toLowerCase(),
      );
      const nearest = [...pool].sort(
        (a, b) => editDistance(binding.azureIdentity, a.name) - editDistance(binding.azureIdentity, b.name),
      )[0];
      const suggestion = byArmName ?? nearest;
      let reason: string;
      if (elsewhere.length) {
        reason = `AzureIdentity "${binding.azureIdentity}" exists in namespace ${elsewhere.map((i) => i.namespace).join(", ")}, but MIC looks it up in the binding's namespace ${binding.namespace}`;
      } else if (!binding.azureIdentity && binding.miscased.some((m) => m.expected === "azureIdentity")) {
        reason = `the field is written "${binding.miscased.find((m) => m.expected === "azureIdentity")!.found}"; MIC ≥ 1.6 reads only "azureIdentity", so it is empty`;
      } else if (!binding.azureIdentity) {
        reason = "spec.azureIdentity is empty";
      } else if (byArmName) {
        reason = `"${binding.azureIdentity}" is the Azure identity's name; the binding must name the AzureIdentity object ("${byArmName.name}")`;
      } else {
        reason = nearest
          ? (differenceReason(nearest.name, binding.azureIdentity) ?? "different value")
          : "no AzureIdentity exists";
      }
      findings.push({
        id: this.id,
        severity: "error",
        title: elsewhere.length
          ? `Binding ${binding.namespace}/${binding.name} names AzureIdentity "${binding.azureIdentity}", which exists only in namespace ${elsewhere[0].namespace}`
          : `Binding ${binding.namespace}/${binding.name} names AzureIdentity "${binding.azureIdentity}", which does not exist`,
        evidence: {
          binding: `${binding.namespace}/${binding.name}`,
          azureIdentity: binding.azureIdentity,
          existingAzureIdentities: [...pool, ...elsewhere].map((i) => `${i.namespace}/${i.name}`),
          reason,
        },
        fix: elsewhere.length
          ? {
              summary:
                "A binding and the AzureIdentity it names must live in the same namespace: create the AzureIdentity in the binding's namespace (or move the binding next to it).",
              commands: [
                `kubectl get azureidentity ${sh(elsewhere[0].name)} ${nsFlag(elsewhere[0].namespace)} -o json | jq ${sh(`del(.metadata.uid, .metadata.resourceVersion, .metadata.creationTimestamp, .metadata.managedFields) | .metadata.namespace=${JSON.stringify(binding.namespace)}`)} | kubectl apply -f -`,
              ],
            }
          : {
              summary: "Point the binding at the AzureIdentity's metadata.name.",
              commands: [
                `kubectl patch azureidentitybinding ${sh(binding.name)} ${nsFlag(binding.namespace)} --type=merge -p ${sh(
                  JSON.stringify({ spec: { azureIdentity: suggestion?.name ?? "<AzureIdentity name>" } }),
                )}`,
              ],
            },
      });
    }
    return findings;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// The AzureIdentity

/** Identities the checks look at: those bound to the target, or, with no pod named, those in the namespace. */
function identitiesInScope(f: PodIdFacts): AzureIdentityView[] {
  const d = derive(f);
  if (targetNamed(f)) return d.bound.map((b) => b.identity).filter((i): i is AzureIdentityView => !!i);
  return d.identities.filter((i) => i.namespace === f.target.namespace);
}

const needIdentities = (f: PodIdFacts) => {
  if (f.identities.status !== "ok") return `AzureIdentities could not be read: ${f.identities.reason}`;
  if (targetNamed(f)) {
    const why = needBindings(f);
    if (why) return why;
  }
  return identitiesInScope(f).length ? undefined : "no AzureIdentity is bound to the target";
};

const userAssigned = (i: AzureIdentityView) => (i.type ?? 0) === 0 && i.typeRaw === undefined;

/** ARM answered that the identity does not exist: identity-resource-id-invalid says so, nothing else applies. */
function missingInArm(f: PodIdFacts, i: AzureIdentityView): boolean {
  const arm = factOf(f.armIdentities);
  const key = i.resourceID.toLowerCase();
  return !!arm && Object.hasOwn(arm, key) && arm[key] === null;
}

export const identityResourceIdInvalid: Check<PodIdFacts> = {
  id: "podid.identity-resource-id-invalid",
  title: "Each AzureIdentity has a valid type and (user-assigned) a resourceID of the exact form MIC accepts",
  skippedBecause: needIdentities,
  run(f) {
    const findings: Finding[] = [];
    const arm = factOf(f.armIdentities);
    for (const i of identitiesInScope(f)) {
      const ref = `${i.namespace}/${i.name}`;
      const patchCmd = (spec: Record<string, unknown>) =>
        `kubectl patch azureidentity ${sh(i.name)} ${nsFlag(i.namespace)} --type=merge -p ${sh(JSON.stringify({ spec }))}`;
      const miscasedFix = i.miscased.map((m) => `${m.found} → ${m.expected}`);
      if (i.typeRaw !== undefined || (i.type !== undefined && !(i.type in IDENTITY_TYPES))) {
        const raw = i.typeRaw ?? i.type;
        const asNumber = typeof raw === "string" && /^[0-2]$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
        findings.push({
          id: this.id,
          severity: "error",
          title: `AzureIdentity ${ref} has spec.type ${JSON.stringify(raw)}; it must be the number 0, 1 or 2`,
          evidence: { identity: ref, type: raw, meanings: IDENTITY_TYPES },
          fix: {
            summary:
              "Set spec.type to 0 for a user-assigned managed identity (1: service principal, 2: service principal with certificate).",
            commands: [patchCmd({ type: asNumber ?? 0 })],
          },
        });
        continue;
      }
      if (!userAssigned(i)) continue;
      const parsed = parseIdentityResourceId(i.resourceID);
      if (!parsed) {
        const miscasedId = i.miscased.find((m) => m.expected === "resourceID");
        const candidate = miscasedId && typeof miscasedId.value === "string" ? miscasedId.value : undefined;
        const fields: Record<string, unknown> = {};
        for (const m of i.miscased) fields[m.expected] = m.value;
        findings.push({
          id: this.id,
          severity: "error",
          title: miscasedId
            ? `AzureIdentity ${ref} spells "${miscasedId.found}": MIC ≥ 1.6 reads "resourceID" and logs Invalid resource id: ""`
            : `AzureIdentity ${ref} has resourceID ${JSON.stringify(i.resourceID)}, not a user-assigned identity resource id`,
          evidence: {
            identity: ref,
            resourceID: i.resourceID,
            expectedForm: RESOURCE_ID_FORM,
            ...(i.miscased.length ? { miscasedFields: miscasedFix } : {}),
            ...(/^[0-9a-f-]{36}$/i.test(i.resourceID)
              ? { note: "this is a GUID (a client or principal id), not a resource id" }
              : {}),
          },
          fix: {
            summary: miscasedId
              ? "Rename the fields to the capitalisation MIC ≥ 1.6 requires (type, resourceID, clientID) and remove the old ones."
              : "Set resourceID to the identity's full resource id (`az identity show --query id`).",
            commands: miscasedId
              ? [
                  `kubectl patch azureidentity ${sh(i.name)} ${nsFlag(i.namespace)} --type=merge -p ${sh(
                    JSON.stringify({
                      spec: {
                        ...fields,
                        ...Object.fromEntries(i.miscased.map((m) => [m.found, null])),
                        ...(candidate ? { resourceID: candidate } : {}),
                      },
                    }),
                  )}`,
                ]
              : [
                  `az identity show --ids ${sh(i.resourceID || "<resource-id>")} --query id -o tsv   # or: az identity list --query ${sh(`[?clientId=='${i.clientID || "<client-id>"}'].id`)} -o tsv`,
                  patchCmd({ resourceID: "<resource id from the command above>" }),
                ],
          },
        });
        continue;
      }
      const key = i.resourceID.toLowerCase();
      if (arm && Object.hasOwn(arm, key) && arm[key] === null) {
        findings.push({
          id: this.id,
          severity: "error",
          title: `AzureIdentity ${ref} points at ${parsed.name} in ${parsed.resourceGroup}, which does not exist in ARM`,
          evidence: { identity: ref, resourceID: i.resourceID, arm: "ResourceNotFound" },
          fix: {
            summary: "Create the identity, or point resourceID (and clientID) at one that exists.",
            commands: [
              `az identity list --subscription ${sh(parsed.subscriptionId)} --query "[].{name:name, id:id, clientId:clientId}" -o table`,
              patchCmd({ resourceID: "<existing identity resource id>", clientID: "<its client id>" }),
            ],
          },
        });
      }
    }
    return findings;
  },
};

export const clientIdMismatch: Check<PodIdFacts> = {
  id: "podid.client-id-mismatch",
  title: "clientID agrees between the AzureIdentity, ARM, and what the pod asks NMI for",
  // Without ARM's view only an empty clientID can be judged: anything else would pass unverified.
  skippedBecause: (f) =>
    needIdentities(f) ??
    (f.armIdentities.status !== "ok" && identitiesInScope(f).every((i) => i.clientID)
      ? `the identities could not be read from ARM to compare their client ids: ${f.armIdentities.reason}`
      : undefined),
  run(f) {
    const findings: Finding[] = [];
    const arm = factOf(f.armIdentities);
    const scoped = identitiesInScope(f);
    for (const i of scoped) {
      const ref = `${i.namespace}/${i.name}`;
      const armIdentity = arm?.[i.resourceID.toLowerCase()];
      const miscasedClient = i.miscased.find((m) => m.expected === "clientID");
      if (!i.clientID) {
        findings.push({
          id: this.id,
          severity: "error",
          title: miscasedClient
            ? `AzureIdentity ${ref} spells "${miscasedClient.found}"; MIC ≥ 1.6 reads "clientID", so it is empty`
            : `AzureIdentity ${ref} has no clientID`,
          evidence: { identity: ref, clientID: "", found: miscasedClient?.found, armClientId: armIdentity?.clientId },
          fix: {
            summary: "Set spec.clientID to the identity's client id.",
            commands: [
              `kubectl patch azureidentity ${sh(i.name)} ${nsFlag(i.namespace)} --type=merge -p ${sh(
                JSON.stringify({
                  spec: {
                    clientID: armIdentity?.clientId ?? miscasedClient?.value ?? "<client-id>",
                    ...(miscasedClient ? { [miscasedClient.found]: null } : {}),
                  },
                }),
              )}`,
            ],
          },
        });
        continue;
      }
      if (userAssigned(i) && armIdentity && armIdentity.clientId.toLowerCase() !== i.clientID.toLowerCase()) {
        findings.push({
          id: this.id,
          severity: "error",
          title: `AzureIdentity ${ref} clientID is not the client id of ${armIdentity.name}`,
          evidence: {
            identity: ref,
            azureIdentityClientID: i.clientID,
            armClientId: armIdentity.clientId,
            resourceID: i.resourceID,
            reason:
              armIdentity.clientId === i.clientID
                ? undefined
                : i.clientID === armIdentity.principalId
                  ? "this is the principal (object) id, not the client id"
                  : "different value",
          },
          fix: {
            summary:
              "NMI asks IMDS for a token with this client id; use the identity's clientId (not its principalId).",
            commands: [
              `kubectl patch azureidentity ${sh(i.name)} ${nsFlag(i.namespace)} --type=merge -p ${sh(
                JSON.stringify({ spec: { clientID: armIdentity.clientId } }),
              )}`,
            ],
          },
        });
      }
    }
    // What the workload asks for: an explicit client id must be one of the identities bound to it.
    if (!targetNamed(f)) return findings;
    const boundIds = scoped.map((i) => i.clientID.toLowerCase()).filter(Boolean);
    if (boundIds.length === 0) return findings;
    const requested: { where: string; clientId: string }[] = [];
    const d = derive(f);
    const templateSpec = factOf(f.workload)?.podTemplate.spec;
    const specs = templateSpec ? [templateSpec] : d.pods.map((p) => p.spec).filter((s) => !!s);
    for (const spec of specs.slice(0, 1)) {
      for (const c of spec?.containers ?? []) {
        for (const e of c.env ?? []) {
          if (e.name === "AZURE_CLIENT_ID" && e.value)
            requested.push({ where: `container ${c.name} env AZURE_CLIENT_ID`, clientId: e.value });
        }
        for (const a of [...(c.command ?? []), ...(c.args ?? [])]) {
          const m = /^--(?:identity-client-id|client-id)=(.+)$/.exec(a);
          if (m) requested.push({ where: `container ${c.name} argument ${a.split("=")[0]}`, clientId: m[1] });
        }
      }
      const spcNames = (spec?.volumes ?? [])
        .map((v) => v.csi?.volumeAttributes?.secretProviderClass)
        .filter((n): n is string => !!n);
      for (const spc of factOf(f.secretProviderClasses) ?? []) {
        if (!spcNames.includes(spc.name)) continue;
        if (String(spc.parameters.usePodIdentity).toLowerCase() !== "true") continue;
        const id = spc.parameters.userAssignedIdentityID;
        if (id) requested.push({ where: `SecretProviderClass ${spc.name} userAssignedIdentityID`, clientId: id });
      }
    }
    for (const r of requested) {
      if (boundIds.includes(r.clientId.toLowerCase())) continue;
      const isSpc = r.where.startsWith("SecretProviderClass");
      findings.push({
        id: this.id,
        severity: "error",
        title: `${r.where} asks NMI for client id ${r.clientId}, which is not bound to the pod`,
        evidence: {
          requested: r.clientId,
          where: r.where,
          boundClientIds: scoped.map((i) => ({ azureIdentity: `${i.namespace}/${i.name}`, clientID: i.clientID })),
          reason: differenceReason(scoped[0].clientID, r.clientId),
          ...(f.errorText && /CREATED state/i.test(f.errorText)
            ? { errorText: "NMI gave up waiting for an assigned identity with this client id (404 … in CREATED state)" }
            : {}),
        },
        fix: {
          summary: isSpc
            ? "NMI only hands out identities bound to the pod: set the SecretProviderClass userAssignedIdentityID to the bound identity's clientID (or leave it empty to use the bound one)."
            : "Request the client id of the identity bound to the pod, or bind the identity the workload asks for.",
          commands: isSpc
            ? [
                `kubectl patch secretproviderclass ${sh(r.where.split(" ")[1])} ${nsFlag(f.target.namespace)} --type=merge -p ${sh(
                  JSON.stringify({ spec: { parameters: { userAssignedIdentityID: scoped[0].clientID } } }),
                )}`,
                restartCommand(d, f.target.namespace, podNames(f)),
              ]
            : [
                `kubectl set env ${d.workloadRef ? sh(d.workloadRef) : "deployment/<name>"} ${nsFlag(f.target.namespace)} AZURE_CLIENT_ID=${sh(scoped[0].clientID)}`,
              ],
        },
      });
    }
    return findings;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// ARM: the cluster identity's rights, and the node pool

function clusterPrincipal(f: PodIdFacts) {
  const c = factOf(f.cluster);
  return c?.kubeletIdentity
    ? { objectId: c.kubeletIdentity.objectId, clientId: c.kubeletIdentity.clientId, kind: "kubelet identity" }
    : undefined;
}

const needStandardUserAssigned = (f: PodIdFacts) => {
  const why = needIdentities(f);
  if (why) return why;
  if (derive(f).mode === "managed")
    return "managed mode: MIC does not assign identities, so the cluster identity needs no rights on them";
  if (!identitiesInScope(f).some(userAssigned)) return "no user-assigned identity is bound to the target";
  return undefined;
};

export const linkedAuthorizationFailed: Check<PodIdFacts> = {
  id: "podid.linked-authorization-failed",
  title: "The cluster identity may assign the bound identities (Managed Identity Operator)",
  skippedBecause: needStandardUserAssigned,
  run(f) {
    const findings: Finding[] = [];
    const micLines = errorLines(f, "mic").filter((l) => /LinkedAuthorizationFailed/.test(l));
    const principal = clusterPrincipal(f);
    const roles = factOf(f.clusterIdentityRoles);
    const scopes = identitiesInScope(f)
      .filter(userAssigned)
      .filter((i) => parseIdentityResourceId(i.resourceID) && !missingInArm(f, i));
    const assigneeFlag = principal
      ? `--assignee-object-id ${sh(principal.objectId)} --assignee-principal-type ServicePrincipal`
      : `--assignee "<cluster identity client id>"`;
    const missing = roles && principal ? scopes.filter((i) => !actionAllowed(roles, ASSIGN_ACTION, i.resourceID)) : [];
    // Logged failures count only when the current role assignments cannot be read (they may have been fixed since).
    const fromLogs = micLines.length && !(roles && principal) ? scopes : [];
    for (const i of [...missing, ...fromLogs]) {
      findings.push({
        id: this.id,
        severity: "error",
        title: `The cluster's ${principal?.kind ?? "identity"} may not assign ${parseIdentityResourceId(i.resourceID)!.name} to the node pool (LinkedAuthorizationFailed)`,
        evidence: {
          identity: i.resourceID,
          clusterIdentity: principal
            ? { kind: principal.kind, objectId: principal.objectId, clientId: principal.clientId }
            : "unknown",
          neededAction: ASSIGN_ACTION,
          ...(roles ? { rolesOfClusterIdentity: roles.map((r) => `${r.roleName} @ ${r.scope}`) } : {}),
          ...(micLines.length
            ? {
                // The code and the linked scope sit deep in a long line: show the line from the code on.
                micErrorLines: clip(
                  micLines.map((l) => {
                    const at = l.indexOf("LinkedAuthorizationFailed");
                    return `${l.slice(0, l.indexOf(": ") + 2)}…${l.slice(Math.max(0, at - 6))}`;
                  }),
                  3,
                  600,
                ),
              }
            : {}),
        },
        fix: {
          summary:
            "Grant the cluster identity Managed Identity Operator on the identity (or its resource group); MIC then retries the assignment.",
          commands: [
            `az role assignment create --role "Managed Identity Operator" ${assigneeFlag} --scope ${sh(i.resourceID)}`,
          ],
        },
      });
    }
    return findings;
  },
};

export const nodeResourceGroupRoleMissing: Check<PodIdFacts> = {
  id: "podid.node-rg-role-missing",
  title:
    "The cluster identity may update the node pool's VM scale sets (Virtual Machine Contributor on the node resource group)",
  skippedBecause(f) {
    const why = needStandardUserAssigned(f);
    if (why) return why;
    if (f.clusterIdentityRoles.status !== "ok")
      return `role assignments could not be read: ${f.clusterIdentityRoles.reason}`;
    const c = factOf(f.cluster);
    if (!c?.nodeResourceGroup || !c.kubeletIdentity)
      return "the cluster's node resource group or kubelet identity is unknown";
    return undefined;
  },
  run(f) {
    const c = factOf(f.cluster)!;
    const roles = factOf(f.clusterIdentityRoles)!;
    const scope = `/subscriptions/${c.subscriptionId}/resourceGroups/${c.nodeResourceGroup}`;
    if (actionAllowed(roles, VMSS_WRITE_ACTION, `${scope}/providers/Microsoft.Compute/virtualMachineScaleSets/x`))
      return [];
    return [
      {
        id: this.id,
        severity: "error",
        title: `The cluster's kubelet identity may not update VM scale sets in ${c.nodeResourceGroup}`,
        evidence: {
          clusterIdentity: c.kubeletIdentity,
          nodeResourceGroup: c.nodeResourceGroup,
          neededAction: VMSS_WRITE_ACTION,
          rolesOfClusterIdentity: roles.map((r) => `${r.roleName} @ ${r.scope}`),
        },
        fix: {
          summary:
            "MIC attaches identities by writing the scale set: grant Virtual Machine Contributor on the node resource group.",
          commands: [
            `az role assignment create --role "Virtual Machine Contributor" --assignee-object-id ${sh(c.kubeletIdentity!.objectId)} --assignee-principal-type ServicePrincipal --scope ${sh(scope)}`,
          ],
        },
      },
    ];
  },
};

/** The scale set a node belongs to: AKS names nodes <vmss-name><6-digit instance>. */
function vmssOfNode(node: string, sets: { name: string }[]) {
  return sets.find((s) => node.toLowerCase().startsWith(s.name.toLowerCase()));
}

export const identityNotOnVmss: Check<PodIdFacts> = {
  id: "podid.identity-not-on-vmss",
  title: "The bound user-assigned identities are attached to the node pool's VM scale set",
  skippedBecause(f) {
    const why = needIdentities(f);
    if (why) return why;
    if (!identitiesInScope(f).some(userAssigned)) return "no user-assigned identity is bound to the target";
    if (f.vmss.status !== "ok") return `VM scale sets could not be read: ${f.vmss.reason}`;
    if (factOf(f.vmss)!.length === 0) return "no VM scale set was found in the node resource group";
    return undefined;
  },
  run(f) {
    const sets = factOf(f.vmss)!;
    const c = factOf(f.cluster);
    const d = derive(f);
    const nodes = [...new Set(d.pods.map((p) => p.spec?.nodeName).filter((n): n is string => !!n))];
    let targets = nodes.map((n) => vmssOfNode(n, sets)).filter((s): s is (typeof sets)[number] => !!s);
    targets = [...new Set(targets)];
    const anyOf = targets.length === 0;
    const findings: Finding[] = [];
    for (const i of identitiesInScope(f).filter(userAssigned)) {
      if (!parseIdentityResourceId(i.resourceID) || missingInArm(f, i)) continue;
      const has = (s: (typeof sets)[number]) =>
        s.userAssignedIdentities.some((id) => id.toLowerCase() === i.resourceID.toLowerCase());
      const lacking = anyOf ? (sets.some(has) ? [] : sets) : targets.filter((s) => !has(s));
      for (const s of lacking.slice(0, anyOf ? 1 : lacking.length)) {
        findings.push({
          id: this.id,
          severity: "error",
          title: `Identity ${parseIdentityResourceId(i.resourceID)!.name} is not attached to VM scale set ${s.name}`,
          evidence: {
            identity: i.resourceID,
            vmss: `${s.resourceGroup}/${s.name}`,
            ...(nodes.length ? { nodes } : {}),
            attached: s.userAssignedIdentities,
            mode: d.mode,
          },
          fix: {
            summary:
              d.mode === "managed"
                ? "In managed mode you attach identities yourself: assign it to the scale set."
                : "MIC attaches it when it may; fix its permissions (see the other findings), or attach it by hand.",
            commands: [
              `az vmss identity assign --resource-group ${sh(s.resourceGroup || c?.nodeResourceGroup || "<node-resource-group>")} --name ${sh(s.name)} --identities ${sh(i.resourceID)}`,
            ],
          },
        });
      }
    }
    return findings;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// MIC's bookkeeping

export const assignedIdentityMissing: Check<PodIdFacts> = {
  id: "podid.assigned-identity-missing",
  title: "Each pod has an AzureAssignedIdentity in state Assigned",
  skippedBecause(f) {
    const why = needBindings(f);
    if (why) return why;
    if (f.assignedIdentities.status !== "ok")
      return `AzureAssignedIdentities could not be read: ${f.assignedIdentities.reason}`;
    if (derive(f).mode === "managed")
      return "managed mode: NMI matches bindings itself, no AzureAssignedIdentity is created";
    if (!derive(f).bound.some((b) => b.identity)) return "no binding with an existing AzureIdentity selects the pod";
    return undefined;
  },
  run(f) {
    const d = derive(f);
    const ns = f.target.namespace;
    const findings: Finding[] = [];
    const micLines = errorLines(f, "mic");
    const created = f.errorText && /in CREATED state/i.test(f.errorText);
    // MIC assigns identities only to pods scheduled on a node; finished and terminating pods need none.
    const live = d.pods.filter(
      (p) =>
        !!p.spec?.nodeName &&
        !p.metadata?.deletionTimestamp &&
        p.status?.phase !== "Succeeded" &&
        p.status?.phase !== "Failed",
    );
    for (const pod of live) {
      const name = pod.metadata?.name ?? "";
      const mine = d.assigned.filter((a) => a.pod === name && a.podNamespace === ns);
      // NMI also accepts an assignment without a state (written by MIC before 1.6).
      if (mine.some((a) => a.state === "Assigned" || a.state === undefined)) continue;
      const related = micLines.filter((l) => l.includes(name) || (pod.spec?.nodeName && l.includes(pod.spec.nodeName)));
      findings.push({
        id: this.id,
        severity: "error",
        title: mine.length
          ? `AzureAssignedIdentity for pod ${name} is in state ${mine[0].state ?? "(none)"}, not Assigned`
          : `No AzureAssignedIdentity exists for pod ${name}`,
        evidence: {
          pod: `${ns}/${name}`,
          node: pod.spec?.nodeName,
          assignedIdentities: mine.map((a) => ({
            name: `${a.namespace}/${a.name}`,
            state: a.state ?? null,
            identity: a.identityName,
          })),
          expectedState: "Assigned",
          ...(related.length
            ? { micErrorLines: clip(related, 3) }
            : micLines.length
              ? { micErrorLines: clip(micLines, 3) }
              : {}),
          ...(created
            ? { errorText: "NMI answered 404: no assigned identity for the pod reached the expected state" }
            : {}),
        },
        fix: {
          summary:
            "MIC creates the AzureAssignedIdentity and moves it to Assigned once the identity is on the node; its error lines say what stopped it. After fixing that, restart the pod.",
          commands: [
            `kubectl get azureassignedidentity -A -o wide | grep ${sh(name)}`,
            micLogsCommand(f),
            restartCommand(d, ns, [name]),
          ],
        },
      });
    }
    return findings;
  },
};

export const finalizerStuck: Check<PodIdFacts> = {
  id: "podid.finalizer-stuck",
  title: "No AzureAssignedIdentity is held by a finalizer that no running MIC will remove",
  skippedBecause(f) {
    if (f.assignedIdentities.status !== "ok")
      return `AzureAssignedIdentities could not be read: ${f.assignedIdentities.reason}`;
    if (f.mic.status !== "ok") return `MIC pods could not be read: ${f.mic.reason}`;
    return undefined;
  },
  run(f) {
    const d = derive(f);
    if (d.micReady > 0) return [];
    const held = d.assigned.filter(
      (a) => a.finalizers.includes(ASSIGNED_FINALIZER) || (a.deleting && a.finalizers.length),
    );
    if (held.length === 0) return [];
    const deleting = held.filter((a) => a.deleting);
    const patch = (a: { name: string; namespace: string }) =>
      `kubectl patch azureassignedidentity ${sh(a.name)} ${nsFlag(a.namespace)} --type=merge -p '{"metadata":{"finalizers":null}}'`;
    const shown = held.slice(0, 5);
    return [
      {
        id: this.id,
        severity: deleting.length ? "error" : "warning",
        title: deleting.length
          ? `${deleting.length} AzureAssignedIdentity object(s) are stuck deleting: their finalizer waits for a MIC that is not running`
          : `${held.length} AzureAssignedIdentity object(s) carry MIC's finalizer while no MIC runs; deleting them will hang`,
        evidence: {
          micPods: d.micPods,
          micReady: d.micReady,
          objects: shown.map((a) => ({
            name: `${a.namespace}/${a.name}`,
            pod: `${a.podNamespace}/${a.pod}`,
            finalizers: a.finalizers,
            deletionTimestamp: a.deletionTimestamp ?? null,
          })),
          total: held.length,
        },
        fix: {
          summary:
            "If MIC is gone for good, clear the finalizers and delete the objects. If it is coming back, reinstall it instead and let it unassign the identities from the nodes.",
          commands: [
            ...shown.flatMap((a) => [
              patch(a),
              `kubectl delete azureassignedidentity ${sh(a.name)} ${nsFlag(a.namespace)}`,
            ]),
            ...(held.length > shown.length || held.length > 1
              ? [
                  `kubectl get azureassignedidentity -A -o json | jq '.items[].metadata.finalizers=null' | kubectl apply -f -   # all of them at once`,
                  "kubectl delete azureassignedidentity --all -A",
                ]
              : []),
          ],
        },
      },
    ];
  },
};

// ---------------------------------------------------------------------------------------------------------------
// The network path

export const egressBlocked: Check<PodIdFacts> = {
  id: "podid.egress-blocked",
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
};

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

export const iptablesRule: Check<PodIdFacts> = {
  id: "podid.iptables-rule",
  title: "NMI's iptables redirect of IMDS traffic on the node",
  skippedBecause(f) {
    const { command, expected } = iptablesCommand(f);
    return `the node's iptables cannot be read through the Kubernetes API; run \`${command}\` and expect: ${expected.join(" | ")}`;
  },
  run: () => [],
};

/** The facts each check reads: a check that is skipped while one of them could not be read did not run. */
const READS: Record<string, (f: PodIdFacts) => (Gathered<unknown> | undefined)[]> = {
  "podid.mic-unhealthy": (f) => [f.mic],
  "podid.nmi-unhealthy": (f) => [f.nmi],
  "podid.label-missing": (f) => [f.pods, f.workload],
  "podid.binding-selector-mismatch": (f) => [f.pods, f.workload, f.bindings, f.identities],
  "podid.binding-identity-not-found": (f) => [f.pods, f.workload, f.bindings, f.identities],
  "podid.identity-resource-id-invalid": (f) => [f.pods, f.workload, f.bindings, f.identities],
  "podid.client-id-mismatch": (f) => [f.pods, f.workload, f.bindings, f.identities, f.armIdentities],
  "podid.linked-authorization-failed": (f) => [f.pods, f.bindings, f.identities, f.mic, f.clusterIdentityRoles],
  "podid.node-rg-role-missing": (f) => [f.pods, f.bindings, f.identities, f.cluster, f.clusterIdentityRoles],
  "podid.identity-not-on-vmss": (f) => [f.pods, f.bindings, f.identities, f.cluster, f.vmss],
  "podid.assigned-identity-missing": (f) => [f.pods, f.bindings, f.identities, f.assignedIdentities],
  "podid.finalizer-stuck": (f) => [f.assignedIdentities, f.mic],
  "podid.egress-blocked": (f) => [f.pods, f.networkPolicies],
};

/**
 * aad-pod-identity's verdict rests on every check that applies (docs/findings.md, "Verdict"): essential when it
 * runs, or when it was skipped while something it reads could not be read. Skipped because it does not apply
 * to what was read (managed mode, no user-assigned identity): not essential. NMI's iptables rule cannot be
 * read through the API and is never essential.
 */
function withEssential(check: Check<PodIdFacts>): Check<PodIdFacts> {
  const reads = READS[check.id];
  if (!reads) return check;
  return {
    ...check,
    essential: (f) =>
      !check.skippedBecause?.(f) || reads(f).some((g) => g !== undefined && g.status !== "ok") || Boolean(f.podMissing),
  };
}

export const podIdChecks: Check<PodIdFacts>[] = [
  micUnhealthy,
  nmiUnhealthy,
  labelMissing,
  bindingSelectorMismatch,
  bindingIdentityNotFound,
  identityResourceIdInvalid,
  clientIdMismatch,
  linkedAuthorizationFailed,
  nodeResourceGroupRoleMissing,
  identityNotOnVmss,
  assignedIdentityMissing,
  finalizerStuck,
  egressBlocked,
  iptablesRule,
].map(withEssential);
