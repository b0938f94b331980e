// The cluster-wide audit: on bundled worlds it reaches the same verdicts and findings as diagnose; on a generated
// large world it reads each list once, finds every broken identity, pages, reports progress, and exits 0/1/2.
import { describe, expect, it } from "vitest";
import { auditCluster, mergeAudits } from "../src/audit/index.js";
import { fleetScenario } from "../src/bench/fleet-world.js";
import { diagnose } from "../src/gather/index.js";
import { startSimSession } from "../src/sim/environment.js";
import { loadScenario } from "../src/sim/scenario.js";
import { auditClusterTool } from "../src/tools/audit_cluster.js";
import { runCliInProcess } from "./helpers/cli.js";
import { connect } from "./helpers/mcp.js";
import { SPAWNS_TIMEOUT_MS } from "./helpers/spawn.js";

const quiet = { progress: async () => undefined };

describe("audit on bundled worlds", () => {
  const worlds = [
    "aks-healthy",
    "aks-fic-subject-namespace-typo",
    "aks-identity-not-found",
    "aks-fic-audience-wrong",
    "aks-sa-client-id-is-principal-id",
    "eks-irsa-healthy",
    "eks-iam-role-not-found",
    "eks-podid-healthy",
    "eks-podid-trust-invalid",
    "podid-assigned-identity-stuck-created",
  ];
  it.each(worlds)("%s: the audit's entry for the scenario's target matches diagnose", async (name) => {
    const scenario = loadScenario(name);
    const session = await startSimSession(scenario);
    try {
      const signal = AbortSignal.timeout(60_000);
      const audit = await auditCluster(session.env, { signal, ...quiet });
      expect(audit.entries.length).toBeGreaterThan(0);
      const t = scenario.target;
      const entry =
        audit.entries.find(
          (e) => e.namespace === t.namespace && e.serviceAccount && e.serviceAccount === t.serviceAccount,
        ) ?? audit.entries.find((e) => e.namespace === t.namespace);
      expect(entry, JSON.stringify(audit.entries.map((e) => [e.namespace, e.serviceAccount, e.pod]))).toBeDefined();
      const target = entry!.serviceAccount
        ? { namespace: entry!.namespace, serviceAccount: entry!.serviceAccount }
        : { namespace: entry!.namespace, pod: entry!.pod };
      const report = await diagnose(session.env, target, { signal, ...quiet });
      expect(entry!.verdict).toBe(report.verdict);
      expect(entry!.findings.map((f) => f.id)).toEqual(report.findings.map((f) => f.id));
      if (scenario.expect.verdict === "healthy") expect(audit.verdict).toBe("healthy");
      if (report.verdict === "broken") expect(audit.verdict).toBe("broken");
    } finally {
      await session.close();
    }
  });
});

