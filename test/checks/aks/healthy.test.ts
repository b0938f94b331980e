// The healthy AKS facts raise nothing and the verdict is healthy: the base every check's table edits.
import { describe, expect, it } from "vitest";
import { diagnoseAksFacts } from "../../../src/diagnosis/aks/index.js";
import { aksRegistry } from "../../../src/diagnosis/aks/registry.js";
import { healthyAks, healthyAksWithKeyVault } from "../builders.js";

describe("healthy AKS facts", () => {
  it("every check runs and passes", () => {
    const report = diagnoseAksFacts(healthyAks());
    expect(report.findings.map((f) => `${f.id}: ${f.title}`)).toEqual([]);
    // No identity binding in use: those checks do not apply (and are not essential).
    const binding = report.checks.filter((c) => c.id.startsWith("binding."));
    expect(binding.map((c) => [c.status, c.essential])).toEqual(binding.map(() => ["skipped", undefined]));
    // No SecretProviderClass, so no Key Vault: those checks do not apply (and are not essential).
    const others = report.checks.filter((c) => !c.id.startsWith("binding."));
    expect(others.filter((c) => c.status !== "pass").map((c) => [c.id, c.status, c.essential])).toEqual([
      ["spc.client-id-mismatch", "skipped", undefined],
      ["keyvault.firewall-blocks-cluster", "skipped", undefined],
      ["keyvault.access-policy-missing", "skipped", undefined],
      ["rbac.role-missing", "skipped", undefined],
    ]);
    expect(report.checks.map((c) => c.id)).toEqual(["target.exists", ...aksRegistry.map((c) => c.id)]);
    expect(report.verdict).toBe("healthy");
  });
});

describe("healthy AKS facts with a Key Vault", () => {
  for (const mode of ["access-policy", "rbac"] as const) {
    it(`${mode}: the Key Vault checks run and pass`, () => {
      const report = diagnoseAksFacts(healthyAksWithKeyVault(mode));
      expect(report.findings.map((f) => `${f.id}: ${f.title}`)).toEqual([]);
      const kvChecks = ["spc.client-id-mismatch", "keyvault.firewall-blocks-cluster", "keyvault.access-policy-missing"];
      if (mode === "rbac") kvChecks.push("rbac.role-missing");
      for (const id of kvChecks) expect(report.checks.find((c) => c.id === id)?.status, id).toBe("pass");
      expect(report.verdict).toBe("healthy");
    });
  }
});
