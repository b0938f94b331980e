import { sh } from "../../aks/names.js";
import type { Finding } from "../../types.js";
import { valueOf as factOf } from "../../types.js";
import { clip, derive } from "../derive.js";
import { parseIdentityResourceId } from "../facts.js";
import { readDenials } from "../arm-denials.js";
import { actionAllowed, ASSIGN_ACTION, VMSS_WRITE_ACTION } from "../roles.js";
import { podIdCheck, ranOrUnread } from "../define.js";
import {
  errorLines,
  identitiesInScope,
  needIdentities,
  userAssigned,
  missingInArm,
  clusterPrincipal,
  needStandardUserAssigned,
  vmssOfNode,
} from "./shared.js";

export const linkedAuthorizationFailed = podIdCheck({
  id: "podid.linked-authorization-failed",
  doc: {
    meaning:
      "The cluster's identity (the kubelet identity on AKS) lacks `Microsoft.ManagedIdentity/userAssignedIdentities/assign/action` (Managed Identity Operator) on the identity, its resource group or subscription; or MIC logged LinkedAuthorizationFailed while the role assignments could not be read. Not reported for an identity ARM says does not exist (`podid.identity-resource-id-invalid` covers it; so does `podid.identity-not-on-vmss`).",
    symptom: "MIC: `LinkedAuthorizationFailed`",
  },
  supersedes: ["podid.identity-not-on-vmss", "podid.assigned-identity-missing"],
  severity: "error",
  confirms: ["mic_linked_authorization"],
  essential(f) {
    return ranOrUnread(this, f, [f.pods, f.bindings, f.identities, f.mic, f.clusterIdentityRoles]);
  },
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
    // Logged failures count only when the current role assignments cannot be read (they may have been fixed since),
    // and only for the identities the log names (another identity's refusal is podid.mic-authorization-failed's).
    const denied = readDenials(micLines).map((d) => d.scope?.toLowerCase());
    const named = (i: { resourceID: string }) => denied.length === 0 || denied.includes(i.resourceID.toLowerCase());
    const fromLogs = micLines.length && !(roles && principal) ? scopes.filter(named) : [];
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
});

export const nodeResourceGroupRoleMissing = podIdCheck({
  id: "podid.node-rg-role-missing",
  doc: {
    meaning:
      "The cluster's identity may not write the scale sets in the node resource group (Virtual Machine Contributor).",
    symptom: "MIC: `AuthorizationFailed` on the scale set",
  },
  supersedes: ["podid.identity-not-on-vmss", "podid.assigned-identity-missing"],
  severity: "error",
  essential(f) {
    return ranOrUnread(this, f, [f.pods, f.bindings, f.identities, f.cluster, f.clusterIdentityRoles]);
  },
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
});

export const identityNotOnVmss = podIdCheck({
  id: "podid.identity-not-on-vmss",
  doc: {
    meaning:
      "The bound user-assigned identity is not attached to the scale set of the pod's node (compared case-insensitively). In managed mode you attach it yourself; when it is on other scale sets but not this one, the node pool was added after the identity was assigned, and the title says so.",
    symptom: 'IMDS "Identity not found"',
  },
  supersedes: ["podid.assigned-identity-missing"],
  severity: "error",
  confirms: ["nmi_identity_not_assigned"],
  essential(f) {
    return ranOrUnread(this, f, [f.pods, f.bindings, f.identities, f.cluster, f.vmss]);
  },
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
      // On other scale sets but not this one: a node pool added after the identity was attached by hand.
      const elsewhere = anyOf ? [] : sets.filter((x) => has(x) && !lacking.includes(x)).map((x) => x.name);
      for (const s of lacking.slice(0, anyOf ? 1 : lacking.length)) {
        const name = parseIdentityResourceId(i.resourceID)!.name;
        findings.push({
          id: this.id,
          severity: "error",
          title: elsewhere.length
            ? `Identity ${name} is attached to ${elsewhere.join(", ")} but not to VM scale set ${s.name}, where the pod runs (a node pool added after the identity was assigned)`
            : `Identity ${name} is not attached to VM scale set ${s.name}`,
          evidence: {
            identity: i.resourceID,
            vmss: `${s.resourceGroup}/${s.name}`,
            ...(nodes.length ? { nodes } : {}),
            attached: s.userAssignedIdentities,
            ...(elsewhere.length ? { attachedToOtherScaleSets: elsewhere } : {}),
            mode: d.mode,
          },
          fix: {
            summary:
              d.mode === "managed"
                ? `In managed mode nothing attaches identities for you: assign it to this scale set${elsewhere.length ? ", as was done for the older node pools, and to every node pool added later" : ""}.`
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
});
