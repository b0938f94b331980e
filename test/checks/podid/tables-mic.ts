// aad-pod-identity checks from facts written in code: the healthy world passes, and one change to it raises
// the check's finding with the evidence that names the broken link (or leaves a near miss alone).
import type { PodIdFacts } from "../../../src/diagnosis/podid/facts.js";
import type { PodIdCheckId } from "../../../src/diagnosis/podid/registry.js";
import { failed, ok } from "../../../src/diagnosis/types.js";
import type { Table } from "../rule-tester.js";
import {
  azureIdentity,
  binding,
  edit,
  healthyPodId,
  IDENTITY_ID,
  KUBELET,
  micPod,
  NODE_RG,
  nmiPod,
  SUB,
  TENANT,
  v,
  VMSS,
} from "./builders.js";

export const healthy = healthyPodId();
export const valid = [{ name: "the identity is bound, assigned and attached", facts: healthy }];
export const elsewhere = (f: PodIdFacts, annotations?: Record<string, string>) => {
  f.identities = ok([azureIdentity("identities", {}, annotations)]);
  f.bindings = ok([binding("identities")]);
};
export const withMicLines = (f: PodIdFacts, lines: string[]) => {
  v(f.mic).errorLines = [{ pod: "mic-6b9d7c5f4-p2v7n", namespace: "kube-system", lines }];
};
export const servicePrincipal = (type: 1 | 2, keys?: string[] | null, spec: Record<string, unknown> = {}) =>
  edit(healthy, (f) => {
    f.identities = ok([
      azureIdentity("orders", {
        type,
        resourceID: undefined,
        clientID: "6e1d3b5f-7a9c-4e2b-8d0f-1a3c5e7b9d2f",
        tenantID: TENANT,
        clientPassword: { name: "orders-sp", namespace: "orders" },
        ...spec,
      }),
    ]);
    f.identitySecrets = ok(keys === null ? { "orders/orders-sp": null } : { "orders/orders-sp": { keys } });
  });

export const SUBNET = `/subscriptions/${SUB}/resourceGroups/rg-shop-net/providers/Microsoft.Network/virtualNetworks/vnet-shop/subnets/aks`;
export const linked = (action: string, scope: string) =>
  `E0612 08:00:41.556677       1 mic.go:1105] failed to update user-assigned identities on node ${VMSS}, error: Code="LinkedAuthorizationFailed" Message="The client '${KUBELET.clientId}' with object id '${KUBELET.objectId}' has permission to perform action 'Microsoft.Compute/virtualMachineScaleSets/write' on scope '/subscriptions/${SUB}/resourceGroups/${NODE_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/${VMSS}'; however, it does not have permission to perform action '${action}' on the linked scope(s) '${scope}' or the linked scope(s) are invalid."`;
export const denied = (action: string, scope: string) =>
  `E0208 20:26:07.393900       1 mic.go:1094] failed to update user-assigned identities on node ${VMSS}, error: compute.VirtualMachineScaleSetsClient#Update: Failure sending request: StatusCode=403 -- Original Error: Code="AuthorizationFailed" Message="The client '${KUBELET.clientId}' with object id '${KUBELET.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials."`;
export const OTHER_MI = `/subscriptions/${SUB}/resourcegroups/rg-billing-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/billing-mi`;

/** The tables of the checks for namespaced matching, service principals, kubenet and MIC's ARM refusals. */
export const podIdMicTables: Record<
  Extract<
    PodIdCheckId,
    | "podid.namespaced-binding-ignored"
    | "podid.service-principal-secret"
    | "podid.kubenet-not-allowed"
    | "podid.mic-authorization-failed"
  >,
  Table<PodIdFacts>
