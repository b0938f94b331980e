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
    return parts.every((p) => p !== undefined) ? JSON.stringify(parts) : undefined;
  };

/** A Kubernetes object: kind, namespace (absent for cluster-scoped objects) and name. */
const objectKey: KeyOf = (item) => {
  const meta = item.metadata;
  if (!isDict(meta) || typeof item.kind !== "string" || typeof meta.name !== "string") return undefined;
  return JSON.stringify([item.kind, str(meta.namespace) ?? "", meta.name]);
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

/** The key rule for a list at `path`, or undefined when the patch list replaces the base list. */
export function listKey(path: (string | number)[], base: Json[], patch: Json[]): KeyOf | undefined {
  const shape = path.map((p) => (typeof p === "number" ? "*" : p)).join(".");
  const known = LIST_KEYS[shape];
  if (known) return known.keyOf;
  const all = [...base, ...patch];
  if (!all.length || !all.every((i) => isDict(i) && byName(i) !== undefined)) return undefined;
  const names = base.map((i) => byName(i as Dict));
  return new Set(names).size === names.length ? byName : undefined;
}

/** A patch value with its directives applied to nothing (a new item, or a replacement). */
function fresh(patch: Json, path: (string | number)[]): Json {
  return mergePatch(undefined, patch, path);
}

function mergeDict(base: Json, patch: Dict, path: (string | number)[]): Json {
  const directive = patch[DIRECTIVE];
  let start: Dict = isDict(base) ? base : {};
  if (directive !== undefined) {
    if (directive !== "replace") {
      throw new PatchError(
        pathString([...path, DIRECTIVE]),
        directive === "delete"
          ? "`$patch: delete` removes an item of a list; to remove a field, set it to null"
          : `expected "replace" (or "delete" in a list item), got ${JSON.stringify(directive)}`,
      );
    }
    start = {};
  }
  const out: Dict = { ...start };
  for (const [k, v] of Object.entries(patch)) {
    if (k === DIRECTIVE) continue;
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
  if (patch.length && isReplaceMarker(patch[0])) {
    return patch.slice(1).map((item, i) => fresh(item, [...path, i + 1]));
  }
  const deletes = patch.some((i) => isDict(i) && i[DIRECTIVE] === "delete");
  const baseList = Array.isArray(base) ? base : [];
  const keyOf = listKey(path, baseList, patch);
  if (!keyOf) {
    if (deletes) throw new PatchError(pathString(path), "`$patch: delete` needs a list whose items have a key");
    return patch.map((item, i) => fresh(item, [...path, i]));
  }
  const out: (Json | undefined)[] = [...baseList];
  const index = new Map<string, number>();
  baseList.forEach((item, i) => {
    const k = isDict(item) ? keyOf(item) : undefined;
    if (k !== undefined) index.set(k, i);
  });
  patch.forEach((item, i) => {
    const at = [...path, i];
    const rule = LIST_KEYS[path.map((p) => (typeof p === "number" ? "*" : p)).join(".")]?.describe ?? "name";
    const k = isDict(item) ? keyOf(item) : undefined;
    if (k === undefined) throw new PatchError(pathString(at), `expected an item with its key (${rule})`);
    const found = index.get(k);
    if ((item as Dict)[DIRECTIVE] === "delete") {
      if (found === undefined || out[found] === undefined) {
        throw new PatchError(pathString(at), `\`$patch: delete\`: the base has no item with this ${rule}`);
      }
      out[found] = undefined;
    } else if (found !== undefined && out[found] !== undefined) {
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
