// The simulated Kubernetes API server: the scenario's objects as a generic object store behind the real
// REST paths, list shapes, selectors, paging, TokenRequest, OIDC documents, pod logs, writes and Status errors.
import { createHash, randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { SIM_KUBE_TOKEN } from "../constants.js";
import type { SimRequest, SimResponse, SimService, SimWorld } from "../world.js";
import { asTable, selfSubjectAccessReview, watchAnswer } from "./kube-extras.js";
import { authReview } from "./kube-auth.js";
import { rollOut } from "./kube-rollout.js";
import { status } from "./kube-status.js";
import { discoveryDocument, jwksDocument } from "./oidc.js";

/** The user name the simulated API server sees behind SIM_KUBE_TOKEN (it appears in RBAC messages). */
export const SIM_KUBE_USER = "operator";

/** Default creation time of scenario objects that do not say: fixed, so runs are reproducible. */
const DEFAULT_CREATION_TIMESTAMP = "2025-01-06T09:00:00Z";

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
}

const rw = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

const t = (group: string, version: string, kind: string, namespaced: boolean, shortNames?: string[]): ResourceType => ({
  group,
  version,
  kind,
  plural: pluralOf(kind),
  namespaced,
  shortNames,
});

/** Plurals that do not follow the English rules below. */
const irregularPlurals: Record<string, string> = {
  endpoints: "endpoints",
  networkpolicy: "networkpolicies",
  podsecuritypolicy: "podsecuritypolicies",
  priorityclass: "priorityclasses",
  storageclass: "storageclasses",
  ingressclass: "ingressclasses",
};

