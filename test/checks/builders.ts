// Typed fact builders: a healthy world per mechanism, written in code, and small edits that break one link.
// Check-level tests start from these facts; nothing is read from a cluster, a cloud or a scenario file.
import type { V1Pod, V1ServiceAccount } from "@kubernetes/client-node";
import type { AksFacts } from "../../src/diagnosis/aks/facts.js";
import { failed, ok } from "../../src/diagnosis/types.js";

export const NS = "payments";
export const SA = "payments-api";
export const ISSUER =
  "https://eastus.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000001/11111111-1111-1111-1111-111111111111/";
export const CLIENT_ID = "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f";
export const PRINCIPAL_ID = "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
export const TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const SUBSCRIPTION = "0b1f6471-1bf0-4dda-aec3-5c1e2f3a4b6d";
export const AUDIENCE = "api://AzureADTokenExchange";
export const SUBJECT = `system:serviceaccount:${NS}:${SA}`;
const TOKEN_DIR = "/var/run/secrets/azure/tokens";

/** A deep copy of the facts with `edit` applied: each test breaks one link of a healthy world. */
export function edit<F>(facts: F, change: (f: F) => void): F {
  const copy = structuredClone(facts);
  change(copy);
  return copy;
}

export function serviceAccount(
  annotations: Record<string, string> = { "azure.workload.identity/client-id": CLIENT_ID },
): V1ServiceAccount {
  return {
    metadata: { name: SA, namespace: NS, annotations, creationTimestamp: new Date("2026-01-01T00:00:00Z") },
  };
}

/** A pod the webhook mutated (v1.5 layout), running as the service account. */
export function mutatedPod(name = "payments-api-7d9f8b6c5-x2x4z"): V1Pod {
  return {
    metadata: {
      name,
      namespace: NS,
      labels: { "azure.workload.identity/use": "true", app: "payments-api" },
      creationTimestamp: new Date("2026-01-02T00:00:00Z"),
    },
    spec: {
      serviceAccountName: SA,
      containers: [
        {
          name: "app",
          image: "payments:1.0",
          env: [
            { name: "AZURE_CLIENT_ID", value: CLIENT_ID },
            { name: "AZURE_TENANT_ID", value: TENANT_ID },
            { name: "AZURE_FEDERATED_TOKEN_FILE", value: `${TOKEN_DIR}/azure-identity-token` },
            { name: "AZURE_AUTHORITY_HOST", value: "https://login.microsoftonline.com/" },
          ],
          volumeMounts: [{ name: "azure-identity-token", mountPath: TOKEN_DIR, readOnly: true }],
        },
      ],
      volumes: [
        {
          name: "azure-identity-token",
          projected: {
            sources: [
              { serviceAccountToken: { audience: AUDIENCE, expirationSeconds: 3600, path: "azure-identity-token" } },
            ],
          },
        },
      ],
    },
    status: { phase: "Running" },
  };
}

