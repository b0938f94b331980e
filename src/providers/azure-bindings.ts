// AKS identity bindings through the ContainerService SDK client: the reads the AKS checks need, kept beside
// AzureProvider (which extends this class) so the provider file stays small.
import { AzureClients } from "./azure-base.js";
import type { ClusterInfo } from "./azure-model.js";
import type { IdentityBinding } from "../model/azure.js";

/** An identity binding as the AKS checks read it (src/model/azure.ts). */
export type IdentityBindingInfo = IdentityBinding;

export class AzureBindingReads extends AzureClients {
  /**
   * The cluster's identity bindings (Microsoft.ContainerService/managedClusters/identityBindings, through the
   * ContainerService client's default api-version): which identity each binds, and the issuer AKS keeps for it.
   */
  async listIdentityBindings(cluster: ClusterInfo, signal?: AbortSignal): Promise<IdentityBindingInfo[]> {
    return this.call("clusters.read", `list identity bindings of AKS cluster ${cluster.name}`, signal, async (s) => {
      const out: IdentityBindingInfo[] = [];
      const pages = this.aks(cluster.subscriptionId).identityBindings.listByManagedCluster(
        cluster.resourceGroup,
        cluster.name,
        { abortSignal: s },
      );
      for await (const b of pages) {
        const p = b.properties;
        out.push({
          name: b.name ?? "",
          id: b.id,
          identityResourceId: p?.managedIdentity.resourceId ?? "",
          clientId: p?.managedIdentity.clientId,
          objectId: p?.managedIdentity.objectId,
          tenantId: p?.managedIdentity.tenantId,
          issuerUrl: p?.oidcIssuer?.oidcIssuerUrl,
          provisioningState: p?.provisioningState,
        });
      }
      return out;
    });
  }
}