/** The resource name (plural) the API server uses for a kind: lowercase, then English plural rules. */
export function pluralOf(kind: string): string {
  const k = kind.toLowerCase();
  if (irregularPlurals[k]) return irregularPlurals[k];
  if (/[^aeiou]y$/.test(k)) return `${k.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/.test(k)) return `${k}es`;
  return `${k}s`;
}

/** Resources every cluster serves. */
const builtinTypes: ResourceType[] = [
  t("", "v1", "Namespace", false, ["ns"]),
  t("", "v1", "Node", false, ["no"]),
  t("", "v1", "ServiceAccount", true, ["sa"]),
  t("", "v1", "Pod", true, ["po"]),
  t("", "v1", "Event", true, ["ev"]),
  t("", "v1", "Endpoints", true, ["ep"]),
  t("", "v1", "ConfigMap", true, ["cm"]),
  t("", "v1", "Secret", true),
  t("", "v1", "Service", true, ["svc"]),
  t("apps", "v1", "Deployment", true, ["deploy"]),
  t("apps", "v1", "ReplicaSet", true, ["rs"]),
  t("apps", "v1", "StatefulSet", true, ["sts"]),
  t("apps", "v1", "DaemonSet", true, ["ds"]),
  t("batch", "v1", "Job", true),
  t("batch", "v1", "CronJob", true, ["cj"]),
  t("networking.k8s.io", "v1", "NetworkPolicy", true, ["netpol"]),
  t("policy", "v1", "PodDisruptionBudget", true, ["pdb"]),
  t("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", false),
  t("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", false),
  t("apiextensions.k8s.io", "v1", "CustomResourceDefinition", false, ["crd", "crds"]),
  t("rbac.authorization.k8s.io", "v1", "Role", true),
  t("rbac.authorization.k8s.io", "v1", "RoleBinding", true),
  t("rbac.authorization.k8s.io", "v1", "ClusterRole", false),
  t("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", false),
];

/** Custom resources we know the shape of; served only when the scenario installs their group. */
const knownCustomTypes: ResourceType[] = [
  t("aadpodidentity.k8s.io", "v1", "AzureIdentity", true),
  t("aadpodidentity.k8s.io", "v1", "AzureIdentityBinding", true),
  t("aadpodidentity.k8s.io", "v1", "AzureAssignedIdentity", true),
  t("aadpodidentity.k8s.io", "v1", "AzurePodIdentityException", true),
  t("secrets-store.csi.x-k8s.io", "v1", "SecretProviderClass", true),
  t("secrets-store.csi.x-k8s.io", "v1", "SecretProviderClassPodStatus", true),
];

const builtinGroups = new Set(builtinTypes.map((r) => r.group));
/** Kinds that live in a namespace: an object of one of these without a namespace is in "default", as kubectl applies it. */
const namespacedKinds = new Set([...builtinTypes, ...knownCustomTypes].filter((r) => r.namespaced).map((r) => r.kind));

/** Field selectors the real API server accepts, beyond metadata.name and metadata.namespace. */
const extraFieldLabels: Record<string, string[]> = {
  Pod: [
    "spec.serviceAccountName",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
  ],
  Event: [
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
  ],
  Secret: ["type"],
  Namespace: ["status.phase"],
  Node: ["spec.unschedulable"],
  Job: ["status.successful"],
  ReplicaSet: ["status.replicas"],
};

const systemNamespaces = ["default", "kube-node-lease", "kube-public", "kube-system"];

type Meta = {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
  [k: string]: unknown;
};
type Obj = { apiVersion: string; kind: string; metadata: Meta; [k: string]: unknown };

interface KubeState {
  resourceVersion: number;
  generated: number;
  /** Counts requests that may have changed the store; the read index is rebuilt after each. */
  writes: number;
  index?: KubeIndex;
}

const states = new WeakMap<SimWorld, KubeState>();

function stateOf(world: SimWorld): KubeState {
  let s = states.get(world);
  if (!s) {
    s = { resourceVersion: 1000, generated: 0, writes: 0 };
    states.set(world, s);
  }
  return s;
}

function nextResourceVersion(world: SimWorld): string {
  const s = stateOf(world);
  s.resourceVersion += 1;
  return String(s.resourceVersion);
}

/** A stable GUID-shaped uid from the object's identity, so repeated runs agree. */
function uidFor(apiVersion: string, kind: string, namespace: string | undefined, name: string): string {
  const h = createHash("sha256")
    .update(`${apiVersion}/${kind}/${namespace ?? ""}/${name}`)
    .digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The live store: fills server-set metadata into objects that lack it (in scenario order, so deterministically). */
function store(world: SimWorld): Obj[] {
  const objects = world.scenario.kubernetes.objects as Obj[];
  for (const o of objects) {
    const m = o.metadata;
    if (m.namespace === undefined && namespacedKinds.has(o.kind)) m.namespace = "default";
    m.uid ??= uidFor(o.apiVersion, o.kind, m.namespace, m.name ?? "");
    m.resourceVersion ??= nextResourceVersion(world);
    m.creationTimestamp ??= DEFAULT_CREATION_TIMESTAMP;
    if (o.kind === "Namespace" && o.apiVersion === "v1" && m.name) {
      // The API server labels every namespace with its own name (used by webhook namespaceSelectors).
      m.labels = { ...(m.labels ?? {}), "kubernetes.io/metadata.name": m.name };
    }
  }
  return objects;
}

function groupVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf("/");
  return i === -1
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

const gvString = (group: string, version: string) => (group ? `${group}/${version}` : version);

/** Every resource type the API server serves for this scenario. */
function servedTypes(world: SimWorld): ResourceType[] {
  return index(world).types;
}

function servedTypesOf(objects: Obj[]): ResourceType[] {
  const types = [...builtinTypes];
  const have = (g: string, v: string, kind: string) =>
    types.some((r) => r.group === g && r.version === v && r.kind === kind);
  const installedGroups = new Set<string>();
  for (const o of objects) {
    if (o.kind === "CustomResourceDefinition" && o.apiVersion.startsWith("apiextensions.k8s.io/")) {
      const spec = (o.spec ?? {}) as {
        group?: string;
        scope?: string;
        names?: { kind?: string; plural?: string; shortNames?: string[] };
        versions?: { name?: string; served?: boolean }[];
      };
      if (!spec.group || !spec.names?.kind) continue;
      installedGroups.add(spec.group);
      for (const v of spec.versions ?? [{ name: "v1", served: true }]) {
        if (!v.name || v.served === false || have(spec.group, v.name, spec.names.kind)) continue;
        types.push({
          group: spec.group,
          version: v.name,
          kind: spec.names.kind,
          plural: spec.names.plural ?? pluralOf(spec.names.kind),
          namespaced: spec.scope !== "Cluster",
          shortNames: spec.names.shortNames,
        });
      }
    } else {
      const { group, version } = groupVersion(o.apiVersion);
      if (builtinGroups.has(group)) continue;
      installedGroups.add(group);
      if (!have(group, version, o.kind) && !knownCustomTypes.some((r) => r.group === group && r.kind === o.kind)) {
        types.push({ group, version, kind: o.kind, plural: pluralOf(o.kind), namespaced: !!o.metadata.namespace });
      }
    }
  }
  for (const r of knownCustomTypes) {
    if (installedGroups.has(r.group) && !have(r.group, r.version, r.kind)) types.push(r);
  }
  return types;
}

// ---------------------------------------------------------------------------------------------
// Status bodies

/** "deployments.apps" for non-core groups, "pods" for core: how the API server names a resource in messages. */
const qualified = (r: ResourceType) => (r.group ? `${r.plural}.${r.group}` : r.plural);

const notFound = (r: ResourceType, name: string) =>
  status(404, "NotFound", `${qualified(r)} "${name}" not found`, {
    name,
    ...(r.group ? { group: r.group } : {}),
    kind: r.plural,
  });

const noSuchResource = () => status(404, "NotFound", "the server could not find the requested resource", {});

const badRequest = (message: string) => status(400, "BadRequest", message);

function invalid(r: ResourceType, name: string, causes: { field: string; message: string }[]): SimResponse {
  const text = causes.map((c) => `${c.field}: ${c.message}`).join(", ");
  const summary = causes.length > 1 ? `[${text}]` : text;
  return status(422, "Invalid", `${r.kind} "${name}" is invalid: ${summary}`, {
    name,
    ...(r.group ? { group: r.group } : {}),
    kind: r.kind,
    causes: causes.map((c) => ({ reason: "FieldValueInvalid", message: c.message, field: c.field })),
  });
}

function forbidden(r: ResourceType, verb: string, sub: string | undefined, namespace?: string, name?: string) {
  const resource = sub ? `${r.plural}/${sub}` : r.plural;
  const where = r.namespaced && namespace ? `in the namespace "${namespace}"` : "at the cluster scope";
  const subject = name ? `${qualified(r)} "${name}"` : qualified(r);
  return status(
    403,
    "Forbidden",
    `${subject} is forbidden: User "${SIM_KUBE_USER}" cannot ${verb} resource "${resource}" in API group "${r.group}" ${where}`,
    { ...(name ? { name } : {}), ...(r.group ? { group: r.group } : {}), kind: resource },
  );
}

// ---------------------------------------------------------------------------------------------
// Selectors

type Requirement =
  | { key: string; op: "exists" | "!exists" }
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] };

/** Split on commas that are not inside parentheses ("a in (x,y),b" → ["a in (x,y)", "b"]). */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

const labelKey = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function parseLabelSelector(selector: string): Requirement[] {
  const reqs: Requirement[] = [];
  for (const part of splitTopLevel(selector)) {
    const set = part.match(/^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/);
    const eq = part.match(/^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/);
    const absent = part.match(/^!\s*(\S+)$/);
    const present = part.match(/^(\S+)$/);
    if (set) {
      const values = set[3]
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v.length > 0);
      reqs.push({ key: set[1], op: set[2] as "in" | "notin", values });
    } else if (eq) {
      reqs.push({ key: eq[1], op: eq[2] === "!=" ? "!=" : "=", value: eq[3] });
    } else if (absent) {
      reqs.push({ key: absent[1], op: "!exists" });
    } else if (present) {
      reqs.push({ key: present[1], op: "exists" });
    } else {
      throw new Error(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, identifier`);
    }
    const key = reqs[reqs.length - 1].key;
    if (!labelKey.test(key) || key.length > 317) {
      throw new Error(`unable to parse requirement: invalid label key "${key}"`);
    }
  }
  return reqs;
}

function matchesLabels(labels: Record<string, unknown> | undefined, reqs: Requirement[]): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = has ? String(l[r.key]) : undefined;
    switch (r.op) {
      case "exists":
        return has;
      case "!exists":
        return !has;
      case "=":
        return has && v === r.value;
      case "!=":
        return !has || v !== r.value;
      case "in":
        return has && r.values.includes(v as string);
      case "notin":
        return !has || !r.values.includes(v as string);
    }
    return false;
  });
}

interface FieldRequirement {
  field: string;
  op: "=" | "!=";
  value: string;
}