/** AKS workload identity, working end to end: every check passes on these facts. */
export function healthyAks(): AksFacts {
  return {
    target: { namespace: NS, serviceAccount: SA },
    cloud: { name: "AzureCloud", tokenExchangeAudience: AUDIENCE, authorityHost: "https://login.microsoftonline.com/" },
    apiServerHost: "payments-aks-dns-abc123.hcp.eastus.azmk8s.io",
    serviceAccountName: SA,
    serviceAccount: ok(serviceAccount()),
    pods: ok([mutatedPod()]),
    webhook: ok({
      configuration: {
        metadata: { name: "azure-wi-webhook-mutating-webhook-configuration" },
        webhooks: [
          {
            name: "mutation.azure-workload-identity.io",
            admissionReviewVersions: ["v1"],
            sideEffects: "None",
            failurePolicy: "Fail",
            clientConfig: {
              caBundle: "LS0tLS1CRUdJTi0tLS0t",
              service: { name: "azure-wi-webhook-webhook-service", namespace: "kube-system", path: "/mutate-v1-pod" },
            },
            objectSelector: { matchLabels: { "azure.workload.identity/use": "true" } },
          },
        ],
      },
      deployment: {
        namespace: "kube-system",
        name: "azure-wi-webhook-controller-manager",
        replicas: 2,
        readyReplicas: 2,
      },
      readyEndpoints: 2,
      namespaceLabels: { "kubernetes.io/metadata.name": NS },
    }),
    apiServerIssuer: ok(ISSUER),
    secretProviderClasses: ok([]),
    cluster: ok({
      id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments/providers/Microsoft.ContainerService/managedClusters/payments-aks`,
      subscriptionId: SUBSCRIPTION,
      resourceGroup: "rg-payments",
      name: "payments-aks",
      location: "eastus",
      oidcIssuerEnabled: true,
      issuerUrl: ISSUER,
      workloadIdentityEnabled: true,
      nodeResourceGroup: "MC_rg-payments_payments-aks_eastus",
      agentPoolSubnetIds: [],
    }),
    identity: ok({
      kind: "managedIdentity",
      name: "payments-mi",
      resourceGroup: "rg-payments",
      subscriptionId: SUBSCRIPTION,
      resourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments/providers/Microsoft.ManagedIdentity/userAssignedIdentities/payments-mi`,
      clientId: CLIENT_ID,
      principalId: PRINCIPAL_ID,
      tenantId: TENANT_ID,
    }),
    federatedCredentials: ok([{ name: "payments-api", issuer: ISSUER, subject: SUBJECT, audiences: [AUDIENCE] }]),
    roleAssignments: ok([]),
    keyVaults: ok([]),
    token: ok({
      claims: { iss: ISSUER, sub: SUBJECT, aud: [AUDIENCE], iat: 1767225600, exp: 1767229200 },
      kid: "key-1",
      audience: AUDIENCE,
      issuerCheck: ok({
        discoveryIssuer: ISSUER,
        jwksUri: `${ISSUER}openid/v1/jwks`,
        jwksKids: ["key-1"],
        signatureValid: true,
      }),
    }),
    exchange: ok({ ok: true, expiresIn: 3599, clientId: CLIENT_ID, tenantId: TENANT_ID }),
    defaultTenantId: TENANT_ID,
  };
}

export { failed, ok };

export const VAULT = "payments-kv";
export const VAULT_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments/providers/Microsoft.KeyVault/vaults/${VAULT}`;
export const NODE_SUBNET = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-payments/providers/Microsoft.Network/virtualNetworks/payments-vnet/subnets/nodes`;

/**
 * The healthy world with a SecretProviderClass for the identity and the vault it names, working: an access
 * policy vault by default, or an RBAC vault with Key Vault Secrets User for the identity. The vault's firewall
 * denies by default and admits the cluster's node subnet.
 */
export function healthyAksWithKeyVault(mode: "access-policy" | "rbac" = "access-policy"): AksFacts {
  const f = healthyAks();
  if (f.cluster.status === "ok" && f.cluster.value) f.cluster.value.agentPoolSubnetIds = [NODE_SUBNET];
  f.secretProviderClasses = ok([
    {
      name: "payments-secrets",
      namespace: NS,
      provider: "azure",
      parameters: { keyvaultName: VAULT, clientID: CLIENT_ID, tenantId: TENANT_ID, objects: "array:\n  - |\n" },
    },
  ]);
  f.keyVaults = ok([
    {
      id: VAULT_ID,
      name: VAULT,
      resourceGroup: "rg-payments",
      subscriptionId: SUBSCRIPTION,
      tenantId: TENANT_ID,
      enableRbacAuthorization: mode === "rbac",
      publicNetworkAccess: "Enabled",
      networkAcls: {
        defaultAction: "Deny",
        bypass: "AzureServices",
        virtualNetworkRules: [{ id: NODE_SUBNET }],
        ipRules: [],
      },
      accessPolicies:
        mode === "rbac"
          ? []
          : [{ objectId: PRINCIPAL_ID, tenantId: TENANT_ID, permissions: { secrets: ["get", "list"] } }],
    },
  ]);
  f.roleAssignments = ok(
    mode === "rbac"
      ? [
          {
            scope: VAULT_ID,
            roleName: "Key Vault Secrets User",
            actions: [],
            dataActions: [
              "Microsoft.KeyVault/vaults/secrets/getSecret/action",
              "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
            ],
          },
        ]
      : [],
  );
  return f;
}
