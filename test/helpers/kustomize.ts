// Render a kustomization: with `kubectl kustomize` when kubectl is installed, else with a small merge of the
// fields deploy/ uses (bases/resources, namespace, commonLabels, patchesStrategicMerge with list items merged by name).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";

type Obj = Record<string, unknown> & {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};

export function hasKubectl(): boolean {
  return spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0;
}

export function render(dir: string): { objects: Obj[]; by: "kubectl" | "merge" } {
  if (hasKubectl()) {
    const r = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${r.stderr}`);
    return { objects: parseAllDocuments(r.stdout).map((d) => d.toJSON() as Obj), by: "kubectl" };
  }
  return { objects: merge(dir), by: "merge" };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function strategic(target: unknown, patch: unknown): unknown {
  if (Array.isArray(target) && Array.isArray(patch) && patch.every((p) => isObject(p) && "name" in p)) {
    // As kustomize does: patch items the target lacks come first, then the target's items (merged).
    const added = (patch as Record<string, unknown>[]).filter(
      (p) => !target.some((t) => isObject(t) && t.name === p.name),
    );
    const merged = target.map((t) => {
      const p = (patch as Record<string, unknown>[]).find((x) => isObject(t) && x.name === t.name);
      return p ? strategic(t, p) : t;
    });
    return [...added, ...merged];
  }
  if (!isObject(target) || !isObject(patch)) return patch;
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) out[k] = k in out ? strategic(out[k], v) : v;
  return out;
}

function docs(file: string): Obj[] {
  return parseAllDocuments(readFileSync(file, "utf8")).map((d) => d.toJSON() as Obj);
}

export function merge(dir: string): Obj[] {
  const k = parse(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as Record<string, unknown>;
  let objects: Obj[] = [];
  for (const r of [...((k.bases as string[]) ?? []), ...((k.resources as string[]) ?? [])]) {
    const p = join(dir, r);
    objects.push(...(r.endsWith(".yaml") ? docs(p) : merge(p)));
  }
  for (const f of (k.patchesStrategicMerge as string[]) ?? []) {
    for (const patch of docs(join(dir, f))) {
      objects = objects.map((o) =>
        o.kind === patch.kind && o.metadata.name === patch.metadata.name ? (strategic(o, patch) as Obj) : o,
      );
    }
  }
  const labels = (k.commonLabels as Record<string, string>) ?? {};
  for (const o of objects) {
    if (k.namespace && o.kind !== "Namespace" && !o.kind.startsWith("Cluster"))
      o.metadata.namespace = k.namespace as string;
    o.metadata.labels = { ...(o.metadata.labels ?? {}), ...labels };
    // commonLabels also go into selectors and pod templates.
    const spec = o.spec as Record<string, Record<string, Record<string, unknown>>> | undefined;
    if (!spec || !Object.keys(labels).length) continue;
    const add = (m: Record<string, unknown> | undefined, key: string) => {
      if (m) m[key] = { ...((m[key] as object) ?? {}), ...labels };
    };
    if (o.kind === "Service") (spec as Record<string, unknown>).selector = { ...(spec.selector ?? {}), ...labels };
    if (o.kind === "Deployment" || o.kind === "PodDisruptionBudget") add(spec.selector, "matchLabels");
    if (o.kind === "Deployment") add(spec.template?.metadata as Record<string, unknown>, "labels");
    if (o.kind === "NetworkPolicy") add(spec.podSelector, "matchLabels");
  }
  return objects;
}