function parseFieldSelector(selector: string, kind: string): FieldRequirement[] {
  const allowed = new Set(["metadata.name", "metadata.namespace", ...(extraFieldLabels[kind] ?? [])]);
  return splitTopLevel(selector).map((part) => {
    const m = part.match(/^([^=!]+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw new Error(`invalid selector: '${part}'; can't understand '${part}'`);
    const field = m[1].trim();
    if (!allowed.has(field)) throw new Error(`field label not supported: ${field}`);
    return { field, op: m[2] === "!=" ? "!=" : "=", value: m[3].trim() };
  });
}

function fieldValue(o: Obj, path: string): string {
  let cur: unknown = o;
  for (const seg of path.split(".")) {
    if (cur === null || typeof cur !== "object") return "";
    cur = (cur as Record<string, unknown>)[seg];
  }
  // The ServiceAccount admission plugin sets a pod's service account to "default" when the pod names none.
  if ((cur === undefined || cur === "") && path === "spec.serviceAccountName" && o.kind === "Pod") return "default";
  if (cur === undefined || cur === null) return "";
  if (typeof cur === "object") return (cur as { component?: string }).component ?? "";
  return String(cur);
}

const matchesFields = (o: Obj, reqs: FieldRequirement[]) =>
  reqs.every((r) => (fieldValue(o, r.field) === r.value) === (r.op === "="));

// ---------------------------------------------------------------------------------------------
// Views: what a client receives for a stored object

function clone<T>(v: T): T {
  return structuredClone(v);
}

function view(r: ResourceType, o: Obj, inList: boolean): Obj {
  // A list item is a shallow copy: the answer is serialised at once, and a list of thousands of pods would
  // otherwise be deep-copied on every request. Only top-level fields are removed from it.
  const c = inList ? { ...o } : clone(o);
  if (r.kind === "Secret" && r.group === "") {
    // The simulated cluster never hands out secret material, even to a caller allowed to read it.
    delete c.data;
    delete c.stringData;
  }
  if (inList && builtinGroups.has(r.group)) {
    // Typed lists carry the kind once, on the list; only custom resources repeat it per item.
    const { apiVersion: _a, kind: _k, ...rest } = c;
    return rest as Obj;
  }
  return c;
}

const keyOf = (o: Obj) => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;

// ---------------------------------------------------------------------------------------------
// The read index: the store by type, name and namespace, built once per change instead of on every request

interface KubeIndex {
  /** The store it was built from, and its length then (objects added or removed directly are noticed). */
  objects: Obj[];
  length: number;
  writes: number;
  types: ResourceType[];
  /** `group/kind` → objects in store order (namespaces and service accounts include the synthesized ones). */
  byType: Map<string, Obj[]>;
  /** Filled on first use: `group/kind` → the objects sorted by namespace/name, all and per namespace. */
  sorted: Map<string, { all: Obj[]; byNamespace: Map<string, Obj[]> }>;
  /** Filled on first use: `group/kind/namespaced` → "namespace\0name" (cluster-scoped: name) → first such object. */
  byName: Map<string, Map<string, Obj>>;
}

const typeKey = (group: string, kind: string) => `${group}/${kind}`;

function index(world: SimWorld): KubeIndex {
  const s = stateOf(world);
  const objects = world.scenario.kubernetes.objects as Obj[];
  const built = s.index;
  if (built && built.objects === objects && built.length === objects.length && built.writes === s.writes) return built;
  s.index = buildIndex(store(world), s.writes);
  return s.index;
}

function buildIndex(objects: Obj[], writes: number): KubeIndex {
  const byType = new Map<string, Obj[]>();
  for (const o of objects) {
    const k = typeKey(groupVersion(o.apiVersion).group, o.kind);
    const list = byType.get(k);
    if (list) list.push(o);
    else byType.set(k, [o]);
  }
  const namespaces = namespacesOf(objects);
  byType.set(typeKey("", "Namespace"), namespaces);
  byType.set(typeKey("", "ServiceAccount"), serviceAccountsOf(objects, namespaces));
  const types = servedTypesOf(objects);
  return { objects, length: objects.length, writes, types, byType, sorted: new Map(), byName: new Map() };
}

/** After a request that may have written: the next read rebuilds the index. */
function invalidateIndex(world: SimWorld): void {
  stateOf(world).writes++;
}

function namespacesOf(objects: Obj[]): Obj[] {
  const explicit = objects.filter((o) => o.apiVersion === "v1" && o.kind === "Namespace");
  const explicitNames = new Set(explicit.map((n) => n.metadata.name));
  const names = new Set(systemNamespaces);
  for (const o of objects) if (o.metadata.namespace) names.add(o.metadata.namespace);
  const synthesized: Obj[] = [];
  for (const name of names) {
    if (explicitNames.has(name)) continue;
    synthesized.push({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name,
        uid: uidFor("v1", "Namespace", undefined, name),
        resourceVersion: "1",
        creationTimestamp: DEFAULT_CREATION_TIMESTAMP,
        labels: { "kubernetes.io/metadata.name": name },
      },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    });
  }
  return [...explicit, ...synthesized];
}

/** Every namespace has a "default" service account (the service-account controller recreates it at once). */
function serviceAccountsOf(objects: Obj[], namespaces: Obj[]): Obj[] {
  const explicit = objects.filter((o) => o.apiVersion === "v1" && o.kind === "ServiceAccount");
  const withDefault = new Set(explicit.filter((o) => o.metadata.name === "default").map((o) => o.metadata.namespace));
  const synthesized: Obj[] = [];
  for (const ns of namespaces) {
    const namespace = ns.metadata.name as string;
    if (withDefault.has(namespace)) continue;
    synthesized.push({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        name: "default",
        namespace,
        uid: uidFor("v1", "ServiceAccount", namespace, "default"),
        resourceVersion: "1",
        creationTimestamp: DEFAULT_CREATION_TIMESTAMP,
      },
    });
  }
  return [...explicit, ...synthesized];
}

