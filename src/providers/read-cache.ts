// A read cache shared by every provider made over one Environment (for a cluster-wide audit): each distinct read
// runs once, and reads of resources the cache holds a snapshot of (every pod, every service account, …) are
// answered from that snapshot by namespace, name, label and field selector, without a request.
import type { Environment } from "./environment.js";

/** The environment property the cache travels in: a symbol, so it survives `{ ...env }` copies. */
const READ_CACHE = Symbol.for("wi-doctor.read-cache");

export interface Snapshot {
  /** Undefined: every namespace; otherwise only this namespace is held. */
  namespace?: string;
  items: Promise<SnapshotObject[]>;
}

export interface SnapshotObject {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

export class ReadCache {
  private readonly memo = new Map<string, Promise<unknown>>();
  /** Keyed by resource: "pods", "serviceaccounts", "deployments.apps", "azureidentitybindings.aadpodidentity.k8s.io". */
  readonly snapshots = new Map<string, Snapshot>();
  hits = 0;

  once<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.memo.get(key);
    if (hit) {
      this.hits++;
      return hit as Promise<T>;
    }
    const value = load();
    this.memo.set(key, value);
    // A failed read is not remembered: cancellation or a timeout in one diagnosis must not poison the next.
    value.catch(() => this.memo.delete(key));
    return value;
  }

  /** The snapshot of `resource` that covers `namespace` (undefined: every namespace), if any. */
  snapshotFor(resource: string, namespace: string | undefined): Snapshot | undefined {
    const s = this.snapshots.get(resource);
    if (!s) return undefined;
    return s.namespace === undefined || s.namespace === namespace ? s : undefined;
  }
}

/** Marks an environment whose token requests serve the issuer checks only (see withSharedIssuerTokens). */
const SHARED_ISSUER_TOKENS = Symbol.for("wi-doctor.shared-issuer-tokens");

/**
 * A copy of `env` (which must carry a read cache) whose service-account tokens are requested once per audience
 * and lifetime and shared: for the first pass of an audit, where a token only serves the checks that are the same
 * for every service account of the cluster (its issuer, its signing key). The copy never exchanges a token
 * (allowExchange is off): a shared token names another service account, so it must not reach a token endpoint.
 */
export function withSharedIssuerTokens(env: Environment): Environment {
  return { ...env, allowExchange: false, [SHARED_ISSUER_TOKENS]: true } as Environment;
}

export function sharesIssuerTokens(env: Environment): boolean {
  return (env as unknown as Record<symbol, boolean | undefined>)[SHARED_ISSUER_TOKENS] === true;
}

export function readCacheOf(env: Environment): ReadCache | undefined {
  return (env as unknown as Record<symbol, ReadCache | undefined>)[READ_CACHE];
}

/** A copy of `env` whose providers share `cache`. */
export function withReadCache(env: Environment, cache: ReadCache): Environment {
  return { ...env, [READ_CACHE]: cache } as Environment;
}

const keyOf = (name: string, args: unknown[]) =>
  `${name}:${JSON.stringify(args.filter((a) => !(a instanceof AbortSignal)))}`;

/**
 * Make the named read methods of a provider go through the environment's read cache (a no-op without one).
 * `answer` may serve a call from a snapshot; it returns undefined to let the call through.
 */
export function cacheReads<T extends object>(
  env: Environment,
  provider: T,
  methods: (keyof T & string)[],
  answer?: (cache: ReadCache, method: string, args: unknown[]) => Promise<unknown> | undefined,
  /** Distinguishes providers of one class that read different places (e.g. an AWS region). */
  scope = "",
): void {
  const cache = readCacheOf(env);
  if (!cache) return;
  const target = provider as Record<string, unknown>;
  for (const m of methods) {
    const original = target[m] as (...args: unknown[]) => Promise<unknown>;
    if (typeof original !== "function") continue;
    target[m] = (...args: unknown[]) =>
      answer?.(cache, m, args) ??
      cache.once(`${provider.constructor.name}${scope}.${keyOf(m, args)}`, () => original.apply(provider, args));
  }
}

// ---------------------------------------------------------------------------------------------
// Selectors, evaluated in memory the way the API server evaluates them.

type LabelRequirement = { key: string; op: "=" | "!=" | "in" | "notin" | "exists" | "!exists"; values: string[] };

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
  if (cur.trim()) parts.push(cur);
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** Undefined when the selector is not one this evaluator understands (the caller then asks the server). */
export function parseLabelSelector(selector: string | undefined): LabelRequirement[] | undefined {
  if (!selector) return [];
  const reqs: LabelRequirement[] = [];
  for (const part of splitTopLevel(selector)) {
    let m = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
    if (m) {
      reqs.push({ key: m[1], op: m[2] as "in" | "notin", values: m[3].split(",").map((v) => v.trim()) });
      continue;
    }
    m = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)$/.exec(part);
    if (m) {
      reqs.push({ key: m[1], op: m[2] === "!=" ? "!=" : "=", values: [m[3]] });
      continue;
    }
    m = /^(!?)([^\s!=(),]+)$/.exec(part);
    if (m) {
      reqs.push({ key: m[2], op: m[1] ? "!exists" : "exists", values: [] });
      continue;
    }
    return undefined;
  }
  return reqs;
}

export function matchesLabels(labels: Record<string, string> | undefined, reqs: LabelRequirement[]): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case "exists":
        return has;
      case "!exists":
        return !has;
      case "=":
        return has && l[r.key] === r.values[0];
      case "!=":
        return !has || l[r.key] !== r.values[0];
      case "in":
        return has && r.values.includes(l[r.key]);
      case "notin":
        return !has || !r.values.includes(l[r.key]);
      default:
        return false;
    }
  });
}

