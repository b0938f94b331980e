// What the aad-pod-identity checks look at, and how its custom resources are read. Gathered by src/gather/podid.ts.
import type { V1NetworkPolicy, V1Pod, V1PodTemplateSpec } from "@kubernetes/client-node";
import type { ClusterFacts, IdentityFacts, RoleAssignmentFacts, SecretProviderClassFacts } from "../aks/facts.js";
import type { Gathered, Target } from "../types.js";

export const PODID_GROUP = "aadpodidentity.k8s.io";
export const PODID_VERSION = "v1";
/** The pod label a binding's selector is compared with. */
export const PODID_LABEL = "aadpodidbinding";
/** Added by MIC ≥ 1.6.1 so it can unassign the identity from the node before the object goes away. */
export const ASSIGNED_FINALIZER = "azureassignedidentity.finalizers.aadpodidentity.k8s.io";
export const IMDS_IP = "169.254.169.254";
/** NMI's default port on the node; the iptables rule sends IMDS traffic there. */
export const NMI_DEFAULT_PORT = 2579;

/** A custom object as the API returns it (no generated types exist for these CRDs). */
export interface RawObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string | Date;
    creationTimestamp?: string | Date;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/**
 * The AzureIdentity annotation that makes MIC and NMI match it only to bindings and pods of its own namespace,
 * as `--forceNamespaced` does for every identity.
 */
export const BEHAVIOR_KEY = "aadpodidentity.k8s.io/Behavior";
export const BEHAVIOR_NAMESPACED = "namespaced";

/** AzureIdentity spec.type: what the numbers mean. */
export const IDENTITY_TYPES: Record<number, string> = {
  0: "user-assigned managed identity",
  1: "service principal (client secret)",
  2: "service principal (certificate)",
};

/** A field written with the wrong capitalisation: MIC ≥ 1.6 reads it as empty. */
export interface MiscasedField {
  found: string;
  expected: string;
  value: unknown;
}

export interface AzureIdentityView {
  namespace: string;
  name: string;
  type?: number;
  /** The raw spec.type when it is not a number MIC understands. */
  typeRaw?: unknown;
  resourceID: string;
  clientID: string;
  tenantID?: string;
  /** The Behavior annotation says "namespaced": only a binding and pods of its own namespace may use it. */
  namespacedAnnotation: boolean;
  /** Types 1 and 2: the Secret holding the client secret (or the certificate and its password). */
  clientPassword?: { name: string; namespace: string };
  /** Types 1 and 2: the Entra endpoint NMI signs in at (empty: the public cloud's). */
  adEndpoint?: string;
  miscased: MiscasedField[];
}

export interface BindingView {
  namespace: string;
  name: string;
  azureIdentity: string;
  selector: string;
  weight?: number;
  miscased: MiscasedField[];
}

export interface AssignedIdentityView {
  namespace: string;
  name: string;
  pod: string;
  podNamespace: string;
  nodeName?: string;
  identityName?: string;
  identityNamespace?: string;
  bindingName?: string;
  clientID?: string;
  resourceID?: string;
  /** Created → Assigned → Unassigned. */
  state?: string;
  finalizers: string[];
  deleting: boolean;
  deletionTimestamp?: string;
}

/** MIC or NMI: its pods and the error lines of the last hour. */
export interface ComponentFacts {
  pods: V1Pod[];
  /** klog lines starting with E (error) or F (fatal), per pod. */
  errorLines: { pod: string; namespace: string; lines: string[] }[];
  /** Pods whose log could not be read, and why. */
  logProblems: string[];
  /**
   * Read only when no pod was found: the Deployment (MIC) or DaemonSet (NMI) that should run them, with the
   * ready count its status reports (`ready` undefined: it reports no status).
   */
  controllers?: ComponentController[];
}

