// podid.binding-selector-mismatch with one binding in the namespace: the remediation relabels the pod template with
// the binding's selector (label_pod_template), and the closed loop heals the world.
import { describe, expect, it } from "vitest";
import { closeLoop } from "./closed-loop.js";

describe("podid.binding-selector-mismatch remediation", () => {
  it.each(["podid-binding-selector-mismatch", "podid-review-template-label-typo-before-rollout"])(
    "heals %s by labelling the pod template with the binding's selector",
    { timeout: 180_000 },
    async (name) => {
      const result = await closeLoop(name);
      expect(result.steps[0]).toBe("podid.binding-selector-mismatch → label_pod_template");
      expect(result.healed, result.steps.join(", ")).toBe(true);
    },
  );
});

describe("set_azure_identity_binding", () => {
  it("renames a pre-1.6 binding's fields, values kept; the same plan again changes nothing", {
    timeout: 180_000,
  }, async () => {
    const result = await closeLoop("podid-review-binding-pre16-fields");
    expect(result.steps[0]).toBe("podid.binding-selector-mismatch → set_azure_identity_binding");
    // MIC (not run in the simulated world) creates the assigned identity next; nothing is left to write.
    expect(result.stoppedAt?.id).toBe("podid.assigned-identity-missing");
    expect(result.bindings?.["orders/orders-identity-binding"]).toEqual({
      azureIdentity: "orders-identity",
      selector: "orders-api",
    });
  });
});
