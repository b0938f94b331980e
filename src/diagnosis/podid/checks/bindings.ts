// AzureIdentityBinding: its selector matches the pod label, and it names an AzureIdentity that exists.
import { differenceReason, editDistance } from "../../compare.js";
import { sh } from "../../aks/names.js";
import type { Finding, FixOption } from "../../types.js";
import { derive, nsFlag, templatePatch } from "../derive.js";
import { parseIdentityResourceId, PODID_LABEL } from "../facts.js";
import { podIdCheck, ranOrUnread } from "../define.js";
import { needBindings } from "./shared.js";

export const bindingSelectorMismatch = podIdCheck({
  id: "podid.binding-selector-mismatch",
  doc: {
    meaning:
      "No AzureIdentityBinding's `selector` equals the pod's label (exact and case-sensitive; evidence: the nearest selector and why it differs; in namespaced mode, bindings in other namespaces do not count). A binding written with the pre-1.6 field names (`Selector`, `AzureIdentity`) is named, and the fix renames its fields.",
    symptom: 'NMI 403 "no AzureAssignedIdentity found"',
  },
  severity: "error",
  confirms: ["nmi_identity_not_assigned"],
  essential(f) {
    return ranOrUnread(this, f, [f.pods, f.workload, f.bindings, f.identities]);
  },
  title: "An AzureIdentityBinding's selector equals the pod's aadpodidbinding label",
  skippedBecause(f) {
    return needBindings(f) ?? (derive(f).labelValue ? undefined : "the pod has no aadpodidbinding label");
  },
  run(f) {
    const d = derive(f);
    // A binding that selects the pod but is ignored for its namespace is podid.namespaced-binding-ignored's.
    if (d.bound.length || d.ignored.length) return [];
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
        title: `No AzureIdentityBinding has selector "${value}"`,
        evidence: {
          podLabel: value,
          bindings: all
            .slice(0, 5)
            .map(({ binding, selector, reason, miscased }) => ({ binding, selector, reason, miscased })),
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
});

export const bindingIdentityNotFound = podIdCheck({
  id: "podid.binding-identity-not-found",
  doc: {
    meaning:
      "A binding's `azureIdentity` names no AzureIdentity object in the binding's own namespace (MIC looks identities up by namespace and name, so one in another namespace does not count). Often it holds the Azure identity's name instead of the AzureIdentity's `metadata.name`, or is written `azureidentity`.",
    symptom: "MIC never creates an assignment",
  },
  severity: "error",
  confirms: ["nmi_identity_not_assigned"],
  essential(f) {
    return ranOrUnread(this, f, [f.pods, f.workload, f.bindings, f.identities]);
  },
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
});