/** The objects of a type sorted by namespace/name, all or in one namespace (arrays owned by the index). */
function sortedObjectsOf(world: SimWorld, r: ResourceType, namespace: string | undefined): Obj[] {
  const idx = index(world);
  const k = typeKey(r.group, r.kind);
  let s = idx.sorted.get(k);
  if (!s) {
    const all = (idx.byType.get(k) ?? [])
      .map((o) => ({ key: keyOf(o), o }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((e) => e.o);
    const byNamespace = new Map<string, Obj[]>();
    for (const o of all) {
      const ns = o.metadata.namespace ?? "";
      const list = byNamespace.get(ns);
      if (list) list.push(o);
      else byNamespace.set(ns, [o]);
    }
    s = { all, byNamespace };
    idx.sorted.set(k, s);
  }
  return namespace ? (s.byNamespace.get(namespace) ?? []) : s.all;
}

function find(world: SimWorld, r: ResourceType, namespace: string | undefined, name: string): Obj | undefined {
  const idx = index(world);
  const nameKey = (ns: string | undefined, n: string) => (r.namespaced ? `${ns ?? ""}\u0000${n}` : n);
  const k = `${typeKey(r.group, r.kind)}/${r.namespaced}`;
  let names = idx.byName.get(k);
  if (!names) {
    names = new Map();
    for (const o of idx.byType.get(typeKey(r.group, r.kind)) ?? []) {
      if (o.metadata.name === undefined) continue;
      const key = nameKey(o.metadata.namespace, o.metadata.name);
      if (!names.has(key)) names.set(key, o);
    }
    idx.byName.set(k, names);
  }
  return names.get(nameKey(namespace, name));
}

// ---------------------------------------------------------------------------------------------
// Continue tokens (shaped like the real ones: base64 JSON with the next key)

function encodeContinue(resourceVersion: string, startKey: string): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv: Number(resourceVersion), start: `${startKey}\u0000` }))
    .toString("base64")
    .replace(/=+$/, "");
}

function decodeContinue(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { v?: string; start?: string };
    if (parsed.v !== "meta.k8s.io/v1" || typeof parsed.start !== "string") throw new Error("bad token");
    return parsed.start.replace(/\u0000$/, "");
  } catch {
    throw new Error(`continue key is not valid: ${token}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Request parsing

interface ResourceRequest {
  type: ResourceType;
  namespace?: string;
  name?: string;
  sub?: string;
}

function parseResourcePath(world: SimWorld, path: string): ResourceRequest | SimResponse | undefined {
  const segs = path
    .split("/")
    .filter((s) => s.length > 0)
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === "api" && segs.length >= 2) {
    group = "";
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === "apis" && segs.length >= 3) {
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, sub, ...extra] = rest;
  if (!plural || extra.length > 0) return noSuchResource();
  const type = servedTypes(world).find((r) => r.group === group && r.version === version && r.plural === plural);
  if (!type) return noSuchResource();
  if (namespace !== undefined && !type.namespaced) return noSuchResource();
  return { type, namespace, name, sub };
}

function verbOf(method: string, req: ResourceRequest, query: URLSearchParams): string {
  switch (method) {
    case "GET":
      return req.name ? "get" : query.get("watch") === "true" || query.get("watch") === "1" ? "watch" : "list";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return req.name ? "delete" : "deletecollection";
    default:
      return method.toLowerCase();
  }
}

function isForbidden(world: SimWorld, req: ResourceRequest): boolean {
  const names = new Set(world.scenario.kubernetes.forbidden.map((f) => f.toLowerCase()));
  const r = req.type;
  // "pods" forbids every request on pods, subresources included; "pods/log" forbids only the subresource.
  const candidates = [r.plural, qualified(r)];
  if (req.sub) candidates.push(`${r.plural}/${req.sub}`, `${qualified(r)}/${req.sub}`);
  return candidates.some((c) => names.has(c));
}

// ---------------------------------------------------------------------------------------------
// Validation

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validate(o: Obj): { field: string; message: string }[] {
  const causes: { field: string; message: string }[] = [];
  const m = o.metadata ?? {};
  const name = m.name ?? "";
  if (!name) causes.push({ field: "metadata.name", message: "Required value: name or generateName is required" });
  else if (!dns1123Subdomain.test(name) || name.length > 253) {
    causes.push({
      field: "metadata.name",
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    });
  }
  for (const [field, map] of [
    ["metadata.labels", m.labels],
    ["metadata.annotations", m.annotations],
  ] as const) {
    if (map === undefined || map === null) continue;
    if (typeof map !== "object" || Array.isArray(map)) {
      causes.push({ field, message: "Invalid value: expected a map of strings" });
      continue;
    }
    for (const [k, v] of Object.entries(map)) {
      if (typeof v !== "string") {
        causes.push({ field: `${field}.${k}`, message: `Invalid value: ${JSON.stringify(v)}: must be a string` });
      } else if (field === "metadata.labels" && (!labelValue.test(v) || v.length > 63)) {
        causes.push({
          field,
          message: `Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
        });
      }
      if (!labelKey.test(k)) {
        causes.push({
          field,
          message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
        });
      }
    }
  }
  return causes;
}

/** Pods are mostly immutable: only container images and a few scheduling fields may change. */
function podUpdateViolation(before: Obj, after: Obj): string | undefined {
  const strip = (o: Obj) => {
    const spec = clone((o.spec ?? {}) as Record<string, unknown>);
    for (const key of ["containers", "initContainers", "ephemeralContainers"]) {
      const list = spec[key];
      if (Array.isArray(list))
        for (const c of list) if (c && typeof c === "object") delete (c as { image?: unknown }).image;
    }
    delete spec.activeDeadlineSeconds;
    delete spec.tolerations;
    delete spec.terminationGracePeriodSeconds;
    return JSON.stringify(spec);
  };
  if (strip(before) === strip(after)) return undefined;
  return "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) or `spec.terminationGracePeriodSeconds`";
}

// ---------------------------------------------------------------------------------------------
// Patches

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = mergePatch(result[k], v);
  }
  return result;
}

interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

function pointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/")) throw new Error(`invalid JSON pointer "${path}"`);
  return path
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** RFC 6902 JSON patch. */
export function jsonPatch(doc: unknown, ops: JsonPatchOp[]): unknown {
  let root = clone(doc);
  const parentOf = (segs: string[]) => {
    let cur: unknown = root;
    for (const s of segs.slice(0, -1)) {
      if (Array.isArray(cur)) cur = cur[Number(s)];
      else if (isPlainObject(cur)) cur = cur[s];
      else cur = undefined;
      if (cur === undefined) throw new Error(`doc is missing path: "/${segs.join("/")}"`);
    }
    return cur;
  };
  const get = (path: string): unknown => {
    let cur: unknown = root;
    for (const s of pointer(path)) {
      if (Array.isArray(cur)) cur = cur[Number(s)];
      else if (isPlainObject(cur)) cur = cur[s];
      else cur = undefined;
      if (cur === undefined) throw new Error(`doc is missing path: "${path}"`);
    }
    return cur;
  };
  const remove = (path: string): unknown => {
    const segs = pointer(path);
    const parent = parentOf(segs);
    const last = segs[segs.length - 1];
    if (Array.isArray(parent)) {
      const i = Number(last);
      if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw new Error(`doc is missing path: "${path}"`);
      return parent.splice(i, 1)[0];
    }
    if (!isPlainObject(parent) || !Object.hasOwn(parent, last)) throw new Error(`doc is missing path: "${path}"`);
    const v = parent[last];
    delete parent[last];
    return v;
  };
  const add = (path: string, value: unknown, replace: boolean) => {
    const segs = pointer(path);
    if (segs.length === 0) {
      root = clone(value);
      return;
    }
    const parent = parentOf(segs);
    const last = segs[segs.length - 1];
    if (Array.isArray(parent)) {
      const i = last === "-" ? parent.length : Number(last);
      if (!Number.isInteger(i) || i < 0 || i > parent.length || (replace && i >= parent.length)) {
        throw new Error(`unable to ${replace ? "replace" : "add"} at index ${last}: out of bounds`);
      }
      parent.splice(i, replace ? 1 : 0, clone(value));
      return;
    }
    if (!isPlainObject(parent)) throw new Error(`doc is missing path: "${path}"`);
    if (replace && !Object.hasOwn(parent, last))
      throw new Error(`replace operation does not apply: doc is missing key: ${path}`);
    parent[last] = clone(value);
  };
  for (const op of ops) {
    switch (op.op) {
      case "add":
        add(op.path, op.value, false);
        break;
      case "replace":
        add(op.path, op.value, true);
        break;
      case "remove":
        remove(op.path);
        break;
      case "move":
        add(op.path, remove(op.from ?? ""), false);
        break;
      case "copy":
        add(op.path, clone(get(op.from ?? "")), false);
        break;
      case "test":
        if (JSON.stringify(get(op.path)) !== JSON.stringify(op.value))
          throw new Error(`testing value ${op.path} failed`);
        break;
      default:
        throw new Error(`Unexpected kind: ${op.op}`);
    }
  }
  return root;
}

// ---------------------------------------------------------------------------------------------
// Handlers

function listResponse(world: SimWorld, r: ResourceType, req: ResourceRequest, query: URLSearchParams): SimResponse {
  let labelReqs: Requirement[] = [];
  let fieldReqs: FieldRequirement[] = [];
  try {
    const ls = query.get("labelSelector");
    if (ls) labelReqs = parseLabelSelector(ls);
    const fs = query.get("fieldSelector");
    if (fs) fieldReqs = parseFieldSelector(fs, r.kind);
  } catch (err) {
    return badRequest((err as Error).message);
  }
  let items = sortedObjectsOf(world, r, req.namespace || undefined);
  if (labelReqs.length > 0 || fieldReqs.length > 0) {
    items = items.filter((o) => matchesLabels(o.metadata.labels, labelReqs) && matchesFields(o, fieldReqs));
  }
  const listRv = String(stateOf(world).resourceVersion);
  const token = query.get("continue");
  if (token) {
    let start: string;
    try {
      start = decodeContinue(token);
    } catch (err) {
      return badRequest((err as Error).message);
    }
    items = items.filter((o) => keyOf(o) >= start);
  }
  const limit = Number(query.get("limit") ?? "0");
  const metadata: Record<string, unknown> = { resourceVersion: listRv };
  if (Number.isInteger(limit) && limit > 0 && items.length > limit) {
    metadata.continue = encodeContinue(listRv, keyOf(items[limit]));
    metadata.remainingItemCount = items.length - limit;
    items = items.slice(0, limit);
  }
  return {
    status: 200,
    body: {
      kind: `${r.kind}List`,
      apiVersion: gvString(r.group, r.version),
      metadata,
      items: items.map((o) => view(r, o, true)),
    },
  };
}

function readBody(req: SimRequest): unknown {
  const text = req.text();
  if (!text.trim()) throw new Error("the body of the request was empty");
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`the body of the request was in an unknown format: ${(err as Error).message}`);
  }
}

const isDryRun = (q: URLSearchParams) => q.getAll("dryRun").includes("All");

function checkIdentity(
  r: ResourceType,
  req: ResourceRequest,
  body: unknown,
): { obj: Obj; error?: undefined } | { error: SimResponse } {
  if (!isPlainObject(body)) return { error: badRequest("the body of the request must be a JSON object") };
  const o = body as Obj;
  const want = gvString(r.group, r.version);
  if (o.kind !== undefined && o.kind !== r.kind) {
    return { error: badRequest(`the kind in the data (${o.kind}) does not match the expected kind (${r.kind})`) };
  }
  if (o.apiVersion !== undefined && o.apiVersion !== want) {
    return {
      error: badRequest(
        `the API version in the data (${o.apiVersion}) does not match the expected API version (${want})`,
      ),
    };
  }
  o.apiVersion = want;
  o.kind = r.kind;
  o.metadata = isPlainObject(o.metadata) ? (o.metadata as Meta) : {};
  if (r.namespaced) {
    if (o.metadata.namespace && o.metadata.namespace !== req.namespace) {
      return {
        error: badRequest("the namespace of the provided object does not match the namespace sent on the request"),
      };
    }
    o.metadata.namespace = req.namespace;
  } else delete o.metadata.namespace;
  return { obj: o };
}

const nameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

function generatedName(world: SimWorld, prefix: string): string {
  const s = stateOf(world);
  s.generated += 1;
  const h = createHash("sha256").update(`${prefix}${s.generated}`).digest();
  let suffix = "";
  for (let i = 0; i < 5; i++) suffix += nameAlphabet[h[i] % nameAlphabet.length];
  return `${prefix}${suffix}`;
}

