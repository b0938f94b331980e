// The table of every aad-pod-identity check, from facts written in code: the healthy standard-mode world passes,
// one edit to it raises exactly the check's finding with the evidence that names the broken link.
import type { V1NetworkPolicy, V1Pod } from "@kubernetes/client-node";
import type { PodIdFacts, RawObject } from "../../../src/diagnosis/podid/facts.js";
import type { PodIdCheckId } from "../../../src/diagnosis/podid/registry.js";
import { CLIENT_ID, edit, ok } from "../builders.js";
import {
  assigned,
  azureIdentity,
  binding,
  healthyPodId,
  IDENTITY_RESOURCE_ID,
  NODE_RG,
  PODID_SELECTOR,
  VMSS,
} from "../podid-builders.js";
import type { Table } from "../rule-tester.js";

const healthy = healthyPodId();
const valid = [{ name: "a working standard-mode setup", facts: healthy }];
const OTHER_GUID = "11111111-2222-4333-8444-555555555555";
const notReady = { phase: "Pending", conditions: [{ type: "Ready", status: "False" }] };

const pods = (f: PodIdFacts): V1Pod[] => (f.pods.status === "ok" ? f.pods.value : []);
const setLabels = (f: PodIdFacts, labels: Record<string, string>) => {
  for (const p of pods(f)) p.metadata!.labels = labels;
  if (f.workload?.status === "ok" && f.workload.value) f.workload.value.podTemplate.metadata!.labels = labels;
};
const component = (f: PodIdFacts, which: "mic" | "nmi") => {
  const g = f[which];
  if (g.status !== "ok") throw new Error(`${which} not read`);
  return g.value;
};
const withoutRole = (roleName: string) => (f: PodIdFacts) => {
  if (f.clusterIdentityRoles.status === "ok")
    f.clusterIdentityRoles.value = f.clusterIdentityRoles.value.filter((r) => r.roleName !== roleName);
};
const denyAllEgress: V1NetworkPolicy = {
  metadata: { name: "deny-all-egress", namespace: "payments" },
  spec: { podSelector: {}, policyTypes: ["Egress"], egress: [] },
};

// The tables of the checks for namespaced matching, service principals, kubenet and MIC's ARM refusals: tables-mic.ts.
export const podIdTables: Record<
  Exclude<
    PodIdCheckId,
    | "podid.namespaced-binding-ignored"
    | "podid.service-principal-secret"
    | "podid.kubenet-not-allowed"
    | "podid.mic-authorization-failed"
  >,
  Table<PodIdFacts>
