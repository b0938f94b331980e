// Scenario overlays (docs/scenarios.md, "Overlays"): `extends:` names a base world and the rest of the file patches it.
// Mappings merge key by key (null removes a key); lists of mappings merge item by item on a key (a resource's kind,
// namespace and name; a stable field per section; `name` elsewhere) with `$patch: delete` to drop an item and a leading
// `{ $patch: replace }` to replace the whole list; any other value replaces the base's.

type Json = unknown;
type Dict = Record<string, Json>;

/** A problem in one overlay file: the field's dotted path and what is wrong with it. */
export class PatchError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field || "(root)"}: ${message}`);
    this.name = "PatchError";
  }
}

const isDict = (v: Json): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);

/** How the items of one list are told apart: a function of the item, or undefined when an item has no key. */
type KeyOf = (item: Dict) => string | undefined;

const str = (v: Json) => (typeof v === "string" ? v : undefined);
const fields =
  (...names: string[]): KeyOf =>
  (item) => {
    const parts = names.map((n) => str(item[n]));
    return parts.every((p) => p !== undefined) ? parts.join("\0") : undefined;
  };

/** A Kubernetes object: kind, namespace (absent for cluster-scoped objects) and name. */
const objectKey: KeyOf = (item) => {
  const meta = item.metadata;
  if (!isDict(meta) || typeof item.kind !== "string" || typeof meta.name !== "string") return undefined;
  return `${item.kind}\0${str(meta.namespace) ?? ""}\0${meta.name}`;
};

/** The key of each keyed section, by its path with list indexes written as `*`. Other lists: `name`, when all have one. */
export const LIST_KEYS: Record<string, { describe: string; keyOf: KeyOf }> = {
  "kubernetes.objects": { describe: "kind, metadata.namespace and metadata.name", keyOf: objectKey },
  "kubernetes.callers": { describe: "username", keyOf: fields("username") },
  "azure.managedClusters": { describe: "name", keyOf: fields("name") },
  "azure.userAssignedIdentities": { describe: "name", keyOf: fields("name") },
  "azure.applications": { describe: "appId", keyOf: fields("appId") },
  "azure.roleAssignments": {
    describe: "principalId, roleDefinitionName and scope",
    keyOf: fields("principalId", "roleDefinitionName", "scope"),
  },
  "azure.keyVaults": { describe: "name", keyOf: fields("name") },
  "azure.keyVaults.*.accessPolicies": { describe: "objectId", keyOf: fields("objectId") },
  "azure.deletedKeyVaults": { describe: "name", keyOf: fields("name") },
  "azure.virtualMachineScaleSets": { describe: "name", keyOf: fields("name") },
  "aws.clusters": { describe: "name", keyOf: fields("name") },
  "aws.oidcProviders": { describe: "url", keyOf: fields("url") },
  "aws.roles": { describe: "roleName", keyOf: fields("roleName") },
  "aws.podIdentityAssociations": {
    describe: "clusterName, namespace and serviceAccount",
    keyOf: fields("clusterName", "namespace", "serviceAccount"),
  },
};

const byName = fields("name");

const DIRECTIVE = "$patch";

function pathString(path: (string | number)[]): string {
  return path.join(".");
}

/** A path with list indexes written as `*`, as LIST_KEYS names sections. */
const shapeOf = (path: (string | number)[]) => path.map((p) => (typeof p === "number" ? "*" : p)).join(".");

/** The key rule for a list at `path`, or undefined when the patch list replaces the base list. */
export function listKey(path: (string | number)[], base: Json[], patch: Json[]): KeyOf | undefined {
  const known = LIST_KEYS[shapeOf(path)];
  if (known) return known.keyOf;
  const all = [...base, ...patch];
  if (!all.length || !all.every((i) => isDict(i) && byName(i) !== undefined)) return undefined;
  const names = base.map((i) => byName(i as Dict));
  return new Set(names).size === names.length ? byName : undefined;
}

/**
 * A patch value with nothing under it (a new item, or a replacement): its directives applied, copied only where one
 * was (a world of 10,000 new pods is walked, not copied).
 */
function fresh(patch: Json, path: (string | number)[]): Json {
  if (!needsWork(patch)) return patch;
  if (Array.isArray(patch)) {
    if (patch.length && isReplaceMarker(patch[0])) return freshItems(patch.slice(1), path, 1);
    patch.forEach((item, i) => {
      if (isDict(item) && item[DIRECTIVE] === "delete") {
        throw new PatchError(pathString([...path, i]), "`$patch: delete`: the base has no such item");
      }
    });
    return freshItems(patch, path, 0);
  }
  if (!isDict(patch)) return patch;
  let out: Dict | undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === DIRECTIVE) {
      directive(v, path);
      out ??= { ...patch };
      delete out[k];
    } else if (k.startsWith("$")) {
      throw new PatchError(pathString([...path, k]), "unknown directive (only $patch)");
    } else if (v === null) {
      out ??= { ...patch };
      delete out[k];
    } else if (typeof v === "object") {
      const f = fresh(v, [...path, k]);
      if (f !== v) {
        out ??= { ...patch };
        out[k] = f;
      }
    }
  }
  return out ?? patch;
}

/** Whether a value holds a directive or a null anywhere (most new items hold neither: a walk, no allocation). */
function needsWork(v: Json): boolean {
  if (Array.isArray(v)) {
    for (const item of v) if (typeof item === "object" && needsWork(item)) return true;
    return false;
  }
  if (v === null) return true;
  if (typeof v !== "object") return false;
  for (const k in v) {
    const child = (v as Dict)[k];
    if (k.startsWith("$") || child === null || (typeof child === "object" && needsWork(child))) return true;
  }
  return false;
}

function freshItems(items: Json[], path: (string | number)[], offset: number): Json[] {
  let out: Json[] | undefined;
  items.forEach((item, i) => {
    const f = typeof item === "object" && item !== null ? fresh(item, [...path, i + offset]) : item;
    if (f !== item) {
      out ??= [...items];
      out[i] = f;
    }
  });
  return out ?? items;
}

/** Check a mapping's `$patch` (only "replace" is allowed on a mapping). */
function directive(value: Json, path: (string | number)[]): void {
  if (value === "replace") return;
  throw new PatchError(
    pathString([...path, DIRECTIVE]),
    value === "delete"
      ? "`$patch: delete` removes an item of a list; to remove a field, set it to null"
      : `expected "replace" (or "delete" in a list item), got ${JSON.stringify(value)}`,
  );
}

function mergeDict(base: Json, patch: Dict, path: (string | number)[]): Json {
  if (!isDict(base) || patch[DIRECTIVE] !== undefined) return fresh(patch, path);
  const out: Dict = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith("$")) throw new PatchError(pathString([...path, k]), "unknown directive (only $patch)");
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v, [...path, k]);
  }
  return out;
}

function isReplaceMarker(v: Json): boolean {
  return isDict(v) && v[DIRECTIVE] === "replace" && Object.keys(v).length === 1;
}

function mergeList(base: Json, patch: Json[], path: (string | number)[]): Json {
  if (!Array.isArray(base) || (patch.length && isReplaceMarker(patch[0]))) return fresh(patch, path);
  const keyOf = listKey(path, base, patch);
  if (!keyOf) {
    if (patch.some((i) => isDict(i) && i[DIRECTIVE] === "delete")) {
      throw new PatchError(pathString(path), "`$patch: delete` needs a list whose items have a key");
    }
    return fresh(patch, path);
  }
  const rule = LIST_KEYS[shapeOf(path)]?.describe ?? "name";
  const out: (Json | undefined)[] = [...base];
  const index = new Map<string, number>();
  base.forEach((item, i) => {
    const k = isDict(item) ? keyOf(item) : undefined;
    if (k !== undefined) index.set(k, i);
  });
  patch.forEach((item, i) => {
    const at = [...path, i];
    const k = isDict(item) ? keyOf(item) : undefined;
    if (k === undefined) throw new PatchError(pathString(at), `expected an item with its key (${rule})`);
    const found = index.get(k);
    const present = found !== undefined && out[found] !== undefined;
    if ((item as Dict)[DIRECTIVE] === "delete") {
      if (!present) throw new PatchError(pathString(at), `\`$patch: delete\`: the base has no item with this ${rule}`);
      out[found] = undefined;
    } else if (present) {
      out[found] = mergePatch(out[found], item, at);
    } else {
      index.set(k, out.length);
      out.push(fresh(item, at));
    }
  });
  return out.filter((v) => v !== undefined);
}

/**
 * Apply `patch` to `base` (neither is modified; unpatched parts of the base are shared, not copied).
 * Throws PatchError naming the field of the first problem.
 */
export function mergePatch(base: Json, patch: Json, path: (string | number)[] = []): Json {
  if (isDict(patch)) return mergeDict(base, patch, path);
  if (Array.isArray(patch)) return mergeList(base, patch, path);
  return patch;
}