function create(world: SimWorld, req: SimRequest, rr: ResourceRequest): SimResponse {
  const r = rr.type;
  let body: unknown;
  try {
    body = readBody(req);
  } catch (err) {
    return badRequest((err as Error).message);
  }
  const checked = checkIdentity(r, rr, body);
  if (checked.error) return checked.error;
  const o = checked.obj;
  if (!o.metadata.name && o.metadata.generateName) o.metadata.name = generatedName(world, o.metadata.generateName);
  const causes = validate(o);
  if (causes.length) return invalid(r, o.metadata.name ?? "", causes);
  const name = o.metadata.name as string;
  const namespaces = index(world).byType.get(typeKey("", "Namespace")) ?? [];
  if (r.namespaced && !namespaces.some((n) => n.metadata.name === rr.namespace)) {
    return status(404, "NotFound", `namespaces "${rr.namespace}" not found`, {
      name: rr.namespace,
      kind: "namespaces",
    });
  }
  if (find(world, r, rr.namespace, name)) {
    return status(409, "AlreadyExists", `${qualified(r)} "${name}" already exists`, {
      name,
      ...(r.group ? { group: r.group } : {}),
      kind: r.plural,
    });
  }
  const dryRun = isDryRun(req.query);
  o.metadata.uid = randomUUID();
  o.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  delete o.metadata.deletionTimestamp;
  if (r.kind === "Namespace" && r.group === "") {
    o.metadata.labels = { ...(o.metadata.labels ?? {}), "kubernetes.io/metadata.name": name };
    o.status = { phase: "Active" };
  }
  if (!dryRun) {
    o.metadata.resourceVersion = nextResourceVersion(world);
    store(world).push(o);
  } else delete o.metadata.resourceVersion;
  return { status: 201, body: view(r, o, false) };
}

/** Store `next` in place of `current` (keeping server-owned metadata), unless this is a dry run. */
function commitUpdate(world: SimWorld, req: SimRequest, r: ResourceType, current: Obj, next: Obj): SimResponse {
  const name = current.metadata.name as string;
  if (next.metadata?.name !== undefined && next.metadata.name !== name) {
    return badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`);
  }
  next.apiVersion = current.apiVersion;
  next.kind = current.kind;
  next.metadata = {
    ...(isPlainObject(next.metadata) ? next.metadata : {}),
    name,
    uid: current.metadata.uid,
    creationTimestamp: current.metadata.creationTimestamp,
  };
  if (r.namespaced) next.metadata.namespace = current.metadata.namespace;
  else delete next.metadata.namespace;
  if (r.kind === "Namespace" && r.group === "") {
    next.metadata.labels = { ...(next.metadata.labels ?? {}), "kubernetes.io/metadata.name": name };
  }
  const causes = validate(next);
  if (r.kind === "Pod" && r.group === "") {
    const violation = podUpdateViolation(current, next);
    if (violation) causes.push({ field: "spec", message: violation });
  }
  if (causes.length) return invalid(r, name, causes);
  if (isDryRun(req.query)) {
    next.metadata.resourceVersion = current.metadata.resourceVersion;
    return { status: 200, body: view(r, next, false) };
  }
  next.metadata.resourceVersion = nextResourceVersion(world);
  const objects = store(world);
  const i = objects.indexOf(current);
  // A synthesized namespace becomes a stored object the first time it changes.
  if (i === -1) objects.push(next);
  else objects[i] = next;
  type Rolled = Parameters<typeof rollOut>[2];
  rollOut(world, objects as unknown as Rolled[], current as unknown as Rolled, next as unknown as Rolled, (pod) => {
    pod.metadata.uid = randomUUID();
    pod.metadata.resourceVersion = nextResourceVersion(world);
    pod.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  });
  return { status: 200, body: view(r, next, false) };
}

function replace(world: SimWorld, req: SimRequest, rr: ResourceRequest, current: Obj): SimResponse {
  const r = rr.type;
  let body: unknown;
  try {
    body = readBody(req);
  } catch (err) {
    return badRequest((err as Error).message);
  }
  const checked = checkIdentity(r, rr, body);
  if (checked.error) return checked.error;
  const next = checked.obj;
  const sentRv = next.metadata.resourceVersion;
  if (sentRv && sentRv !== current.metadata.resourceVersion) {
    return status(
      409,
      "Conflict",
      `Operation cannot be fulfilled on ${qualified(r)} "${current.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name: current.metadata.name, ...(r.group ? { group: r.group } : {}), kind: r.plural },
    );
  }
  return commitUpdate(world, req, r, current, next);
}

