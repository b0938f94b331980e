import { sh } from "../../aks/names.js";
import type { Finding } from "../../types.js";
import { clip, derive, micLogsCommand, nsFlag, restartCommand } from "../derive.js";
import { ASSIGNED_FINALIZER } from "../facts.js";
import { podIdCheck, ranOrUnread } from "../define.js";
import { needBindings, errorLines } from "./shared.js";

export const assignedIdentityMissing = podIdCheck({
  id: "podid.assigned-identity-missing",
  doc: {
    meaning:
      "A pod scheduled on a node (not finished, not terminating) has no AzureAssignedIdentity, or it is not in state `Assigned` (stuck in `Created`); the evidence carries MIC's related error lines. Unscheduled pods are skipped (MIC ignores them until they have a node), and an assignment without a state counts, as NMI accepts those from MIC before 1.6.",
    symptom: 'NMI 404 "… in CREATED state failed after 16 attempts"',
  },
  severity: "error",
  confirms: ["nmi_identity_not_assigned"],
  essential(f) {
    return ranOrUnread(this, f, [f.pods, f.bindings, f.identities, f.assignedIdentities]);
  },
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
});

export const finalizerStuck = podIdCheck({
  id: "podid.finalizer-stuck",
  doc: {
    severity: "error when deleting, else warning",
    meaning:
      'AzureAssignedIdentity objects carry MIC\'s finalizer (`azureassignedidentity.finalizers.aadpodidentity.k8s.io`) while no MIC runs, typically after MIC was removed first. The fix clears the finalizer with `kubectl patch … --type=merge -p \'{"metadata":{"finalizers":null}}\'` and deletes the object.',
    symptom: "`kubectl delete` hangs; objects stay Terminating",
  },
  severity: "error",
  essential(f) {
    return ranOrUnread(this, f, [f.assignedIdentities, f.mic]);
  },
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
});