> = {
  "podid.namespaced-binding-ignored": {
    valid: [
      ...valid,
      { name: "binding and identity elsewhere, nothing namespaced", facts: edit(healthy, (f) => elsewhere(f)) },
      {
        name: "annotated identity in the pod's own namespace",
        facts: edit(healthy, (f) => {
          f.identities = ok([azureIdentity("orders", {}, { "aadpodidentity.k8s.io/Behavior": "namespaced" })]);
        }),
      },
    ],
    invalid: [
      {
        name: "the identity carries the Behavior annotation",
        facts: edit(healthy, (f) => elsewhere(f, { "aadpodidentity.k8s.io/Behavior": "namespaced" })),
        findings: [
          {
            evidence: {
              namespacedBy: "annotation",
              binding: "identities/orders-identity-binding",
              podNamespace: "orders",
            },
            title: /Behavior: namespaced/,
          },
        ],
      },
      {
        name: "--forceNamespaced on NMI only (MIC and NMI disagree)",
        facts: edit(healthy, (f) => {
          elsewhere(f);
          v(f.nmi).pods = [nmiPod(["--forceNamespaced"])];
        }),
        findings: [{ evidence: { namespacedBy: "forceNamespaced", forceNamespaced: { mic: false, nmi: true } } }],
      },
      {
        name: "FORCENAMESPACED=true in MIC's environment",
        facts: edit(healthy, (f) => {
          elsewhere(f);
          const mic = micPod();
          mic.spec!.containers[0].env = [{ name: "FORCENAMESPACED", value: "true" }];
          v(f.mic).pods = [mic];
        }),
        findings: [{ evidence: { forceNamespaced: { mic: true, nmi: false } } }],
      },
    ],
    skipped: [
      {
        name: "no label on the pod",
        facts: edit(healthy, (f) => {
          delete v(f.workload!)!.podTemplate.metadata!.labels!.aadpodidbinding;
          delete v(f.pods)[0].metadata!.labels!.aadpodidbinding;
        }),
        reason: /does not use aad-pod-identity|no aadpodidbinding label/,
      },
    ],
  },

  "podid.service-principal-secret": {
    valid: [
      { name: "type 1, one key", facts: servicePrincipal(1, ["clientSecret"]) },
      { name: "type 2, both keys", facts: servicePrincipal(2, ["certificate", "password"]) },
      { name: "data not shown by the server", facts: servicePrincipal(1, undefined) },
    ],
    invalid: [
      { name: "the Secret does not exist", facts: servicePrincipal(1, null), findings: [{ title: /does not exist/ }] },
      {
        name: "type 2 without a password key",
        facts: servicePrincipal(2, ["certificate"]),
        findings: [{ evidence: { secretKeys: ["certificate"] }, title: /lacks password/ }],
      },
      {
        name: "type 1 with two keys",
        facts: servicePrincipal(1, ["clientSecret", "old"]),
        findings: [{ severity: "warning", title: /2 keys/ }],
      },
      {
        name: "no tenant",
        facts: servicePrincipal(1, ["clientSecret"], { tenantID: undefined }),
        findings: [{ evidence: { tenantID: "" }, title: /tenantID is empty/ }],
      },
      {
        name: "no clientPassword",
        facts: servicePrincipal(1, ["clientSecret"], { clientPassword: undefined }),
        findings: [{ evidence: { clientPassword: null } }],
      },
    ],
    skipped: [{ name: "a user-assigned identity", facts: healthy, reason: /no service-principal/ }],
  },
  "podid.kubenet-not-allowed": {
    valid: [
      ...valid,
      {
        name: "kubenet with the flag",
        facts: edit(healthy, (f) => {
          v(f.cluster)!.networkPlugin = "kubenet";
          v(f.nmi).pods = [nmiPod(["--allow-network-plugin-kubenet=true"])];
        }),
      },
    ],
    invalid: [
      {
        name: "kubenet in ARM, no flag",
        facts: edit(healthy, (f) => {
          v(f.cluster)!.networkPlugin = "kubenet";
        }),
        findings: [{ evidence: { networkPlugin: "kubenet", "--allow-network-plugin-kubenet": "not set" } }],
      },
      {
        name: "ARM unreadable, NMI's fatal line settles it",
        facts: edit(healthy, (f) => {
          f.cluster = failed("no Azure credential");
          v(f.nmi).errorLines = [
            {
              pod: "nmi-x7k2p",
              namespace: "kube-system",
              lines: [
                "F0612 09:14:02.102334       1 main.go:86] AAD Pod Identity is not supported for Kubenet. Review …",
              ],
            },
          ];
        }),
        findings: [{ evidence: { networkPlugin: "kubenet (NMI's log)" } }],
      },
    ],
    skipped: [
      {
        name: "plugin unknown and nothing logged",
        facts: edit(healthy, (f) => {
          f.cluster = failed("no Azure credential");
        }),
        reason: /network plugin is unknown/,
      },
    ],
  },

  "podid.mic-authorization-failed": {
    valid: [
      ...valid,
      {
        name: "refused on the bound identity (podid.linked-authorization-failed's)",
        facts: edit(healthy, (f) =>
          withMicLines(f, [linked("Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", IDENTITY_ID)]),
        ),
      },
      {
        name: "a stale subnet refusal: the role was granted since",
        facts: edit(healthy, (f) => {
          withMicLines(f, [linked("Microsoft.Network/virtualNetworks/subnets/join/action", SUBNET)]);
          v(f.clusterIdentityRoles).push({
            scope: SUBNET,
            roleName: "Network Contributor",
            actions: ["Microsoft.Network/*"],
            dataActions: [],
          });
        }),
      },
    ],
    invalid: [
      {
        name: "another team's identity blocks the scale set",
        facts: edit(healthy, (f) =>
          withMicLines(f, [linked("Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", OTHER_MI)]),
        ),
        findings: [
          {
            evidence: { scope: OTHER_MI, role: "Managed Identity Operator" },
            title: /another identity \(billing-mi\)/,
          },
        ],
      },
      {
        name: "the subnet in another resource group, roles unreadable",
        facts: edit(healthy, (f) => {
          f.clusterIdentityRoles = failed("no rights to list role assignments");
          withMicLines(f, [linked("Microsoft.Network/virtualNetworks/subnets/join/action", SUBNET)]);
        }),
        findings: [{ evidence: { scope: SUBNET, scopeKind: "subnet", role: "Network Contributor" } }],
      },
      {
        name: "AuthorizationFailed on a scale set in a resource group the cluster does not name",
        facts: edit(healthy, (f) => {
          const scope = `/subscriptions/${SUB}/resourceGroups/apiaks-devnodes/providers/Microsoft.Compute/virtualMachineScaleSets/${VMSS}`;
          withMicLines(f, [denied("Microsoft.Compute/virtualMachineScaleSets/write", scope)]);
        }),
        findings: [
          { evidence: { code: "AuthorizationFailed", role: "Virtual Machine Contributor", scopeKind: "VM scale set" } },
        ],
      },
    ],
    skipped: [
      {
        name: "managed mode",
        facts: edit(healthy, (f) => {
          v(f.nmi).pods = [nmiPod(["--operation-mode=managed"])];
        }),
        reason: /managed mode/,
      },
    ],
  },
};
