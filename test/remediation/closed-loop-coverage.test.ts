// The closed-loop files together cover every bundled broken world, and every finding the loop may stop at is
// either remediable in some form or listed in docs/findings.md with its reason.
import { describe, expect, it } from "vitest";
import { REMEDIABLE_IDS } from "../../src/remediation/index.js";
import { listBundledScenarios, loadScenario } from "../../src/sim/scenario.js";
import { brokenWorlds, notRemediableDocs } from "./closed-loop.js";

const LOOPED_PREFIXES = ["aks-", "eks-", "podid-"];

describe("closed-loop coverage", () => {
  it("every bundled broken world is run by a closed-loop file", () => {
    const all = listBundledScenarios()
      .map((s) => loadScenario(s.file))
      .filter((s) => s.expect.verdict === "broken")
      .map((s) => s.name)
      .sort();
    const looped = LOOPED_PREFIXES.flatMap((p) => brokenWorlds(p)).sort();
    expect(all.length).toBeGreaterThan(60);
    expect(looped).toEqual(all);
  });

  it("the not-remediable list gives a reason for each id and names only real finding ids", () => {
    const docs = notRemediableDocs();
    expect(docs.size).toBeGreaterThan(20);
    for (const [id, reason] of docs) {
      expect(reason.length, id).toBeGreaterThan(20);
      expect(id).toMatch(/^[a-z]+\.[a-z0-9-]+$/);
    }
    expect(REMEDIABLE_IDS.length).toBeGreaterThan(20);
  });
});
