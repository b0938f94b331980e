// MIC's own account of what ARM refused it: AuthorizationFailed and LinkedAuthorizationFailed name the action and
// the exact scope that lacks a role. MIC patches a scale set with all of its identities at once, so one refused
// scope (another team's identity, the node pool's subnet in another resource group) blocks every assignment there.
import { sh } from "../../aks/names.js";
import type { Finding } from "../../types.js";
import { valueOf as factOf } from "../../types.js";
import {
  type ArmDenial,
  readDenials,
  resourceGroupOf,
  roleFor,
  scopeKind,
  SUBNET_JOIN_ACTION,
} from "../arm-denials.js";
import { clip, derive, micLogsCommand } from "../derive.js";
import { podIdCheck, ranOrUnread } from "../define.js";
import { actionAllowed, ASSIGN_ACTION, VMSS_WRITE_ACTION } from "../roles.js";
import { clusterPrincipal, errorLines, identitiesInScope } from "./shared.js";
import type { PodIdFacts } from "../facts.js";

/** Refusals another check already reports from the role assignments themselves. */
function coveredElsewhere(f: PodIdFacts, d: ArmDenial, rolesReadable: boolean): boolean {
  if (!d.scope || !d.action) return false;
  const action = d.action.toLowerCase();
  // podid.linked-authorization-failed: the bound identities, from the roles or (unreadable) from this same log.
  if (action === ASSIGN_ACTION.toLowerCase())
    return identitiesInScope(f).some((i) => i.resourceID.toLowerCase() === d.scope!.toLowerCase());
  if (!rolesReadable) return false;
  const nodeRg = factOf(f.cluster)?.nodeResourceGroup;
  return (
    action === VMSS_WRITE_ACTION.toLowerCase() &&
    !!nodeRg &&
    resourceGroupOf(d.scope).toLowerCase() === nodeRg.toLowerCase()
  );
}

function fixFor(d: ArmDenial, assignee: string): { summary: string; commands: string[] } {
  if (d.linkedSubscription) {
    return {
      summary: `ARM checked access to subscription ${d.linkedSubscription}, which the cluster's tenant cannot reach: MIC before 1.6 rewrote the whole scale set (CreateOrUpdate), which drags in the node image's gallery. MIC 1.6 and later patch only the identities; upgrade MIC.`,
      commands: ["helm upgrade aad-pod-identity aad-pod-identity/aad-pod-identity -n kube-system --reuse-values"],
    };
  }
  const role = roleFor(d.action);
  const kind = scopeKind(d.scope!);
  const roleArg = role ? sh(role) : "<a role that grants the action>";
  const subnetNote =
    d.action === SUBNET_JOIN_ACTION
      ? " (MIC before 1.6 sends the whole scale set model, subnet included; 1.6 and later patch only the identities, so upgrading MIC also ends this)"
      : "";
  return {
    summary: `Grant ${role ?? `a role that grants ${d.action}`} on the ${kind} ${d.scope} to the identity MIC runs as${subnetNote}; MIC retries on its next cycle.`,
    commands: [`az role assignment create --role ${roleArg} ${assignee} --scope ${sh(d.scope!)}`],
  };
}

export const micAuthorizationFailed = podIdCheck({
  id: "podid.mic-authorization-failed",
  doc: {
    meaning:
      "MIC's log holds an ARM `AuthorizationFailed` (`… to perform action '<action>' over scope '<scope>'`) or `LinkedAuthorizationFailed` (`… on the linked scope(s) '<scope>'`) that the current role assignments do not settle: another identity on the same scale set (MIC patches all of a scale set's identities at once, so one refused identity blocks all), the node pool's subnet in another resource group (MIC before 1.6 rewrote the whole scale set), a scale set outside the cluster's node resource group, or a linked subscription of another tenant. The fix names that exact scope and the role: Managed Identity Operator, Virtual Machine Contributor, Network Contributor (or upgrade MIC to 1.6+). Refusals on the bound identities and on the node resource group are left to the two checks above.",
    symptom: "MIC: `LinkedAuthorizationFailed` / `AuthorizationFailed`",
  },
  severity: "error",
  confirms: ["mic_linked_authorization"],
  essential(f) {
    return ranOrUnread(this, f, [f.mic]);
  },
  title: "MIC's scale-set updates are not refused by ARM (AuthorizationFailed / LinkedAuthorizationFailed in its log)",
  skippedBecause(f) {
    if (f.mic.status !== "ok") return `MIC pods could not be read: ${f.mic.reason}`;
    if (derive(f).mode === "managed") return "managed mode: no MIC runs, nothing updates the scale sets";
    if (!derive(f).relies) return "nothing in the target relies on aad-pod-identity";
    return undefined;
  },
  run(f) {
    const roles = factOf(f.clusterIdentityRoles);
    const principal = clusterPrincipal(f);
    const rolesReadable = !!roles && !!principal;
    const findings: Finding[] = [];
    for (const d of readDenials(errorLines(f, "mic"))) {
      if (coveredElsewhere(f, d, rolesReadable)) continue;
      // Logged before a role was granted: the current assignments decide when they can be read.
      const samePrincipal = !d.objectId || d.objectId.toLowerCase() === principal?.objectId.toLowerCase();
      if (rolesReadable && samePrincipal && d.action && d.scope && actionAllowed(roles!, d.action, d.scope)) continue;
      const objectId = d.objectId ?? principal?.objectId;
      const assignee = objectId
        ? `--assignee-object-id ${sh(objectId)} --assignee-principal-type ServicePrincipal`
        : `--assignee "<cluster identity client id>"`;
      const bound = identitiesInScope(f).some((i) => i.resourceID.toLowerCase() === d.scope?.toLowerCase());
      const kind = d.scope ? scopeKind(d.scope) : "subscription";
      const what = d.linkedSubscription
        ? `linked subscription ${d.linkedSubscription}`
        : `${d.action} on the ${kind} ${d.scope}`;
      findings.push({
        id: this.id,
        severity: "error",
        title:
          d.code === "LinkedAuthorizationFailed" && kind === "user-assigned identity" && !bound
            ? `MIC's scale-set update is refused for another identity (${d.scope!.split("/").pop()}), which blocks every assignment on that scale set: LinkedAuthorizationFailed`
            : `ARM refuses MIC ${what}: ${d.code}`,
        evidence: {
          code: d.code,
          ...(d.action ? { action: d.action } : {}),
          ...(d.scope ? { scope: d.scope, scopeKind: kind } : {}),
          ...(d.writing ? { writing: d.writing } : {}),
          ...(d.linkedSubscription ? { linkedSubscription: d.linkedSubscription } : {}),
          ...(roleFor(d.action) ? { role: roleFor(d.action) } : {}),
          principal: { clientId: d.clientId ?? principal?.clientId, objectId: objectId ?? null },
          ...(rolesReadable ? { rolesOfClusterIdentity: roles!.map((r) => `${r.roleName} @ ${r.scope}`) } : {}),
          micErrorLines: clip([d.line], 1, 800),
        },
        fix: { ...fixFor(d, assignee), commands: [...fixFor(d, assignee).commands, micLogsCommand(f)] },
      });
    }
    return findings;
  },
});