describe("audit on a generated large world", () => {
  it("reads each list once, finds every broken identity, and pages through the result", async () => {
    const size = { namespaces: 12, serviceAccounts: 120, pods: 600, identities: 30, brokenEvery: 8 };
    const session = await startSimSession(fleetScenario(size));
    try {
      const progress: [number, number | undefined][] = [];
      const audit = await auditCluster(session.env, {
        signal: AbortSignal.timeout(120_000),
        progress: async (_m, done, total) => {
          progress.push([done, total]);
        },
        pageSize: 250,
      });
      expect(audit.summary.audited).toBe(size.serviceAccounts);
      expect(audit.summary.pods).toBe(size.pods);
      expect(audit.summary.podsUsingIdentity).toBe(size.pods);
      const broken = size.serviceAccounts / size.brokenEvery;
      expect(audit.summary.verdicts).toEqual({ broken, healthy: size.serviceAccounts - broken, inconclusive: 0 });
      expect(audit.summary.findingsById["fic.subject-mismatch"]).toBe(broken);
      expect(audit.verdict).toBe("broken");
      // Broken first, one row per Deployment.
      expect(audit.entries[0].verdict).toBe("broken");
      expect(audit.entries[0].workload).toMatch(/^deployment\/app-\d+$/);
      // 600 pods in pages of 250 = 3 requests; service accounts, six workload kinds, network policies: 1 each.
      expect(session.world.stats.byService["kubernetes.list"]).toBeLessThanOrEqual(25);
      expect(progress.at(-1)).toEqual([size.serviceAccounts, size.serviceAccounts]);
    } finally {
      await session.close();
    }
  });

  it("serves pages, bounded findings and progress through the MCP tool", async () => {
    const session = await startSimSession(
      fleetScenario({ namespaces: 3, serviceAccounts: 12, pods: 12, identities: 4, brokenEvery: 4 }),
    );
    const h = await connect({ environment: async () => session.env });
    try {
      const notes: unknown[] = [];
      const first = await h.client.callTool(
        { name: "audit_cluster", arguments: { pageSize: 5 }, _meta: { progressToken: "p1" } },
        undefined,
        { onprogress: (p) => notes.push(p) },
      );
      const out = first.structuredContent as {
        verdict: string;
        entries: { verdict: string; findings: unknown[]; moreFindings: number }[];
        page: { nextCursor?: string; total: number };
      };
      expect(out.verdict).toBe("broken");
      expect(out.entries).toHaveLength(5);
      expect(out.entries.slice(0, 3).every((e) => e.verdict === "broken")).toBe(true);
      expect(out.page).toMatchObject({ nextCursor: "5", total: 12 });
      for (const e of out.entries) expect(e.findings.length).toBeLessThanOrEqual(3);
      expect(notes.length).toBeGreaterThan(0);
      const last = await h.client.callTool({ name: "audit_cluster", arguments: { pageSize: 5, cursor: "10" } });
      const lastOut = last.structuredContent as { entries: unknown[]; page: { nextCursor?: string } };
      expect(lastOut.entries).toHaveLength(2);
      expect(lastOut.page.nextCursor).toBeUndefined();
      const bad = await h.client.callTool({ name: "audit_cluster", arguments: { cursor: "abc" } });
      expect(bad.isError).toBe(true);
      expect((bad.content as { text: string }[])[0].text).toContain("cursor");
    } finally {
      await h.close();
      await session.close();
    }
  });

  it("merges several clusters into one report", async () => {
    const a = await startSimSession(loadScenario("aks-healthy"));
    const b = await startSimSession(loadScenario("aks-fic-subject-namespace-typo"));
    try {
      const signal = AbortSignal.timeout(60_000);
      const merged = mergeAudits([
        await auditCluster(a.env, { signal, context: "one", ...quiet }),
        await auditCluster(b.env, { signal, context: "two", ...quiet }),
      ]);
      expect(merged.scope.contexts).toEqual(["one", "two"]);
      expect(merged.verdict).toBe("broken");
      expect(merged.entries[0]).toMatchObject({ context: "two", verdict: "broken" });
      expect(merged.summary.findingsByNamespace["two/payments"]).toBeGreaterThan(0);
      expect(auditClusterTool.inputSchema.safeParse({ namespace: "Bad_NS" }).success).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("wi-doctor audit", () => {
  it("exits 1 on a broken world and 0 on a healthy one", { timeout: SPAWNS_TIMEOUT_MS }, async () => {
    const cli = (args: string[]) => runCliInProcess(["audit", ...args]);
    const broken = await cli(["--scenario", "aks-fic-subject-namespace-typo", "--json"]);
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.out).summary.findingsById["fic.subject-mismatch"]).toBe(1);
    const healthy = await cli(["--scenario", "aks-healthy", "-n", "payments"]);
    expect(healthy.code).toBe(0);
    expect(healthy.out).toMatch(/^Audit of namespace payments in aks-healthy: HEALTHY/);
    const bad = await cli(["--scenario", "aks-healthy", "-n", "payments", "--all-namespaces"]);
    expect(bad.code).toBe(2);
  });
});
