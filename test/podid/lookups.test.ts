// How the checks match objects the way MIC and NMI do: identities by namespace and name, label keys exactly,
// pods that report no status.
import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { podReady } from "../../src/diagnosis/podid/derive.js";
import { misspeltLabelKeys, usesPodIdentity } from "../../src/diagnosis/podid/detect.js";
import { identityForBinding, readBinding, readIdentity } from "../../src/diagnosis/podid/facts.js";

describe("identityForBinding", () => {
  const identity = (ns: string) =>
    readIdentity({ metadata: { name: "orders-identity", namespace: ns }, spec: { type: 0, clientID: "c" } });
  const binding = readBinding({
    metadata: { name: "b", namespace: "orders" },
    spec: { azureIdentity: "orders-identity", selector: "orders-api" },
  });

  it("finds the AzureIdentity of that name in the binding's namespace", () => {
    expect(identityForBinding(binding, [identity("default"), identity("orders")])?.namespace).toBe("orders");
  });

  it("ignores one of the same name in another namespace, as MIC does", () => {
    expect(identityForBinding(binding, [identity("default")])).toBeUndefined();
  });
});

describe("misspeltLabelKeys", () => {
  it("catches other capitalisations and typos of a letter or two, with a value", () => {
    expect(misspeltLabelKeys({ aadPodIdBinding: "x", aadpodbinding: "y", aadpodidbindings: "z", app: "a" })).toEqual([
      "aadPodIdBinding",
      "aadpodbinding",
      "aadpodidbindings",
    ]);
  });

  it("leaves the exact key, empty values and unrelated keys alone", () => {
    expect(misspeltLabelKeys({ aadpodidbinding: "x", aadpodbinding: "", "app.kubernetes.io/name": "y" })).toEqual([]);
    expect(usesPodIdentity({ aadpodbinding: "orders" })).toBe(true);
    expect(usesPodIdentity({ podbinding: "orders" })).toBe(false);
  });
});

describe("podReady", () => {
  it("takes a pod exported without status as ready, and a reported one at its word", () => {
    expect(podReady({ metadata: { name: "mic" } } as V1Pod)).toBe(true);
    expect(podReady({ status: { phase: "Pending" } } as V1Pod)).toBe(false);
    expect(podReady({ status: { phase: "Running", conditions: [{ type: "Ready", status: "False" }] } } as V1Pod)).toBe(
      false,
    );
    expect(podReady({ status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } } as V1Pod)).toBe(
      true,
    );
  });
});