> = {
  "podid.mic-unhealthy": {
    valid,
    invalid: [
      {
        name: "the MIC pod is not ready",
        facts: edit(healthy, (f) => (component(f, "mic").pods[0].status = notReady)),
        findings: [{ severity: "error" }],
      },
      {
        name: "no MIC pod and no MIC Deployment",
        facts: edit(healthy, (f) => (component(f, "mic").pods = [])),
        findings: [{ severity: "error" }],
      },
    ],
    skipped: [
      {
        name: "managed mode runs no MIC",
        facts: edit(
          healthy,
          (f) => (component(f, "nmi").pods[0].spec!.containers[0].args = ["--operation-mode=managed"]),
        ),
        reason: /managed/,
      },
    ],
  },
  "podid.nmi-unhealthy": {
    valid,
    invalid: [
      {
        name: "no NMI pod runs",
        facts: edit(healthy, (f) => (component(f, "nmi").pods = [])),
        findings: [{ severity: "error" }],
      },
      {
        name: "the NMI pod on the pod's node is not ready",
        facts: edit(healthy, (f) => (component(f, "nmi").pods[0].status = notReady)),
        findings: [{ severity: "error" }],
      },
    ],
  },
  "podid.label-missing": {
    valid,
    invalid: [
      {
        name: "the label key is misspelt",
        facts: edit(healthy, (f) => setLabels(f, { app: "payments-api", aadpodidbindng: PODID_SELECTOR })),
        findings: [{ severity: "error" }],
      },
      {
        name: "the running pod lacks the label its template now has",
        facts: edit(healthy, (f) => (pods(f)[0].metadata!.labels = { app: "payments-api" })),
        findings: [{ severity: "error" }],
      },
    ],
  },
  "podid.binding-selector-mismatch": {
    valid,
    invalid: [
      {
        name: "the binding selects another label value",
        facts: edit(healthy, (f) => (f.bindings = ok([binding({ selector: "payments" })]))),
        findings: [{ severity: "error" }],
      },
    ],
    skipped: [
      {
        name: "the pod carries no aadpodidbinding label",
        facts: edit(healthy, (f) => {
          setLabels(f, { app: "payments-api" });
          f.secretProviderClasses = ok([]);
        }),
        reason: /aad-pod-identity|aadpodidbinding/,
      },
    ],
  },
  "podid.binding-identity-not-found": {
    valid,
    invalid: [
      {
        name: "the binding names an AzureIdentity that does not exist",
        facts: edit(healthy, (f) => (f.bindings = ok([binding({ azureIdentity: "payments-identty" })]))),
        findings: [{ severity: "error" }],
      },
    ],
  },
  "podid.identity-resource-id-invalid": {
    valid,
    invalid: [
      {
        name: "resourceID holds a client id",
        facts: edit(healthy, (f) => (f.identities = ok([azureIdentity({ resourceID: CLIENT_ID })]))),
        findings: [{ evidence: { resourceID: CLIENT_ID } }],
      },
      {
        name: "spec.type is a string",
        facts: edit(healthy, (f) => (f.identities = ok([azureIdentity({ type: "0" })]))),
        findings: [{ evidence: { type: "0" } }],
      },
      {
        name: "ARM has no such identity",
        facts: edit(healthy, (f) => (f.armIdentities = ok({ [IDENTITY_RESOURCE_ID.toLowerCase()]: null }))),
        findings: [{ evidence: { arm: "ResourceNotFound" } }],
      },
    ],
  },
  "podid.linked-authorization-failed": {
    valid,
    invalid: [
      {
        name: "the kubelet identity lacks Managed Identity Operator",
        facts: edit(healthy, withoutRole("Managed Identity Operator")),
        findings: [{ evidence: { identity: IDENTITY_RESOURCE_ID } }],
      },
    ],
  },
  "podid.node-rg-role-missing": {
    valid,
    invalid: [
      {
        name: "the kubelet identity lacks Virtual Machine Contributor on the node resource group",
        facts: edit(healthy, withoutRole("Virtual Machine Contributor")),
        findings: [{ severity: "error" }],
      },
    ],
    skipped: [
      {
        name: "the role assignments could not be read",
        facts: edit(healthy, (f) => (f.clusterIdentityRoles = { status: "error", reason: "AuthorizationFailed" })),
        reason: /AuthorizationFailed/,
      },
    ],
  },
  "podid.client-id-mismatch": {
    valid,
    invalid: [
      {
        name: "the AzureIdentity's clientID is not ARM's",
        facts: edit(healthy, (f) => (f.identities = ok([azureIdentity({ clientID: OTHER_GUID })]))),
        findings: [{ severity: "error" }],
      },
    ],
  },
  "podid.identity-not-on-vmss": {
    valid,
    invalid: [
      {
        name: "the node's scale set does not carry the identity",
        facts: edit(
          healthy,
          (f) => (f.vmss = ok([{ name: VMSS, resourceGroup: NODE_RG, userAssignedIdentities: [] }])),
        ),
        findings: [{ severity: "error" }],
      },
    ],
  },
  "podid.assigned-identity-missing": {
    valid,
    invalid: [
      {
        name: "MIC created no AzureAssignedIdentity for the pod",
        facts: edit(healthy, (f) => (f.assignedIdentities = ok([]))),
        findings: [{ severity: "error" }],
      },
      {
        name: "the assignment is still in the Created state",
        facts: edit(healthy, (f) => {
          const a: RawObject = assigned(pods(f)[0]);
          a.status = { status: "Created" };
          f.assignedIdentities = ok([a]);
        }),
        findings: [{ severity: "error" }],
      },
    ],
  },
  "podid.egress-blocked": {
    valid,
    invalid: [
      {
        name: "a NetworkPolicy denies all egress from the pod",
        facts: edit(healthy, (f) => (f.networkPolicies = ok([denyAllEgress]))),
        findings: [{ severity: "error" }],
      },
    ],
  },
  "podid.finalizer-stuck": {
    valid: [
      ...valid,
      {
        name: "a finalizer while MIC runs to remove it",
        facts: edit(healthy, (f) => {
          f.assignedIdentities = ok([
            assigned(pods(f)[0], { finalizers: ["azureassignedidentity.finalizers.aadpodidentity.k8s.io"] }),
          ]);
        }),
      },
    ],
    invalid: [
      {
        name: "a finalizer and no MIC left to remove it",
        facts: edit(healthy, (f) => {
          component(f, "mic").pods = [];
          f.assignedIdentities = ok([
            assigned(pods(f)[0], {
              finalizers: ["azureassignedidentity.finalizers.aadpodidentity.k8s.io"],
              deletionTimestamp: "2026-01-03T00:00:00Z",
            }),
          ]);
        }),
        findings: [{}],
      },
    ],
  },
  "podid.iptables-rule": {
    // NMI's rule lives in the node's iptables, which the Kubernetes API does not show: never judged, always skipped.
    valid: [],
    invalid: [],
    skipped: [
      { name: "any world", facts: healthy, reason: /iptables .*-t nat|cannot be read through the Kubernetes API/ },
    ],
  },
};
