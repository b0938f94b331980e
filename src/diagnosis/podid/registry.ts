// The aad-pod-identity registry: every check, in root-cause order (a broken controller or object explains
// everything after it). This one list orders the report's checks and ranks its findings; the ids derive from it.
import type { CheckIdOf } from "../registry.js";
import { assignedIdentityMissing, finalizerStuck } from "./checks/assignment.js";
import { micAuthorizationFailed } from "./checks/authorization.js";
import { bindingIdentityNotFound, bindingSelectorMismatch } from "./checks/bindings.js";
import { micUnhealthy, nmiUnhealthy } from "./checks/controllers.js";
import { clientIdMismatch, identityResourceIdInvalid } from "./checks/identity.js";
import { kubenetNotAllowed } from "./checks/kubenet.js";
import { labelMissing } from "./checks/label.js";
import { namespacedBindingIgnored } from "./checks/namespaced.js";
import { egressBlocked, iptablesRule } from "./checks/network.js";
import { identityNotOnVmss, linkedAuthorizationFailed, nodeResourceGroupRoleMissing } from "./checks/node-pool.js";
import { servicePrincipalSecret } from "./checks/service-principal.js";
export const podIdRegistry = [
  micUnhealthy,
  kubenetNotAllowed,
  nmiUnhealthy,
  labelMissing,
  bindingSelectorMismatch,
  namespacedBindingIgnored,
  bindingIdentityNotFound,
  identityResourceIdInvalid,
  servicePrincipalSecret,
  linkedAuthorizationFailed,
  nodeResourceGroupRoleMissing,
  micAuthorizationFailed,
  clientIdMismatch,
  identityNotOnVmss,
  assignedIdentityMissing,
  egressBlocked,
  finalizerStuck,
  // NMI's iptables rule cannot be read through the API: always skipped, never essential.
  iptablesRule,
] as const;

/** Every aad-pod-identity check id: a typo in a step tool's list or in a map of ids fails to compile. */
export type PodIdCheckId = CheckIdOf<typeof podIdRegistry>;
