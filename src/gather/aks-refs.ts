// What names an AKS cluster or identity for the gatherer and the step tools: a cluster reference, and the client id
// a service account's annotation gives.
import type { V1ServiceAccount } from "@kubernetes/client-node";
import { WI_CLIENT_ID } from "../diagnosis/aks/names.js";
import { GUID_RE } from "../diagnosis/compare.js";

/** The client id on a service account, when it is a GUID (what the webhook and Entra take). */
export function clientIdOf(sa: V1ServiceAccount | null | undefined): string | undefined {
  const v = sa?.metadata?.annotations?.[WI_CLIENT_ID]?.trim();
  return v && GUID_RE.test(v) ? v : undefined;
}

/** A managed identity's resource id put in the client-id annotation by mistake (the fix names its client id). */
export function identityResourceIdOf(sa: V1ServiceAccount | null | undefined): string | undefined {
  const v = sa?.metadata?.annotations?.[WI_CLIENT_ID]?.trim();
  return v && !GUID_RE.test(v) && /\/providers\/microsoft\.managedidentity\//i.test(v) ? v : undefined;
}

/** A cluster named by the caller (clusterName and resourceGroup together), else the one behind the kube context. */
export interface ClusterRef {
  clusterName?: string;
  resourceGroup?: string;
  subscriptionId?: string;
}
