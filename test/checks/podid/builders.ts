// aad-pod-identity facts written in code: a standard-mode world where MIC has attached the identity and NMI hands it
// out, and helpers that change one thing in it. Nothing is read from a cluster, a cloud or a scenario file.
import type { V1Pod } from "@kubernetes/client-node";
import type { PodIdFacts, RawObject } from "../../../src/diagnosis/podid/facts.js";
import { ok } from "../../../src/diagnosis/types.js";

export { edit } from "../builders.js";

export const NS = "orders";
export const SUB = "9c4e2a7b-1d3f-4e5a-8b6c-0d2e4f6a8b0c";
export const TENANT = "5b1d7e2c-8f3a-4c6d-9e0b-2a4c6e8f0a1b";
export const NODE_RG = "MC_rg-shop_shop-aks_westeurope";
export const VMSS = "aks-nodepool1-31415926-vmss";
export const NODE = `${VMSS}000000`;
export const IDENTITY_ID = `/subscriptions/${SUB}/resourcegroups/rg-shop-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders-mi`;
export const CLIENT_ID = "0f6a2c8e-4b1d-4e7a-9c3f-5d8b0e2a4c6f";
export const KUBELET = {
  clientId: "7d9f1b3c-5e6a-4c8e-a0b2-4e6c8a0d2f3b",
  objectId: "2e4a6c8f-0b1d-4a3c-9e5f-7b9d1f3a5c8e",
};
export const LABEL = "orders-api";

export function azureIdentity(
  namespace = NS,
  spec: Record<string, unknown> = {},
  annotations?: Record<string, string>,
) {
  return {
    apiVersion: "aadpodidentity.k8s.io/v1",
    kind: "AzureIdentity",
    metadata: { name: "orders-identity", namespace, ...(annotations ? { annotations } : {}) },
    spec: { type: 0, resourceID: IDENTITY_ID, clientID: CLIENT_ID, ...spec },
  } satisfies RawObject;
}

export function binding(namespace = NS): RawObject {
  return {
    apiVersion: "aadpodidentity.k8s.io/v1",
    kind: "AzureIdentityBinding",
    metadata: { name: "orders-identity-binding", namespace },
    spec: { azureIdentity: "orders-identity", selector: LABEL },
  };
}

function component(name: string, node: string, args: string[]): V1Pod {
  return {
    metadata: { name, namespace: "kube-system", labels: { component: name.split("-")[0] } },
    spec: { nodeName: node, containers: [{ name: name.split("-")[0], args }] },
    status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
  };
}

export const micPod = (args: string[] = ["--cloudconfig=/etc/kubernetes/azure.json"]) =>
  component("mic-6b9d7c5f4-p2v7n", NODE, args);
export const nmiPod = (args: string[] = ["--node=$(NODE_NAME)"]) => component("nmi-x7k2p", NODE, args);

const appPod: V1Pod = {
  metadata: {
    name: "orders-api-5d8f7c9b6-k4m2x",
    namespace: NS,
    labels: { app: "orders-api", aadpodidbinding: LABEL },
  },
  spec: { nodeName: NODE, containers: [{ name: "orders-api", image: "orders-api:2.4.1" }] },
  status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
};

/** Standard mode, one user-assigned identity, attached to the node pool; every aad-pod-identity check passes. */
export function healthyPodId(): PodIdFacts {
  return {
    target: { namespace: NS, workload: "Deployment/orders-api" },
    pods: ok([structuredClone(appPod)]),
    workload: ok({
      kind: "Deployment",
      name: "orders-api",
      labels: { app: "orders-api" },
      podTemplate: {
        metadata: { labels: { app: "orders-api", aadpodidbinding: LABEL } },
        spec: { containers: [{ name: "orders-api", image: "orders-api:2.4.1" }] },
      },
    }),
    identities: ok([azureIdentity()]),
    bindings: ok([binding()]),
    assignedIdentities: ok([
      {
        metadata: { name: "orders-api-5d8f7c9b6-k4m2x-orders-orders-identity", namespace: NS },
        spec: {
          pod: appPod.metadata!.name,
          podNamespace: NS,
          nodename: NODE,
          azureIdentityRef: azureIdentity(),
          azureBindingRef: binding(),
        },
        status: { status: "Assigned" },
      },
    ]),
    mic: ok({ pods: [micPod()], errorLines: [], logProblems: [] }),
    nmi: ok({ pods: [nmiPod()], errorLines: [], logProblems: [] }),
    networkPolicies: ok([]),
    secretProviderClasses: ok([]),
    cluster: ok({
      id: `/subscriptions/${SUB}/resourceGroups/rg-shop/providers/Microsoft.ContainerService/managedClusters/shop-aks`,
      subscriptionId: SUB,
      resourceGroup: "rg-shop",
      name: "shop-aks",
      oidcIssuerEnabled: true,
      workloadIdentityEnabled: false,
      nodeResourceGroup: NODE_RG,
      agentPoolSubnetIds: [],
      networkPlugin: "azure",
      kubeletIdentity: KUBELET,
    }),
    armIdentities: ok({
      [IDENTITY_ID.toLowerCase()]: {
        kind: "managedIdentity",
        name: "orders-mi",
        resourceId: IDENTITY_ID,
        clientId: CLIENT_ID,
        principalId: "a3c5e7f9-1b2d-4f6a-8c0e-2d4f6b8a0c1e",
        tenantId: TENANT,
      },
    }),
    vmss: ok([{ name: VMSS, resourceGroup: NODE_RG, userAssignedIdentities: [IDENTITY_ID] }]),
    clusterIdentityRoles: ok([
      {
        scope: `/subscriptions/${SUB}/resourceGroups/rg-shop-identities`,
        roleName: "Managed Identity Operator",
        actions: ["Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action"],
        dataActions: [],
      },
      {
        scope: `/subscriptions/${SUB}/resourceGroups/${NODE_RG}`,
        roleName: "Virtual Machine Contributor",
        actions: [
          "Microsoft.Compute/virtualMachineScaleSets/*",
          "Microsoft.Network/virtualNetworks/subnets/join/action",
        ],
        dataActions: [],
      },
    ]),
    identitySecrets: ok({}),
  };
}

/** The value of an ok fact, for edits. */
export function v<T>(g: { status: string; value?: T }): T {
  if (g.status !== "ok") throw new Error("fact not ok");
  return (g as { value: T }).value;
}
