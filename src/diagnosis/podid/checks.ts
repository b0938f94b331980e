// aad-pod-identity checks, one file per check or small group under ./checks/: the objects MIC and NMI read, the
// components themselves, the node pool in ARM, and the network path from the pod to IMDS. Their order is the
// registry's (./registry.ts).
export { ASSIGN_ACTION, VMSS_WRITE_ACTION } from "./roles.js";
export { assignedIdentityMissing, finalizerStuck } from "./checks/assignment.js";
export { micAuthorizationFailed } from "./checks/authorization.js";
export { kubenetNotAllowed } from "./checks/kubenet.js";
export { namespacedBindingIgnored } from "./checks/namespaced.js";
export { servicePrincipalSecret } from "./checks/service-principal.js";
export { bindingIdentityNotFound, bindingSelectorMismatch } from "./checks/bindings.js";
export { micUnhealthy, nmiUnhealthy } from "./checks/controllers.js";
export { clientIdMismatch, identityResourceIdInvalid } from "./checks/identity.js";
export { labelMissing } from "./checks/label.js";
export { egressBlocked, iptablesCommand, iptablesRule } from "./checks/network.js";
export { identityNotOnVmss, linkedAuthorizationFailed, nodeResourceGroupRoleMissing } from "./checks/node-pool.js";
export { PODID_ROOT_CAUSE_ORDER } from "./index.js";
export { podIdRegistry as podIdChecks } from "./registry.js";
