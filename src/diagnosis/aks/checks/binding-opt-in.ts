// AKS identity bindings: the names the platform uses, and whether a workload has opted into the binding path.
// Sources: learn.microsoft.com/azure/aks/identity-bindings (set-up: ClusterRole on cid.wi.aks.azure.com, the pod
// annotation, the injected AZURE_KUBERNETES_* variables) and identity-bindings-concepts (SDK opt-in per language);
// the secrets-store CSI Azure provider (pkg/auth) for the projected token's audience api://AKSIdentityBinding.
import type { V1Pod } from "@kubernetes/client-node";
import { valueOf } from "../../types.js";
import type { AksFacts, IdentityBindingFacts } from "../facts.js";
import { annotatedClientId } from "./identity.js";

/** Pod annotation that asks the webhook for the identity binding path (docs: set on the pod template). */
export const WI_USE_IDENTITY_BINDING = "azure.workload.identity/use-identity-binding";
/** Audience of the token the webhook projects for the binding path (the proxy, not Entra, receives it). */
export const BINDING_TOKEN_AUDIENCE = "api://AKSIdentityBinding";
/** Name of the federated credential AKS creates (or reuses) under the identity for all of its bindings. */
export const BINDING_CREDENTIAL_NAME = "aks-identity-binding";
/** The RBAC group and verb a service account needs, with the identity's client id as the resource. */
export const CID_API_GROUP = "cid.wi.aks.azure.com";
export const USE_MANAGED_IDENTITY = "use-managed-identity";
/** What the webhook injects for the proxy (the CA arrives as a file or as data). */
export const PROXY_ENV = "AZURE_KUBERNETES_TOKEN_PROXY";
export const SNI_ENV = "AZURE_KUBERNETES_SNI_NAME";
export const CA_FILE_ENV = "AZURE_KUBERNETES_CA_FILE";
export const CA_DATA_ENV = "AZURE_KUBERNETES_CA_DATA";

const optedIn = (annotations: Record<string, string> | undefined) =>
  annotations?.[WI_USE_IDENTITY_BINDING]?.trim().toLowerCase() === "true";

export const podOptsIn = (p: V1Pod) => optedIn(p.metadata?.annotations);

/** Where the workload asks for the binding path: its pods, its template, or neither. */
export function bindingOptIn(f: AksFacts): { pods: string[]; template: boolean } {
  const pods = (valueOf(f.pods) ?? []).filter(podOptsIn).map((p) => p.metadata?.name ?? "");
  const template = optedIn(valueOf(f.workload ?? { status: "skipped", reason: "" })?.podTemplate.metadata?.annotations);
  return { pods, template };
}

/** The workload exchanges through the identity binding proxy (its pods or template carry the annotation). */
export function usesIdentityBinding(f: AksFacts): boolean {
  const o = bindingOptIn(f);
  return o.template || o.pods.length > 0;
}

const same = (a: string | undefined, b: string | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/** The cluster's bindings that bind the service account's identity (by client id, else by resource id). */
export function bindingsOfIdentity(f: AksFacts): IdentityBindingFacts[] {
  const clientId = annotatedClientId(f);
  const identity = valueOf(f.identity);
  return (valueOf(f.identityBindings ?? { status: "skipped", reason: "" }) ?? []).filter(
    (b) => same(b.clientId, clientId) || same(b.identityResourceId, identity?.resourceId ?? undefined),
  );
}

/** Why the binding facts cannot be judged, if so. */
export function bindingsUnread(f: AksFacts): string | undefined {
  const b = f.identityBindings;
  if (!b) return "identity bindings were not read";
  return b.status === "ok" ? undefined : `identity bindings could not be read: ${b.reason}`;
}

export const NOT_OPTED_IN = `the pods do not opt into an identity binding (annotation ${WI_USE_IDENTITY_BINDING})`;

/** The credential AKS keeps for the identity's bindings: it trusts the binding issuer, never this cluster's. */
export function isBindingCredential(f: AksFacts, c: { name: string; issuer: string }): boolean {
  if (c.name === BINDING_CREDENTIAL_NAME) return true;
  const bindings = valueOf(f.identityBindings ?? { status: "skipped", reason: "" }) ?? [];
  return bindings.some((b) => b.issuerUrl === c.issuer);
}