function patch(world: SimWorld, req: SimRequest, rr: ResourceRequest, current: Obj): SimResponse {
  const r = rr.type;
  const contentType = String(req.headers["content-type"] ?? "")
    .split(";")[0]
    .trim()
    .toLowerCase();
  let body: unknown;
  try {
    body = readBody(req);
  } catch (err) {
    return badRequest((err as Error).message);
  }
  let next: unknown;
  try {
    if (contentType === "application/merge-patch+json" || contentType === "application/strategic-merge-patch+json") {
      if (!isPlainObject(body)) return badRequest("a merge patch must be a JSON object");
      next = mergePatch(clone(current), body);
    } else if (contentType === "application/json-patch+json") {
      if (!Array.isArray(body)) return badRequest("a JSON patch must be a JSON array of operations");
      next = jsonPatch(current, body as JsonPatchOp[]);
    } else {
      return status(
        415,
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
      );
    }
  } catch (err) {
    return status(422, "Invalid", (err as Error).message);
  }
  if (!isPlainObject(next)) return badRequest("the patched object is not a JSON object");
  // A resourceVersion in a patch is a precondition, as on the real API server.
  const sentRv = (next as Obj).metadata?.resourceVersion;
  if (sentRv !== undefined && sentRv !== current.metadata.resourceVersion) {
    return status(
      409,
      "Conflict",
      `Operation cannot be fulfilled on ${qualified(r)} "${current.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name: current.metadata.name, ...(r.group ? { group: r.group } : {}), kind: r.plural },
    );
  }
  return commitUpdate(world, req, r, current, next as Obj);
}

function remove(world: SimWorld, req: SimRequest, rr: ResourceRequest, current: Obj): SimResponse {
  const r = rr.type;
  if (!isDryRun(req.query)) {
    const objects = store(world);
    const i = objects.indexOf(current);
    if (i !== -1) objects.splice(i, 1);
    if (r.kind === "Namespace" && r.group === "") {
      // Deleting a namespace deletes what it holds.
      const ns = current.metadata.name;
      for (let j = objects.length - 1; j >= 0; j--) if (objects[j].metadata.namespace === ns) objects.splice(j, 1);
    }
    nextResourceVersion(world);
  }
  return {
    status: 200,
    body: {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Success",
      details: {
        name: current.metadata.name,
        ...(r.group ? { group: r.group } : {}),
        kind: r.plural,
        uid: current.metadata.uid,
      },
    },
  };
}

async function tokenRequest(world: SimWorld, req: SimRequest, rr: ResourceRequest, sa: Obj): Promise<SimResponse> {
  let body: unknown = {};
  try {
    if (req.text().trim()) body = readBody(req);
  } catch (err) {
    return badRequest((err as Error).message);
  }
  const spec = (isPlainObject(body) && isPlainObject(body.spec) ? body.spec : {}) as {
    audiences?: unknown;
    expirationSeconds?: unknown;
    boundObjectRef?: { kind?: string; name?: string; uid?: string; apiVersion?: string } | null;
  };
  const issuer = world.scenario.kubernetes.issuer;
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences.map(String) : [issuer];
  const expirationSeconds = spec.expirationSeconds == null ? 3600 : Number(spec.expirationSeconds);
  const trType: ResourceType = t("authentication.k8s.io", "v1", "TokenRequest", true);
  const name = sa.metadata.name as string;
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < 600) {
    return invalid(trType, name, [
      {
        field: "spec.expirationSeconds",
        message: `Invalid value: ${spec.expirationSeconds}: may not specify a duration less than 10 minutes`,
      },
    ]);
  }
  if (expirationSeconds > 2 ** 32) {
    return invalid(trType, name, [
      {
        field: "spec.expirationSeconds",
        message: `Invalid value: ${expirationSeconds}: may not specify a duration larger than 2^32 seconds`,
      },
    ]);
  }
  const claims: Record<string, unknown> = {
    namespace: rr.namespace,
    serviceaccount: { name, uid: sa.metadata.uid },
  };
  let boundObjectRef: unknown = null;
  if (spec.boundObjectRef) {
    const ref = spec.boundObjectRef;
    const podType = builtinTypes.find((x) => x.kind === "Pod") as ResourceType;
    if (ref.kind !== "Pod" && ref.kind !== "Secret") {
      return invalid(trType, name, [
        {
          field: "spec.boundObjectRef.kind",
          message: `Unsupported value: "${ref.kind}": supported values: "Pod", "Secret"`,
        },
      ]);
    }
    if (ref.kind === "Pod") {
      const pod = find(world, podType, rr.namespace, ref.name ?? "");
      if (!pod) return notFound(podType, ref.name ?? "");
      if (ref.uid && ref.uid !== pod.metadata.uid) {
        return status(
          409,
          "Conflict",
          `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
        );
      }
      claims.pod = { name: pod.metadata.name, uid: pod.metadata.uid };
    }
    boundObjectRef = { kind: ref.kind, apiVersion: ref.apiVersion ?? "v1", name: ref.name, uid: ref.uid };
  }
  const now = Math.floor(Date.now() / 1000);
  const exp = now + expirationSeconds;
  const key = world.issuerKeys.signing;
  const token = await new SignJWT({ "kubernetes.io": claims })
    .setProtectedHeader({ alg: "RS256", kid: key.kid })
    .setIssuer(issuer)
    .setSubject(`system:serviceaccount:${rr.namespace}:${name}`)
    .setAudience(audiences)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(exp)
    .setJti(randomUUID())
    .sign(key.privateKey);
  return {
    status: 201,
    body: {
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { name, namespace: rr.namespace, creationTimestamp: null },
      spec: { audiences, expirationSeconds, boundObjectRef },
      status: { token, expirationTimestamp: new Date(exp * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") },
    },
  };
}

function podLog(world: SimWorld, req: SimRequest, rr: ResourceRequest, pod: Obj): SimResponse {
  const containers = (((pod.spec ?? {}) as { containers?: { name?: string }[] }).containers ?? [])
    .map((c) => c.name)
    .filter((n): n is string => typeof n === "string");
  const podName = pod.metadata.name as string;
  let container = req.query.get("container") ?? undefined;
  if (container && containers.length > 0 && !containers.includes(container)) {
    return badRequest(`container ${container} is not valid for pod ${podName}`);
  }
  if (!container && containers.length > 1) {
    return badRequest(
      `a container name must be specified for pod ${podName}, choose one of: [${containers.join(" ")}]`,
    );
  }
  container ??= containers[0];
  const logs = world.scenario.kubernetes.logs;
  const base = `${rr.namespace}/${podName}`;
  let text = (container !== undefined ? logs[`${base}/${container}`] : undefined) ?? logs[base] ?? "";
  if (req.query.get("previous") === "true") {
    // The previous run's log is kept only after a restart: "<namespace>/<pod>/<container>/previous" in the scenario.
    const previous = logs[`${base}/${container}/previous`] ?? logs[`${base}/previous`];
    if (previous === undefined) {
      return badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
    }
    text = previous;
  }
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  let kept = lines;
  const since = Number(req.query.get("sinceSeconds") ?? "");
  if (Number.isFinite(since) && since > 0) {
    // Lines that start with an RFC 3339 time can be filtered; others are kept (their time is unknown).
    const cutoff = Date.now() - since * 1000;
    kept = kept.filter((l) => {
      const m = l.match(/^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))/);
      return !m || Date.parse(m[1]) >= cutoff;
    });
  }
  const tail = Number(req.query.get("tailLines") ?? "");
  if (Number.isInteger(tail) && tail >= 0 && req.query.has("tailLines")) kept = tail === 0 ? [] : kept.slice(-tail);
  text = kept.length ? `${kept.join("\n")}\n` : "";
  const limitBytes = Number(req.query.get("limitBytes") ?? "");
  let body = Buffer.from(text, "utf8");
  if (Number.isInteger(limitBytes) && limitBytes > 0 && body.length > limitBytes) body = body.subarray(0, limitBytes);
  return { status: 200, headers: { "content-type": "text/plain" }, body };
}

// ---------------------------------------------------------------------------------------------
// Discovery

function versionInfo(world: SimWorld) {
  const raw = world.scenario.kubernetes.version.replace(/^v/, "");
  const [major = "1", minor = "0", patchLevel] = raw.split(".");
  const gitVersion = `v${major}.${minor}.${patchLevel ?? "0"}`;
  return {
    major,
    minor,
    gitVersion,
    gitCommit: createHash("sha1").update(gitVersion).digest("hex"),
    gitTreeState: "clean",
    buildDate: DEFAULT_CREATION_TIMESTAMP,
    goVersion: "go1.22.5",
    compiler: "gc",
    platform: "linux/amd64",
  };
}

