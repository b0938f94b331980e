// Scenario overlays: `extends:` a base world and patch it (docs/scenarios.md, "Overlays").
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { mergePatch } from "../../src/sim/scenario-extends.js";
import { listBundledScenarios, loadScenario, ScenarioError } from "../../src/sim/scenario.js";

const dir = mkdtempSync(join(tmpdir(), "wi-doctor-extends-"));

function write(name: string, data: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof data === "string" ? data : stringify(data));
  return file;
}

function problems(fn: () => unknown): { file: string; problems: string[] } {
  try {
    fn();
  } catch (err) {
    if (err instanceof ScenarioError) return { file: err.file, problems: err.problems };
    throw err;
  }
  throw new Error("expected a ScenarioError");
}

describe("merge rules", () => {
  const base = {
    kubernetes: {
      objects: [
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "api", namespace: "a", labels: { x: "1" } } },
        { apiVersion: "v1", kind: "Pod", metadata: { name: "api", namespace: "a" }, spec: { containers: [] } },
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } },
      ],
    },
    expect: { findings: ["one", "two"] },
  };

  it("merges mappings key by key, removes a key set to null, replaces scalars and lists of scalars", () => {
    const out = mergePatch({ a: { b: 1, c: 2, d: 3 }, e: ["x", "y"] }, { a: { b: 10, d: null }, e: ["z"], f: true });
    expect(out).toEqual({ a: { b: 10, c: 2 }, e: ["z"], f: true });
  });

  it("finds Kubernetes objects by kind, namespace and name, patches them in place and appends new ones", () => {
    const out = mergePatch(base, {
      kubernetes: {
        objects: [
          { kind: "Pod", metadata: { name: "api", namespace: "a", labels: { app: "api" } } },
          { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "api", namespace: "b" } },
        ],
      },
    }) as typeof base;
    expect(out.kubernetes.objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`)).toEqual([
      "ServiceAccount/a/api",
      "Pod/a/api",
      "Namespace//a",
      "ServiceAccount/b/api",
    ]);
    expect(out.kubernetes.objects[1]).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "api", namespace: "a", labels: { app: "api" } },
      spec: { containers: [] },
    });
    // The base is not modified.
    expect(base.kubernetes.objects[1].metadata).toEqual({ name: "api", namespace: "a" });
  });

  it("removes an item with `$patch: delete` and replaces a list that starts with `$patch: replace`", () => {
    const deleted = mergePatch(base, {
      kubernetes: { objects: [{ kind: "Namespace", metadata: { name: "a" }, $patch: "delete" }] },
    }) as typeof base;
    expect(deleted.kubernetes.objects.map((o) => o.kind)).toEqual(["ServiceAccount", "Pod"]);
    const replaced = mergePatch(base, {
      kubernetes: {
        objects: [{ $patch: "replace" }, { apiVersion: "v1", kind: "Namespace", metadata: { name: "b" } }],
      },
    }) as typeof base;
    expect(replaced.kubernetes.objects).toEqual([{ apiVersion: "v1", kind: "Namespace", metadata: { name: "b" } }]);
  });

  it("merges other lists of mappings by name, and replaces a mapping marked `$patch: replace`", () => {
    const out = mergePatch(
      {
        env: [
          { name: "A", value: "1" },
          { name: "B", value: "2" },
        ],
        meta: { x: 1, y: 2 },
      },
      {
        env: [
          { name: "B", value: "3" },
          { name: "A", $patch: "delete" },
          { name: "C", value: "4" },
        ],
        meta: { $patch: "replace", z: 3 },
      },
    );
    expect(out).toEqual({
      env: [
        { name: "B", value: "3" },
        { name: "C", value: "4" },
      ],
      meta: { z: 3 },
    });
    // Without a name on every item, the patch list replaces the base list.
    expect(mergePatch({ l: [{ name: "A" }] }, { l: [{ value: 1 }] })).toEqual({ l: [{ value: 1 }] });
  });

  it("keys the cloud sections by their stable fields", () => {
    const out = mergePatch(
      {
        azure: {
          roleAssignments: [
            { principalId: "p", roleDefinitionName: "Reader", scope: "/s" },
            { principalId: "p", roleDefinitionName: "Owner", scope: "/s" },
          ],
        },
        aws: { roles: [{ roleName: "r", maxSessionDuration: 3600 }] },
      },
      {
        azure: { roleAssignments: [{ principalId: "p", roleDefinitionName: "Owner", scope: "/s", $patch: "delete" }] },
        aws: { roles: [{ roleName: "r", maxSessionDuration: 7200 }] },
      },
    );
    expect(out).toEqual({
      azure: { roleAssignments: [{ principalId: "p", roleDefinitionName: "Reader", scope: "/s" }] },
      aws: { roles: [{ roleName: "r", maxSessionDuration: 7200 }] },
    });
  });
});

describe("overlay files", () => {
  it("extend a bundled world by name and change only what they say", () => {
    const file = write("typo.yaml", {
      extends: "aks-healthy",
      name: "my-typo",
      description: "the subject names payment-api",
      azure: {
        userAssignedIdentities: [
          {
            name: "payments-api-identity",
            federatedIdentityCredentials: [
              { name: "payments-api", subject: "system:serviceaccount:payments:payment-api" },
            ],
          },
        ],
      },
    });
    const healthy = loadScenario("aks-healthy");
    const overlay = loadScenario(file);
    expect(overlay.name).toBe("my-typo");
    expect(overlay.azure?.userAssignedIdentities[0].federatedIdentityCredentials[0]).toEqual({
      ...healthy.azure?.userAssignedIdentities[0].federatedIdentityCredentials[0],
      subject: "system:serviceaccount:payments:payment-api",
    });
    expect(overlay.kubernetes).toEqual(healthy.kubernetes);
  });

  it("chain through relative paths, and an abstract base loads only through a world that extends it", () => {
    write("abstract.yaml", { extends: "aks-healthy", abstract: true, target: { namespace: "other" } });
    const middle = write("middle.yaml", { extends: "./abstract.yaml", name: "middle", description: "m" });
    const leaf = write("leaf.yaml", { extends: "middle", name: "leaf", expect: { verdict: "broken" } });
    const s = loadScenario(leaf);
    expect(s.name).toBe("leaf");
    expect(s.description).toBe("m");
    expect(s.target.namespace).toBe("other");
    expect(s.expect.verdict).toBe("broken");
    expect(loadScenario(middle).expect.verdict).toBe("healthy");
    const abstract = problems(() => loadScenario(join(dir, "abstract.yaml")));
    expect(abstract.problems.join()).toMatch(/^abstract: .*base for other scenarios/);
  });

  it("report a cycle, naming the files", () => {
    write("cycle-a.yaml", { extends: "cycle-b", name: "a" });
    write("cycle-b.yaml", { extends: "cycle-a.yaml", name: "b" });
    const p = problems(() => loadScenario(join(dir, "cycle-a.yaml")));
    expect(p.file).toContain("cycle-b.yaml");
    expect(p.problems).toEqual(["extends: a cycle: cycle-a.yaml → cycle-b.yaml → cycle-a.yaml"]);
  });

  it("name the file and the field of a bad patch", () => {
    const noItem = write("no-item.yaml", {
      extends: "aks-healthy",
      name: "no-item",
      kubernetes: { objects: [{ kind: "Pod", metadata: { name: "nope", namespace: "payments" }, $patch: "delete" }] },
    });
    expect(problems(() => loadScenario(noItem))).toEqual({
      file: noItem,
      problems: [
        "kubernetes.objects.0: `$patch: delete`: the base has no item with this kind, metadata.namespace and metadata.name",
      ],
    });
    const noKey = write("no-key.yaml", {
      extends: "aks-healthy",
      name: "no-key",
      kubernetes: { objects: [{ kind: "Pod" }] },
    });
    expect(problems(() => loadScenario(noKey)).problems[0]).toMatch(
      /^kubernetes\.objects\.0: expected an item with its key/,
    );
    const missing = write("missing.yaml", { extends: "no-such-base", name: "missing" });
    expect(problems(() => loadScenario(missing))).toEqual({
      file: missing,
      problems: ['extends: no scenario named "no-such-base" next to this file or among the bundled ones'],
    });
    const unnamed = write("unnamed.yaml", { extends: "aks-healthy" });
    expect(problems(() => loadScenario(unnamed)).problems).toEqual([
      "name: required in an overlay (the base's name is not inherited)",
    ]);
    // After the merge the world is validated as usual, naming the overlay.
    const invalid = write("invalid.yaml", { extends: "aks-healthy", name: "invalid", kubernetes: { isuer: "x" } });
    const p = problems(() => loadScenario(invalid));
    expect(p.file).toBe(invalid);
    expect(p.problems.join()).toMatch(/kubernetes.*isuer/);
  });
});
describe("bundled worlds", () => {
  it("use overlays, and abstract bases are not listed", () => {
    const listed = listBundledScenarios();
    expect(listed.length).toBeGreaterThan(100);
    for (const s of listed) expect(() => loadScenario(s.file), s.name).not.toThrow();
    expect(listed.map((s) => s.name)).not.toContain("aks-orders-base");
    expect(problems(() => loadScenario("aks-orders-base")).problems.join()).toMatch(/^abstract:/);
  });
});
