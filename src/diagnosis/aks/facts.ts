// What the AKS workload-identity checks look at. Gathered by src/gather/aks.ts; read here without I/O.
import type { DeletedKeyVault, KeyVault, IdentityBinding } from "../../model/azure.js";
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1MutatingWebhookConfiguration,
  V1Role,
  V1RoleBinding,
  V1Pod,
  V1PodTemplateSpec,
  V1ServiceAccount,
} from "@kubernetes/client-node";
import type { Gathered, Target } from "../types.js";

export interface ClusterFacts {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location?: string;
  fqdn?: string;
  privateFQDN?: string;
  oidcIssuerEnabled: boolean;
  issuerUrl?: string;
  workloadIdentityEnabled: boolean;
  nodeResourceGroup?: string;
  agentPoolSubnetIds: string[];
  /** networkProfile.networkPlugin: azure, kubenet, none. */
  networkPlugin?: string;
}

export interface IdentityFacts {
  kind: "managedIdentity" | "application";
  name: string;
  resourceGroup?: string;
  subscriptionId?: string;
  resourceId?: string;
  clientId: string;
  /** Object id of the service principal: what role assignments and access policies name. */
  principalId: string;
  tenantId: string;
  /** Application object id (app registrations). */
  objectId?: string;
}

export interface FederatedCredentialFacts {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export interface RoleAssignmentFacts {
  id?: string;
  scope: string;
  roleDefinitionId?: string;
  roleName: string;
  actions: string[];
  dataActions: string[];
  notActions?: string[];
  notDataActions?: string[];
}

export type KeyVaultFacts = KeyVault;

/** A vault a SecretProviderClass names that ARM does not list: soft-deleted (null: no; undefined: unknown). */
export interface MissingKeyVaultFacts {
  name: string;
  deleted?: DeletedKeyVault | null;
}

/** A SecretProviderClass for the Azure Key Vault provider (secrets-store.csi.x-k8s.io/v1). */
export interface SecretProviderClassFacts {
  name: string;
  namespace: string;
  provider?: string;
  parameters: Record<string, string>;
}

export interface WorkloadFacts {
  kind: string;
  name: string;
  /** Labels on the workload's own metadata (the webhook does not read these). */
  labels: Record<string, string>;
  podTemplate: V1PodTemplateSpec;
}

export interface WebhookFacts {
  configuration: V1MutatingWebhookConfiguration | null;
  /** Where the webhook's controller was found: kube-system (AKS add-on) or azure-workload-identity-system. */
  deployment: {
    namespace: string;
    name: string;
    replicas: number;
    readyReplicas: number;
    createdAt?: string;
  } | null;
  /** Ready addresses behind the webhook's service; undefined when unknown. */
  readyEndpoints?: number;
  namespaceLabels?: Record<string, string>;
}

export interface TokenFacts {
  /** Claims of a token minted for the service account by TokenRequest; never the token. */
  claims: { iss?: string; sub?: string; aud?: string | string[]; exp?: number; iat?: number; nbf?: number };
  kid?: string;
  audience: string;
  /** As Entra would: discovery and JWKS fetched from the token's issuer. */
  issuerCheck: Gathered<{
    discoveryIssuer?: string;
    jwksUri?: string;
    jwksKids: string[];
    signatureValid: boolean;
    problem?: string;
  }>;
}

export type ExchangeFacts =
  | { ok: true; expiresIn?: number; clientId: string; tenantId: string }
  | {
      ok: false;
      clientId: string;
      tenantId: string;
      httpStatus: number;
      error: string;
      errorCodes: number[];
      description: string;
      traceId?: string;
      correlationId?: string;
    };

/** An AKS identity binding, as the Azure provider reads it (src/model/azure.ts). */
export type IdentityBindingFacts = IdentityBinding;

/** The Kubernetes RBAC objects that can grant a service account `use-managed-identity` (cluster-wide, and its namespace's). */
export interface KubeRbacFacts {
  clusterRoles: V1ClusterRole[];
  clusterRoleBindings: V1ClusterRoleBinding[];
  roles: V1Role[];
  roleBindings: V1RoleBinding[];
}

export type { ErrorTextFacts } from "../error-text.js";
import type { ErrorTextFacts } from "../error-text.js";

export interface AksFacts {
  target: Target;
  cloud: { name: string; tokenExchangeAudience: string; authorityHost: string };
  apiServerHost?: string;
  /** The service account the workload runs as (from the target, the pod, or the template). */
  serviceAccountName?: string;
  serviceAccount: Gathered<V1ServiceAccount | null>;
  workload?: Gathered<WorkloadFacts | null>;
  /** Pods in scope: the target pod, the workload's pods, or the pods that use the service account. */
  pods: Gathered<V1Pod[]>;
  /** The target pod, when it was named and does not exist. */
  podMissing?: string;
  webhook: Gathered<WebhookFacts>;
  /** The issuer the API server itself announces (no Azure credential needed). */
  apiServerIssuer: Gathered<string>;
  secretProviderClasses: Gathered<SecretProviderClassFacts[]>;
  cluster: Gathered<ClusterFacts | null>;
  identity: Gathered<IdentityFacts | null>;
  /** When no identity has the annotated client id: the identity whose principal (object) id it is, if any. */
  identityByPrincipalId?: IdentityFacts;
  /** When the client-id annotation holds an identity's resource id: that identity, if it exists. */
  identityByResourceId?: IdentityFacts;
  federatedCredentials: Gathered<FederatedCredentialFacts[]>;
  roleAssignments: Gathered<RoleAssignmentFacts[]>;
  keyVaults: Gathered<KeyVaultFacts[]>;
  /** Referenced vaults ARM does not list (read after keyVaults; absent when not gathered). */
  missingKeyVaults?: Gathered<MissingKeyVaultFacts[]>;
  token: Gathered<TokenFacts>;
  exchange: Gathered<ExchangeFacts>;
  errorText?: ErrorTextFacts;
  /** The tenant the webhook injects when the service account has no tenant-id annotation. */
  defaultTenantId?: string;
  /**
   * Other service accounts in the namespace that carry a client id; read only when no service account was
   * named and the one the pods use has none.
   */
  serviceAccountCandidates?: string[];
  /** The cluster's identity bindings; read when the cluster is known. */
  identityBindings?: Gathered<IdentityBindingFacts[]>;
  /** RBAC objects; read only when the pods opt into an identity binding or a binding names the identity. */
  kubeRbac?: Gathered<KubeRbacFacts>;
}
