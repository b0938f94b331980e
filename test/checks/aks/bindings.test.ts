// The AKS identity binding facts, diagnosed whole (each binding check's own table is in tables-bindings.ts and runs in
// test/checks/checks.test.ts).
import { diagnoseAksFacts } from "../../../src/diagnosis/aks/index.js";
import { describe, expect, it } from "vitest";
import { CLIENT_ID, edit, failed, NS, SA } from "../builders.js";
import { classic, healthy, kube } from "./tables-bindings.js";

describe("identity binding facts, diagnosed whole", () => {
  it("a working binding is healthy without a per-cluster credential or a live exchange", () => {
    const report = diagnoseAksFacts(healthy);
    expect(report.findings.map((f) => f.id)).toEqual([]);
    expect(report.verdict).toBe("healthy");
    const essential = report.checks.filter((c) => c.essential).map((c) => c.id);
    expect(essential).toEqual(
      expect.arrayContaining([
        "binding.not-found",
        "binding.credential-missing",
        "binding.rbac-missing",
        "binding.proxy-env-missing",
      ]),
    );
    expect(essential).not.toContain("fic.issuer-mismatch");
  });

  it("unreadable RBAC on the binding path leaves the verdict inconclusive", () => {
    const report = diagnoseAksFacts(edit(healthy, (f) => (f.kubeRbac = failed("403 Forbidden"))));
    expect(report.verdict).toBe("inconclusive");
    expect(report.unsettled?.map((u) => u.check)).toContain("binding.rbac-missing");
  });

  it("the RBAC fix names the ClusterRole and ClusterRoleBinding to create, quoted", () => {
    const f = edit(healthy, (x) => (kube(x).clusterRoles = []));
    const finding = diagnoseAksFacts(f).findings.find((x) => x.id === "binding.rbac-missing")!;
    const command = finding.fix.commands[0];
    expect(command).toMatch(/^kubectl apply -f - <<'EOF'\n/);
    expect(command).toContain(`"name": "use-mi-${CLIENT_ID}"`);
    expect(command).toContain(`"name": "use-mi-${CLIENT_ID}-${NS}-${SA}"`);
    expect(command).toContain('"resources": [\n        "' + CLIENT_ID);
  });

  it("classic workload identity does not read or need the binding facts", () => {
    const report = diagnoseAksFacts(classic.facts);
    expect(report.verdict).toBe("healthy");
    for (const c of report.checks.filter((x) => x.id.startsWith("binding."))) expect(c.essential).toBeFalsy();
  });
});
