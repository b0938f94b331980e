// Azure resource shapes both sides need: what the Azure provider reads and the AKS checks read. Pure types.

/** A soft-deleted Key Vault (ARM's deletedVaults): recoverable until its purge date. */
export interface DeletedKeyVault {
  name: string;
  location?: string;
  /** The id the vault had, with its resource group. */
  vaultId?: string;
  subscriptionId?: string;
  deletionDate?: string;
  scheduledPurgeDate?: string;
  purgeProtectionEnabled?: boolean;
}

/** A Key Vault: its tenant, authorisation model, network rules and access policies. */
export interface KeyVault {
  id: string;
  name: string;
  resourceGroup?: string;
  subscriptionId?: string;
  tenantId?: string;
  enableRbacAuthorization: boolean;
  publicNetworkAccess?: string;
  networkAcls?: {
    defaultAction?: string;
    bypass?: string;
    virtualNetworkRules: { id: string }[];
    ipRules: { value: string }[];
  };
  accessPolicies: {
    objectId: string;
    tenantId?: string;
    permissions: { secrets?: string[]; keys?: string[]; certificates?: string[] };
  }[];
}

/**
 * An AKS identity binding (Microsoft.ContainerService/managedClusters/identityBindings): it maps one user-assigned
 * identity to the cluster and exposes the OIDC issuer AKS keeps for that identity.
 */
export interface IdentityBinding {
  name: string;
  id?: string;
  /** properties.managedIdentity.resourceId */
  identityResourceId: string;
  clientId?: string;
  objectId?: string;
  tenantId?: string;
  /** properties.oidcIssuer.oidcIssuerUrl: the issuer of the one federated credential every binding of the identity shares. */
  issuerUrl?: string;
  provisioningState?: string;
}
