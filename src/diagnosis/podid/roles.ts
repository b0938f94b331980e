// Whether a set of role assignments grants an action at a resource: scope inheritance and wildcards, as ARM evaluates them.
import { wildcardMatches } from "../wildcard.js";
import type { RoleAssignmentFacts } from "../aks/facts.js";

/** What MIC needs on each user-assigned identity it attaches (Managed Identity Operator grants it). */
export const ASSIGN_ACTION = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action";
/** What MIC needs on the node pool's scale sets (Virtual Machine Contributor grants it). */
export const VMSS_WRITE_ACTION = "Microsoft.Compute/virtualMachineScaleSets/write";

// ARM action wildcards: a star matches any run of characters, and a whole star segment between slashes may also
// match nothing. That is how Managed Identity Operator's "userAssignedIdentities/<star>/assign/action" grants
// "userAssignedIdentities/assign/action".
export function wildcard(pattern: string, action: string): boolean {
  const p = pattern.toLowerCase();
  const a = action.toLowerCase();
  return wildcardMatches(p, a, { slashStarSlashOptional: true });
}

/** A scope covers a resource when it is the resource or one of its ancestors. */
export function scopeCovers(scope: string, resourceId: string): boolean {
  const s = scope.toLowerCase().replace(/\/+$/, "");
  const r = resourceId.toLowerCase();
  return s === "" || s === "/" || r === s || r.startsWith(`${s}/`);
}

export function actionAllowed(roles: RoleAssignmentFacts[], action: string, resourceId: string): boolean {
  return roles.some(
    (r) =>
      scopeCovers(r.scope, resourceId) &&
      r.actions.some((p) => wildcard(p, action)) &&
      !(r.notActions ?? []).some((p) => wildcard(p, action)),
  );
}