export interface ComponentController {
  kind: "Deployment" | "DaemonSet";
  namespace: string;
  name: string;
  desired?: number;
  ready?: number;
  /** Container arguments of its pod template (NMI's --operation-mode and friends). */
  args: string[];
}

export interface VmssFacts {
  name: string;
  resourceGroup: string;
  userAssignedIdentities: string[];
}

export interface PodIdFacts {
  target: Target;
  /** The pods diagnosed: the named pod, or the workload's current pods. Empty when only a namespace was given. */
  pods: Gathered<V1Pod[]>;
  /** The workload's pod template (the named workload, or the named pod's owner when it could be found). */
  workload?: Gathered<{
    kind: string;
    name: string;
    labels: Record<string, string>;
    podTemplate: V1PodTemplateSpec;
  } | null>;
  /** The named pod does not exist. */
  podMissing?: string;
  identities: Gathered<RawObject[]>;
  bindings: Gathered<RawObject[]>;
  assignedIdentities: Gathered<RawObject[]>;
  mic: Gathered<ComponentFacts>;
  nmi: Gathered<ComponentFacts>;
  networkPolicies: Gathered<V1NetworkPolicy[]>;
  secretProviderClasses: Gathered<SecretProviderClassFacts[]>;
  cluster: Gathered<(ClusterFacts & PodIdClusterIdentity) | null>;
  /** ARM's view of each user-assigned identity an AzureIdentity names, keyed by the lower-cased resource id. */
  armIdentities: Gathered<Record<string, IdentityFacts | null>>;
  vmss: Gathered<VmssFacts[]>;
  /** Role assignments of the identity MIC acts as (the kubelet identity on AKS). */
  clusterIdentityRoles: Gathered<RoleAssignmentFacts[]>;
  /**
   * The Secrets that service-principal AzureIdentities (types 1 and 2) name in clientPassword, keyed
   * "<namespace>/<name>": only their data keys, never the values (null: the Secret does not exist; keys
   * undefined: the server did not show the data).
   */
  identitySecrets?: Gathered<Record<string, { keys?: string[] } | null>>;
  errorText?: string;
}

