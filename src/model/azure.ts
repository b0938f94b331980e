// Azure resource shapes both sides need: what the Azure provider reads and the AKS checks read. Pure types.

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