const fieldPaths: Record<string, (o: SnapshotObject) => unknown> = {
  "metadata.name": (o) => o.metadata?.name,
  "metadata.namespace": (o) => o.metadata?.namespace,
  "spec.serviceAccountName": (o) => o.spec?.serviceAccountName ?? "",
  "spec.nodeName": (o) => o.spec?.nodeName ?? "",
  "status.phase": (o) => o.status?.phase ?? "",
};

type FieldRequirement = { path: string; get: (o: SnapshotObject) => unknown; equal: boolean; want: string };

const fieldText = (f: FieldRequirement, o: SnapshotObject) => String(f.get(o) ?? "");

function parseFieldSelector(selector: string | undefined): FieldRequirement[] | undefined {
  if (!selector) return [];
  const reqs: FieldRequirement[] = [];
  for (const part of selector.split(",").map((p) => p.trim())) {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    const get = m ? fieldPaths[m[1]] : undefined;
    if (!m || !get) return undefined;
    reqs.push({ path: m[1], get, equal: m[2] !== "!=", want: m[3] });
  }
  return reqs;
}

/** A field-selector predicate, or undefined for fields this evaluator does not know. */
export function fieldPredicate(selector: string | undefined): ((o: SnapshotObject) => boolean) | undefined {
  const reqs = parseFieldSelector(selector);
  return reqs && ((o) => matchesFields(o, reqs));
}

function matchesFields(o: SnapshotObject, reqs: FieldRequirement[]): boolean {
  return reqs.every((f) => (fieldText(f, o) === f.want) === f.equal);
}

/**
 * Objects of a snapshot in `namespace` (undefined: all) matching the selectors; undefined (decided at once) when
 * a selector cannot be evaluated here, so the caller asks the server.
 */
export function selectFrom<T>(
  s: Snapshot,
  namespace: string | undefined,
  selectors: { labelSelector?: string; fieldSelector?: string } = {},
): Promise<T[]> | undefined {
  const labels = parseLabelSelector(selectors.labelSelector);
  const fields = parseFieldSelector(selectors.fieldSelector);
  if (!labels || !fields) return undefined;
  return indexOf(s).then((index) => {
    const within = namespace === undefined ? index.all : (index.byNamespace.get(namespace) ?? []);
    if (labels.length === 0 && fields.length === 0) return within.slice() as T[];
    return narrowest(index, namespace, within, labels, fields).filter(
      (o) => matchesLabels(o.metadata?.labels, labels) && matchesFields(o, fields),
    ) as T[];
  });
}

/**
 * A snapshot's objects by namespace, and (built on first use) by the value of one label or field within a
 * namespace: an audit makes thousands of reads, each of one namespace and most by name or by an equality selector.
 */
interface SnapshotIndex {
  all: SnapshotObject[];
  byNamespace: Map<string | undefined, SnapshotObject[]>;
  /** "namespace\0l:key" or "namespace\0f:path" → value → objects. */
  byValue: Map<string, Map<string, SnapshotObject[]>>;
  /** Each object's place in `all`, to keep the server's order when lists are joined. */
  position: Map<SnapshotObject, number>;
}

const snapshotIndex = new WeakMap<Snapshot, Promise<SnapshotIndex>>();

function indexOf(s: Snapshot): Promise<SnapshotIndex> {
  let index = snapshotIndex.get(s);
  if (!index) {
    index = s.items.then((all) => {
      const byNamespace = new Map<string | undefined, SnapshotObject[]>();
      for (const o of all) pushTo(byNamespace, o.metadata?.namespace, o);
      return { all, byNamespace, byValue: new Map(), position: new Map(all.map((o, i) => [o, i])) };
    });
    snapshotIndex.set(s, index);
  }
  return index;
}

function pushTo<K>(m: Map<K, SnapshotObject[]>, key: K, o: SnapshotObject): void {
  const list = m.get(key);
  if (list) list.push(o);
  else m.set(key, [o]);
}

/** The fewest objects that can match: those holding the value of the most selective equality requirement. */
function narrowest(
  index: SnapshotIndex,
  namespace: string | undefined,
  within: SnapshotObject[],
  labels: LabelRequirement[],
  fields: FieldRequirement[],
): SnapshotObject[] {
  const byValue = (attr: string, value: (o: SnapshotObject) => string | undefined) => {
    const key = `${namespace ?? "\u0001"}\u0000${attr}`;
    let m = index.byValue.get(key);
    if (!m) {
      m = new Map();
      for (const o of within) {
        const v = value(o);
        if (v !== undefined) pushTo(m, v, o);
      }
      index.byValue.set(key, m);
    }
    return m;
  };
  let best = within;
  for (const r of labels) {
    if (r.op !== "=" && r.op !== "in") continue;
    const m = byValue(`l:${r.key}`, (o) => {
      const l = o.metadata?.labels;
      return l && Object.hasOwn(l, r.key) && typeof l[r.key] === "string" ? l[r.key] : undefined;
    });
    // "key in (a,b)": the objects indexed under each value (an object has one value per key, so no repeats).
    const c =
      r.op === "="
        ? (m.get(r.values[0]) ?? [])
        : [...new Set(r.values)]
            .flatMap((v) => m.get(v) ?? [])
            .sort((a, b) => (index.position.get(a) ?? 0) - (index.position.get(b) ?? 0));
    if (c.length < best.length) best = c;
  }
  for (const f of fields) {
    if (!f.equal) continue;
    const c = byValue(`f:${f.path}`, (o) => fieldText(f, o)).get(f.want) ?? [];
    if (c.length < best.length) best = c;
  }
  return best;
}
