// Every bundled EKS scenario diagnoses to its expected findings, root cause first, and the trust-policy
// verdict agrees with what the simulated STS answers to the real token exchange.
import { describe, expect, it } from "vitest";
import { diagnoseEksFacts } from "../../src/diagnosis/eks/index.js";
import { diagnoseEks, gatherEksFacts } from "../../src/gather/eks.js";
import { listBundledScenarios, loadScenario, type Scenario } from "../../src/sim/scenario.js";
import { never, noProgress, session } from "./helpers.js";
import { expectPodIdentityAgreement } from "./pod-identity-agreement.js";

const scenarios = listBundledScenarios().filter((s) => s.name.startsWith("eks-"));

/** A Pod Identity association for the target's namespace (and service account, when named). */
const associated = (sc: Scenario) =>
  sc.aws?.podIdentityAssociations.some(
    (a) =>
      a.namespace === sc.target.namespace &&
      (!sc.target.serviceAccount || a.serviceAccount === sc.target.serviceAccount),
  ) ?? false;

// STS evaluates the trust policy only after the token itself passed (provider, audience, keys, thumbprint).
const TRUST_STAGE = new Set(["AccessDenied"]);

describe("bundled EKS scenarios", () => {
  it("cover every IRSA seed section and Pod Identity, healthy setups and near misses", () => {
    const names = scenarios.map((s) => s.name);
    for (const n of [
      "eks-irsa-healthy",
      "eks-podid-healthy",
      "eks-oidc-provider-missing",
      "eks-trust-provider-mismatch",
      "eks-trust-subject-mismatch",
      "eks-oidc-audience-wrong",
      "eks-thumbprint-mismatch",
      "eks-sa-not-found",
      "eks-sa-role-arn-missing",
      "eks-sa-role-arn-malformed",
      "eks-sa-annotation-typo",
      "eks-pod-service-account-mismatch",
      "eks-token-permission-denied",
      "eks-webhook-missing",
      "eks-pod-restart-needed",
      "eks-trust-wildcard-stringequals",
      "eks-near-miss-stringlike-wildcard",
      "eks-podid-association-missing",
      "eks-podid-agent-missing",
      "eks-podid-trust-invalid",
      "eks-podid-cross-account-healthy",
      "eks-podid-cross-account-external-id",
      "eks-podid-cross-account-permission",
      "eks-podid-session-tags-disabled",
      "eks-podid-session-tags-conditions",
      "eks-podid-both-mechanisms",
      "eks-podid-old-sdk",
    ]) {
      expect(names).toContain(n);
    }
    for (const s of scenarios) expect(loadScenario(s.file).platform).toBe("eks");
    expect(scenarios.filter((s) => associated(loadScenario(s.file))).length).toBeGreaterThanOrEqual(14);
  });

  for (const { name } of scenarios) {
    it(`${name} diagnoses to its expected findings`, async () => {
      const s = await session(name);
      try {
        const t = s.world.scenario.target;
        const facts = await gatherEksFacts(
          s.env,
          { namespace: t.namespace, serviceAccount: t.serviceAccount, pod: t.pod, workload: t.workload },
          { signal: never, progress: noProgress, errorText: t.errorText },
        );
        const report = diagnoseEksFacts(facts);
        const expected = s.world.scenario.expect;
        const ids = report.findings.filter((f) => f.severity !== "info").map((f) => f.id);
        for (const id of expected.findings) expect(ids).toContain(id);
        if (expected.findings.length) expect(ids[0]).toBe(expected.findings[0]);
        else expect(report.findings.filter((f) => f.severity === "error")).toEqual([]);
        if (expected.verdict) expect(report.verdict).toBe(expected.verdict);
        expect(report.platform).toBe("eks");

        // Agreement: wherever STS got as far as the trust policy, our evaluation predicted its answer.
        const x = report.exchange;
        // Without the role (no credential to read it) there is nothing to predict from.
        if (x?.actual && x.predicted.accepted !== undefined) {
          if (x.actual.ok || TRUST_STAGE.has(x.actual.code ?? "")) {
            expect(x.predicted.accepted).toBe(x.actual.ok);
          } else {
            // Rejected before the trust policy: a finding other than exchange.failed must explain it.
            expect(ids.filter((id) => id !== "exchange.failed").length).toBeGreaterThan(0);
          }
        }
        // Pod Identity: EKS Auth's answer to the real exchange agrees with our trust evaluation.
        // Every world with an association for the target asks EKS Auth (unless the service account is missing).
        const compared = expectPodIdentityAgreement(facts, s.world.scenario, ids);
        if (
          associated(s.world.scenario) &&
          s.world.scenario.kubernetes.objects.some((o) => o.kind === "ServiceAccount")
        )
          expect(compared, "EKS Auth was not asked").toBe(true);
        // Reports carry claims, never tokens or keys.
        const json = JSON.stringify(report);
        expect(json).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
        expect(json).not.toMatch(/SecretAccessKey|SessionToken|simulated\/world\/secret/);
      } finally {
        await s.close();
      }
    });
  }

  it("names the skipped AWS reads when the operator has no AWS credential", async () => {
    const s = await session("eks-no-aws-credential");
    try {
      const report = await diagnoseEks(
        s.env,
        { namespace: "orders", serviceAccount: "orders-api" },
        { signal: never, progress: noProgress },
      );
      const skippedChecks = report.checks.filter((c) => c.status === "skipped");
      expect(skippedChecks.map((c) => c.id)).toEqual(
        expect.arrayContaining(["eks.oidc-provider-missing", "iam.role-not-found"]),
      );
      expect(skippedChecks.find((c) => c.id === "iam.role-not-found")?.detail).toMatch(/no AWS credential/);
      expect(report.exchange?.actual?.ok).toBe(true);
    } finally {
      await s.close();
    }
  });

  it("skips the exchange when it is not allowed, and then says only what the configuration predicts", async () => {
    const s = await session("eks-trust-subject-mismatch", undefined, { allowExchange: false });
    try {
      const report = await diagnoseEks(
        s.env,
        { namespace: "orders", serviceAccount: "orders-api" },
        { signal: never, progress: noProgress },
      );
      expect(report.findings[0].id).toBe("iam.trust-subject-mismatch");
      expect(report.findings.map((f) => f.id)).not.toContain("exchange.failed");
      expect(report.checks.find((c) => c.id === "exchange.failed")).toMatchObject({ status: "skipped" });
      expect(report.exchange?.predicted.accepted).toBe(false);
      expect(s.world.stats.byService.sts ?? 0).toBe(1); // GetCallerIdentity only
    } finally {
      await s.close();
    }
  });

  it("fills fix commands with the real names", async () => {
    const s = await session("eks-trust-subject-mismatch");
    try {
      const report = await diagnoseEks(
        s.env,
        { namespace: "orders", workload: "deployment/orders-api" },
        { signal: never, progress: noProgress },
      );
      const fix = report.findings[0].fix.commands.join("\n");
      expect(fix).toContain("aws iam update-assume-role-policy --role-name orders-api-s3");
      expect(fix).toContain("system:serviceaccount:orders:orders-api");
      expect(fix).toContain("oidc.eks.us-west-2.amazonaws.com/id/7B3F9C2A41E8D05F6A1C2B3D4E5F6071:sub");
      expect(fix).not.toMatch(/<role-name>|<account-id>/);
      expect(report.findings[0].evidence).toMatchObject({
        policyExpects: ["system:serviceaccount:order:orders-api"],
        tokenHas: "system:serviceaccount:orders:orders-api",
      });
    } finally {
      await s.close();
    }
  });

  it("reports progress per phase and stops on cancellation", async () => {
    const s = await session("eks-irsa-healthy");
    try {
      const seen: number[] = [];
      await diagnoseEks(
        s.env,
        { namespace: "orders", serviceAccount: "orders-api" },
        {
          signal: never,
          progress: async (_m, p) => {
            seen.push(p);
          },
        },
      );
      expect(seen).toEqual([0, 1, 2, 3]);
      const ac = new AbortController();
      ac.abort();
      await expect(
        diagnoseEks(
          s.env,
          { namespace: "orders", serviceAccount: "orders-api" },
          { signal: ac.signal, progress: noProgress },
        ),
      ).rejects.toMatchObject({ kind: "cancelled" });
    } finally {
      await s.close();
    }
  });
});