function groupsOf(world: SimWorld) {
  const byGroup = new Map<string, Set<string>>();
  for (const r of servedTypes(world)) {
    if (!r.group) continue;
    if (!byGroup.has(r.group)) byGroup.set(r.group, new Set());
    byGroup.get(r.group)?.add(r.version);
  }
  return [...byGroup.entries()].map(([name, versions]) => {
    const list = [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
    return { name, versions: list, preferredVersion: list[0] };
  });
}

function resourceList(world: SimWorld, group: string, version: string) {
  const resources: Record<string, unknown>[] = [];
  for (const r of servedTypes(world).filter((x) => x.group === group && x.version === version)) {
    resources.push({
      name: r.plural,
      singularName: r.kind.toLowerCase(),
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: rw,
      ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
    });
    if (group === "" && r.kind === "Pod") {
      resources.push({ name: "pods/log", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] });
    }
    if (group === "" && r.kind === "ServiceAccount") {
      resources.push({
        name: "serviceaccounts/token",
        singularName: "",
        namespaced: true,
        group: "authentication.k8s.io",
        version: "v1",
        kind: "TokenRequest",
        verbs: ["create"],
      });
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: gvString(group, version), resources };
}

// ---------------------------------------------------------------------------------------------

function authorized(req: SimRequest): boolean {
  const h = req.headers.authorization;
  return typeof h === "string" && h === `Bearer ${SIM_KUBE_TOKEN}`;
}

async function handle(req: SimRequest, world: SimWorld): Promise<SimResponse | undefined> {
  const path = req.path.replace(/\/+$/, "") || "/";
  if (req.method === "GET" && path === "/version") return { status: 200, body: versionInfo(world) };
  if (req.method === "GET" && (path === "/healthz" || path === "/livez" || path === "/readyz")) {
    return { status: 200, headers: { "content-type": "text/plain" }, body: "ok" };
  }
  if (!authorized(req)) return status(401, "Unauthorized", "Unauthorized");
  const review = authReview(world, SIM_KUBE_USER, req, path);
  if (review) return review;

  const issuer = world.scenario.kubernetes.issuer;
  if (req.method === "GET" && path === "/.well-known/openid-configuration") {
    return { status: 200, body: discoveryDocument(issuer) };
  }
  if (req.method === "GET" && path === "/openid/v1/jwks") {
    return {
      status: 200,
      headers: { "content-type": "application/jwk-set+json" },
      body: JSON.stringify(jwksDocument(world)),
    };
  }
  if (req.method === "GET" && path === "/api") {
    return {
      status: 200,
      body: {
        kind: "APIVersions",
        versions: ["v1"],
        serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: `${world.apiServerHost}:443` }],
      },
    };
  }
  if (req.method === "GET" && path === "/apis") {
    return { status: 200, body: { kind: "APIGroupList", apiVersion: "v1", groups: groupsOf(world) } };
  }
  const segs = path.split("/").filter((s) => s.length > 0);
  if (req.method === "GET" && segs[0] === "api" && segs.length === 2) {
    return segs[1] === "v1" ? { status: 200, body: resourceList(world, "", "v1") } : noSuchResource();
  }
  if (req.method === "GET" && segs[0] === "apis" && segs.length === 2) {
    const g = groupsOf(world).find((x) => x.name === segs[1]);
    return g ? { status: 200, body: { kind: "APIGroup", apiVersion: "v1", ...g } } : noSuchResource();
  }
  if (req.method === "GET" && segs[0] === "apis" && segs.length === 3) {
    const served = servedTypes(world).some((r) => r.group === segs[1] && r.version === segs[2]);
    return served ? { status: 200, body: resourceList(world, segs[1], segs[2]) } : noSuchResource();
  }

  if (req.method === "POST" && path === "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") {
    return selfSubjectAccessReview(req, world);
  }
  const parsed = parseResourcePath(world, path);
  if (parsed === undefined) return undefined;
  if (!("type" in parsed)) return parsed;
  const rr = parsed;
  const r = rr.type;
  const verb = verbOf(req.method, rr, req.query);
  if (isForbidden(world, rr)) return forbidden(r, verb, rr.sub, rr.namespace, rr.name);
  if (r.namespaced && rr.namespace === undefined && rr.name !== undefined) return noSuchResource();

  if (!rr.name) {
    if (verb === "watch") {
      return watchAnswer(req, r.kind, gvString(r.group, r.version), String(stateOf(world).resourceVersion));
    }
    if (req.method === "GET") {
      world.stats.byService["kubernetes.list"] = (world.stats.byService["kubernetes.list"] ?? 0) + 1;
      return listResponse(world, r, rr, req.query);
    }
    if (req.method === "POST") {
      if (r.namespaced && rr.namespace === undefined)
        return status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
      return create(world, req, rr);
    }
    return status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  }

  const current = find(world, r, rr.namespace, rr.name);
  if (rr.sub) {
    if (r.group === "" && r.kind === "Pod" && rr.sub === "log" && req.method === "GET") {
      return current ? podLog(world, req, rr, current) : notFound(r, rr.name);
    }
    if (r.group === "" && r.kind === "ServiceAccount" && rr.sub === "token" && req.method === "POST") {
      return current ? tokenRequest(world, req, rr, current) : notFound(r, rr.name);
    }
    return noSuchResource();
  }
  if (!current) return notFound(r, rr.name);
  switch (req.method) {
    case "GET":
      return { status: 200, body: view(r, current, false) };
    case "PUT":
      return replace(world, req, rr, current);
    case "PATCH":
      return patch(world, req, rr, current);
    case "DELETE":
      return remove(world, req, rr, current);
    default:
      return status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  }
}

/** POSTs that create nothing: access and token reviews, and TokenRequest (a service account's token subresource). */
const READ_ONLY_POST =
  /^\/apis\/(authorization\.k8s\.io\/v1\/(self)?subjectaccessreviews|authorization\.k8s\.io\/v1\/selfsubjectrulesreviews|authentication\.k8s\.io\/v1\/tokenreviews)\/?$|^\/api\/v1\/namespaces\/[^/]+\/serviceaccounts\/[^/]+\/token\/?$/;

export const kubernetesService: SimService = {
  name: "kubernetes",
  matches: (host, world) => host === world.apiServerHost,
  handle: async (req, world) => {
    // Reads, reviews and token requests never change the store; anything else may.
    if (req.method === "GET" || (req.method === "POST" && READ_ONLY_POST.test(req.path))) {
      return asTable(req, await handle(req, world));
    }
    try {
      return await handle(req, world);
    } finally {
      invalidateIndex(world);
    }
  },
  notFound: () => ({
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8" },
    body: "404 page not found\n",
  }),
};
