// An audit's snapshot answers selector reads itself: set-based selectors go through the same index as equality ones,
// and what comes back is what the API server would list, in its order.
import { describe, expect, it } from "vitest";
import { type SnapshotObject, selectFrom } from "../../src/providers/read-cache.js";

const pod = (ns: string, name: string, labels: Record<string, string>): SnapshotObject => ({
  metadata: { namespace: ns, name, labels },
});

const items = [
  pod("kube-system", "mic-a", { "app.kubernetes.io/component": "mic" }),
  pod("kube-system", "nmi-a", { "app.kubernetes.io/component": "nmi" }),
  pod("kube-system", "coredns", { "k8s-app": "kube-dns" }),
  pod("payments", "api", { app: "api", "app.kubernetes.io/component": "web" }),
  pod("kube-system", "mic-b", { "app.kubernetes.io/component": "mic" }),
  pod("other", "nmi-c", { "app.kubernetes.io/component": "nmi", tier: "x" }),
];
const snapshot = { items: Promise.resolve(items) };
const names = (l: SnapshotObject[] | undefined) => l?.map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`);

describe("selectFrom", () => {
  it("answers `key in (a,b)` across namespaces in the server's order, and within one namespace", async () => {
    const sel = { labelSelector: "app.kubernetes.io/component in (mic,nmi)" };
    expect(names(await selectFrom<SnapshotObject>(snapshot, undefined, sel))).toEqual([
      "kube-system/mic-a",
      "kube-system/nmi-a",
      "kube-system/mic-b",
      "other/nmi-c",
    ]);
    expect(names(await selectFrom<SnapshotObject>(snapshot, "kube-system", sel))).toEqual([
      "kube-system/mic-a",
      "kube-system/nmi-a",
      "kube-system/mic-b",
    ]);
  });

  it("combines a set-based requirement with the others, and repeats in the set change nothing", async () => {
    const r = await selectFrom<SnapshotObject>(snapshot, undefined, {
      labelSelector: "app.kubernetes.io/component in (nmi,nmi,web),tier",
    });
    expect(names(r)).toEqual(["other/nmi-c"]);
    expect(
      names(
        await selectFrom<SnapshotObject>(snapshot, undefined, { labelSelector: "app.kubernetes.io/component in (x)" }),
      ),
    ).toEqual([]);
  });
});
