import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { aksChecks } from "../src/diagnosis/aks/index.js";
import { diagnose } from "../src/gather/index.js";
import { startSimSession } from "../src/sim/environment.js";
import { listBundledScenarios, loadScenario } from "../src/sim/scenario.js";
import { connect } from "./helpers/mcp.js";

const quiet = { progress: async () => undefined };

describe("AKS diagnosis", () => {
  it("every AKS finding id is triggered by a bundled scenario and documented", () => {
    const expected = new Set(
      listBundledScenarios()
        .filter((s) => s.name.startsWith("aks-"))
        .flatMap((s) => loadScenario(s.file).expect.findings),
    );
    const docs = readFileSync("docs/findings.md", "utf8");
    for (const check of aksChecks) {
      expect(expected.has(check.id), `no scenario triggers ${check.id}`).toBe(true);
      expect(docs, `docs/findings.md lacks ${check.id}`).toContain(`\`${check.id}\``);
    }
  });

  it("without an Azure credential, runs the Kubernetes checks and says what was skipped", async () => {
    const scenario = loadScenario("aks-no-azure-credential");
    const session = await startSimSession(scenario);
    try {
      const report = await diagnose(session.env, scenario.target, { signal: AbortSignal.timeout(20_000), ...quiet });
      const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
      expect(byId["sa.client-id-missing"].status).toBe("pass");
      expect(byId["pod.label-missing"].status).toBe("pass");
      expect(byId["webhook.missing"].status).toBe("pass");
      expect(byId["cluster.oidc-issuer-disabled"].status).toBe("skipped");
      expect(byId["cluster.oidc-issuer-disabled"].detail).toMatch(/no Azure credential/);
      expect(byId["fic.subject-mismatch"].status).toBe("skipped");
      // The exchange needs no Azure credential of the operator's: it still proves the federation works.
      expect(byId["exchange.failed"].status).toBe("pass");
    } finally {
      await session.close();
    }
  });

  it("sends progress notifications when the client asks for them", async () => {
    const h = await connect({ scenario: "aks-healthy" });
    try {
      const seen: string[] = [];
      const r = await h.client.callTool(
        { name: "diagnose_workload_identity", arguments: { namespace: "payments", serviceAccount: "payments-api" } },
        undefined,
        { onprogress: (p) => seen.push(String(p.message)) },
      );
      expect(r.isError).toBeFalsy();
      expect((r.structuredContent as { verdict: string }).verdict).toBe("healthy");
      expect(seen.length).toBeGreaterThanOrEqual(3);
      expect(seen.at(-1)).toBe("done");
    } finally {
      await h.close();
    }
  });

  it("stops on cancellation instead of waiting for a silent service", async () => {
    const scenario = loadScenario("aks-healthy");
    scenario.faults.rules.push({ service: "arm", path: "", timeout: true });
    const session = await startSimSession(scenario, { timeoutMs: 60_000 });
    try {
      const controller = new AbortController();
      const run = diagnose(session.env, scenario.target, { signal: controller.signal, ...quiet });
      setTimeout(() => controller.abort(), 300);
      await expect(run).rejects.toThrow(/cancel|abort/i);
    } finally {
      await session.close();
    }
  });

  it("a service that never answers becomes a timed-out check, not a hang", async () => {
    const scenario = loadScenario("aks-healthy");
    scenario.faults.rules.push({ service: "arm", path: "managedClusters", timeout: true });
    const session = await startSimSession(scenario, { timeoutMs: 3_000 });
    try {
      const report = await diagnose(session.env, scenario.target, { signal: AbortSignal.timeout(30_000), ...quiet });
      const cluster = report.checks.find((c) => c.id === "cluster.oidc-issuer-disabled");
      expect(cluster?.status).toBe("skipped");
      expect(cluster?.detail).toMatch(/AKS cluster/);
      expect(report.checks.find((c) => c.id === "fic.subject-mismatch")?.status).toBe("pass");
    } finally {
      await session.close();
    }
  });

  it("uses what an error text asserts, and says whether the live checks confirm it", async () => {
    const scenario = loadScenario("aks-fic-subject-namespace-typo");
    const session = await startSimSession(scenario);
    try {
      const report = (await diagnose(session.env, scenario.target, {
        signal: AbortSignal.timeout(20_000),
        errorText: scenario.target.errorText,
        ...quiet,
      })) as { errorText?: { codes: string[]; confirmedBy: string[]; asserted: Record<string, string> } };
      expect(report.errorText?.codes, JSON.stringify(report).slice(0, 1500)).toContain("AADSTS70021");
      expect(report.errorText?.confirmedBy, JSON.stringify(report.errorText)).toContain("fic.subject-mismatch");
      expect(report.errorText?.asserted.subject).toBe("system:serviceaccount:payments:payments-api");
      expect(report.errorText?.confirmedBy).toContain("fic.subject-mismatch");
    } finally {
      await session.close();
    }
  });

  it("takes a bare workload name as a Deployment", async () => {
    const scenario = loadScenario("aks-label-missing");
    const session = await startSimSession(scenario);
    try {
      const report = await diagnose(
        session.env,
        { namespace: "payments", workload: "payments-api" },
        {
          signal: AbortSignal.timeout(20_000),
          ...quiet,
        },
      );
      expect(report.target.workload).toBe("deployment/payments-api");
      expect(report.findings[0]?.id).toBe("pod.label-missing");
    } finally {
      await session.close();
    }
  });
});