/** The identity MIC uses to change the node pool: the kubelet identity on managed-identity AKS clusters. */
export interface PodIdClusterIdentity {
  identityPrincipalId?: string;
  kubeletIdentity?: { clientId: string; objectId: string; resourceId?: string };
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");

function ts(v: unknown): string | undefined {
  if (v instanceof Date) return v.toISOString();
  return typeof v === "string" && v ? v : undefined;
}

/** Read spec fields by their exact names, noting lookalikes MIC ≥ 1.6 ignores. */
function readFields(spec: Record<string, unknown>, expected: string[]) {
  const miscased: MiscasedField[] = [];
  for (const key of Object.keys(spec)) {
    if (expected.includes(key)) continue;
    const meant = expected.find((e) => e.toLowerCase() === key.toLowerCase());
    if (meant && spec[meant] === undefined) miscased.push({ found: key, expected: meant, value: spec[key] });
  }
  return miscased;
}

/** A core/v1 SecretReference: the docs write it both `name` and `Name` (Go's JSON decoding takes either). */
function secretRef(v: unknown): { name: string; namespace: string } | undefined {
  if (!v || typeof v !== "object") return undefined;
  const o = v as Record<string, unknown>;
  const name = str(o.name ?? o.Name);
  const namespace = str(o.namespace ?? o.Namespace);
  return name || namespace ? { name, namespace } : undefined;
}

export function readIdentity(o: RawObject): AzureIdentityView {
  const spec = o.spec ?? {};
  const rawType = spec.type;
  const type = typeof rawType === "number" && Number.isInteger(rawType) ? rawType : undefined;
  return {
    namespace: o.metadata?.namespace ?? "default",
    name: o.metadata?.name ?? "",
    type,
    typeRaw: type === undefined ? rawType : undefined,
    resourceID: str(spec.resourceID),
    clientID: str(spec.clientID),
    tenantID: str(spec.tenantID) || undefined,
    namespacedAnnotation: o.metadata?.annotations?.[BEHAVIOR_KEY] === BEHAVIOR_NAMESPACED,
    clientPassword: secretRef(spec.clientPassword),
    adEndpoint: str(spec.adEndpoint) || undefined,
    miscased: readFields(spec, [
      "type",
      "resourceID",
      "clientID",
      "tenantID",
      "clientPassword",
      "adResourceID",
      "adEndpoint",
    ]),
  };
}

export function readBinding(o: RawObject): BindingView {
  const spec = o.spec ?? {};
  return {
    namespace: o.metadata?.namespace ?? "default",
    name: o.metadata?.name ?? "",
    azureIdentity: str(spec.azureIdentity),
    selector: str(spec.selector),
    weight: typeof spec.weight === "number" ? spec.weight : undefined,
    miscased: readFields(spec, ["azureIdentity", "selector", "weight"]),
  };
}

export function readAssigned(o: RawObject): AssignedIdentityView {
  const spec = o.spec ?? {};
  const idRef = (spec.azureIdentityRef ?? {}) as RawObject;
  const bindingRef = (spec.azureBindingRef ?? {}) as RawObject;
  const deletionTimestamp = ts(o.metadata?.deletionTimestamp);
  return {
    namespace: o.metadata?.namespace ?? "default",
    name: o.metadata?.name ?? "",
    pod: str(spec.pod),
    podNamespace: str(spec.podNamespace),
    nodeName: str(spec.nodename) || undefined,
    identityName: idRef.metadata?.name,
    identityNamespace: idRef.metadata?.namespace,
    bindingName: bindingRef.metadata?.name,
    clientID: str(idRef.spec?.clientID) || undefined,
    resourceID: str(idRef.spec?.resourceID) || undefined,
    state: str(o.status?.status) || undefined,
    finalizers: o.metadata?.finalizers ?? [],
    deleting: deletionTimestamp !== undefined,
    deletionTimestamp,
  };
}

/**
 * The form MIC accepts (case-insensitive, as its own check is):
 * /subscriptions/<sub>/resourcegroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>
 */
const RESOURCE_ID_RE =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.managedidentity\/userassignedidentities\/([^/]+)$/i;

export function parseIdentityResourceId(
  id: string,
): { subscriptionId: string; resourceGroup: string; name: string } | undefined {
  const m = RESOURCE_ID_RE.exec(id.trim() === id ? id : "");
  return m ? { subscriptionId: m[1], resourceGroup: m[2], name: m[3] } : undefined;
}

export const RESOURCE_ID_FORM =
  "/subscriptions/<subscription-id>/resourcegroups/<resource-group>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>";

/** Labels of a pod as a plain record. */
export function labelsOf(pod: { metadata?: { labels?: Record<string, string> } } | undefined): Record<string, string> {
  return pod?.metadata?.labels ?? {};
}

/** The bindings whose selector equals the pod's aadpodidbinding label. */
export function bindingsSelecting(labels: Record<string, string>, bindings: BindingView[]): BindingView[] {
  const value = labels[PODID_LABEL];
  if (value === undefined || value === "") return [];
  return bindings.filter((b) => b.selector === value);
}

/**
 * The AzureIdentity a binding names: its metadata.name in the binding's own namespace. MIC looks identities up
 * by namespace and name, so one of that name elsewhere does not count.
 */
export function identityForBinding(
  binding: BindingView,
  identities: AzureIdentityView[],
): AzureIdentityView | undefined {
  if (!binding.azureIdentity) return undefined;
  return identities.find((i) => i.name === binding.azureIdentity && i.namespace === binding.namespace);
}

export function readAll<T>(g: Gathered<RawObject[]>, read: (o: RawObject) => T): T[] {
  return g.status === "ok" ? g.value.map(read) : [];
}
