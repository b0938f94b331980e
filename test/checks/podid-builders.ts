// Typed aad-pod-identity fact builders: a standard-mode world (MIC and NMI running, one binding, one
// user-assigned identity assigned to the pod's node) that works end to end, written in code.
import type { V1Pod } from "@kubernetes/client-node";
import type { PodIdFacts, RawObject } from "../../src/diagnosis/podid/facts.js";
import { ok } from "../../src/diagnosis/types.js";
import { CLIENT_ID, NS, PRINCIPAL_ID, SUBSCRIPTION, TENANT_ID } from "./builders.js";

export const PODID_SELECTOR = "payments-api";
export const PODID_IDENTITY = "payments-identity";
export const PODID_BINDING = "payments-identity-binding";
export const NODE = "aks-nodepool1-12345678-vmss000000";
export const VMSS = "aks-nodepool1-12345678-vmss";
export const NODE_RG = "MC_rg-payments_payments-aks_eastus";
export const IDENTITY_RESOURCE_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments/providers/Microsoft.ManagedIdentity/userAssignedIdentities/payments-mi`;
export const KUBELET_OBJECT_ID = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d";
const KUBELET_CLIENT_ID = "6b5c4d3e-2f1a-4b0c-9d8e-7f6a5b4c3d2e";

const ready = { phase: "Running", conditions: [{ type: "Ready", status: "True" }] };

function componentPod(name: string, nodeName: string, args: string[] = []): V1Pod {
  return {
    metadata: { name, namespace: "kube-system" },
    spec: { nodeName, containers: [{ name: name.split("-")[0], args }] },
    status: ready,
  };
}

/** The application pod: labelled for the binding, scheduled on NODE. */
export function podIdPod(name = "payments-api-6c9d8f7b5-q2w3e"): V1Pod {
  return {
    metadata: { name, namespace: NS, labels: { app: "payments-api", aadpodidbinding: PODID_SELECTOR } },
    spec: { nodeName: NODE, containers: [{ name: "app", image: "payments:1.0" }] },
    status: { ...ready, hostIP: "10.240.0.4" },
  };
}

export function azureIdentity(spec: Record<string, unknown> = {}): RawObject {
  return {
    apiVersion: "aadpodidentity.k8s.io/v1",
    kind: "AzureIdentity",
    metadata: { name: PODID_IDENTITY, namespace: NS },
    spec: { type: 0, resourceID: IDENTITY_RESOURCE_ID, clientID: CLIENT_ID, ...spec },
  };
}

export function binding(spec: Record<string, unknown> = {}): RawObject {
  return {
    apiVersion: "aadpodidentity.k8s.io/v1",
    kind: "AzureIdentityBinding",
    metadata: { name: PODID_BINDING, namespace: NS },
    spec: { azureIdentity: PODID_IDENTITY, selector: PODID_SELECTOR, ...spec },
  };
}

export function assigned(pod = podIdPod(), extra: Partial<NonNullable<RawObject["metadata"]>> = {}): RawObject {
  return {
    apiVersion: "aadpodidentity.k8s.io/v1",
    kind: "AzureAssignedIdentity",
    metadata: { name: `${pod.metadata?.name}-${NS}-${PODID_IDENTITY}`, namespace: NS, ...extra },
    spec: {
      pod: pod.metadata?.name,
      podNamespace: NS,
      nodename: NODE,
      azureIdentityRef: azureIdentity(),
      azureBindingRef: binding(),
    },
    status: { status: "Assigned" },
  };
}

/** aad-pod-identity in standard mode, working end to end for Deployment/payments-api. */
export function healthyPodId(): PodIdFacts {
  const pod = podIdPod();
  return {
    target: { namespace: NS, workload: "Deployment/payments-api" },
    pods: ok([pod]),
    workload: ok({
      kind: "Deployment",
      name: "payments-api",
      labels: { app: "payments-api" },
      podTemplate: { metadata: { labels: pod.metadata!.labels }, spec: { containers: [{ name: "app" }] } },
    }),
    identities: ok([azureIdentity()]),
    bindings: ok([binding()]),
    assignedIdentities: ok([assigned(pod)]),
    mic: ok({ pods: [componentPod("mic-7f9c8d6b5-abcde", NODE)], errorLines: [], logProblems: [] }),
    nmi: ok({
      pods: [componentPod("nmi-x7k2p", NODE, ["--operation-mode=standard"])],
      errorLines: [],
      logProblems: [],
    }),
    networkPolicies: ok([]),
    secretProviderClasses: ok([]),
    cluster: ok({
      id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments/providers/Microsoft.ContainerService/managedClusters/payments-aks`,
      subscriptionId: SUBSCRIPTION,
      resourceGroup: "rg-payments",
      name: "payments-aks",
      location: "eastus",
      networkPlugin: "azure",
      oidcIssuerEnabled: false,
      workloadIdentityEnabled: false,
      nodeResourceGroup: NODE_RG,
      agentPoolSubnetIds: [],
      kubeletIdentity: { clientId: KUBELET_CLIENT_ID, objectId: KUBELET_OBJECT_ID },
    }),
    armIdentities: ok({
      [IDENTITY_RESOURCE_ID.toLowerCase()]: {
        kind: "managedIdentity",
        name: "payments-mi",
        resourceGroup: "rg-payments",
        subscriptionId: SUBSCRIPTION,
        resourceId: IDENTITY_RESOURCE_ID,
        clientId: CLIENT_ID,
        principalId: PRINCIPAL_ID,
        tenantId: TENANT_ID,
      },
    }),
    vmss: ok([{ name: VMSS, resourceGroup: NODE_RG, userAssignedIdentities: [IDENTITY_RESOURCE_ID] }]),
    clusterIdentityRoles: ok([
      {
        scope: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments`,
        roleName: "Managed Identity Operator",
        actions: ["Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action"],
        dataActions: [],
      },
      {
        scope: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${NODE_RG}`,
        roleName: "Virtual Machine Contributor",
        actions: ["Microsoft.Compute/virtualMachineScaleSets/*"],
        dataActions: [],
      },
    ]),
  };
}
