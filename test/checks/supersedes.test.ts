// `supersedes` in use: a finding whose check a firing root cause supersedes is folded under that cause (ranked
// after every root cause, otherwise exactly as its check raised it), in the one-call diagnosis and in the step
// tools' subset.
import { describe, expect, it } from "vitest";
import { diagnoseAksFacts } from "../../src/diagnosis/aks/index.js";
import { aksRegistry } from "../../src/diagnosis/aks/registry.js";
import { registries } from "../../src/diagnosis/confirms.js";
import { diagnoseEksFacts } from "../../src/diagnosis/eks/index.js";
import { diagnosePodIdFacts } from "../../src/diagnosis/podid/index.js";
import { foldConsequences, orderCauses, runSelected, supersedesOf } from "../../src/diagnosis/registry.js";
import type { Finding, Severity } from "../../src/diagnosis/types.js";
import { edit, failed, healthyAks, ok } from "./builders.js";
import { healthyIrsa } from "./eks-builders.js";
import { healthyPodId } from "./podid-builders.js";

const finding = (id: string, severity: Severity = "error"): Finding => ({
  id,
  severity,
  title: id,
  evidence: {},
  fix: { summary: "fix", commands: [] },
});
/** The findings in report order, a consequence written "id <- its cause" (the fold keeps findings as raised). */
function shape(fs: Finding[], supersedes: Record<string, readonly string[]>) {
  const { consequences } = orderCauses(fs, supersedes);
  return fs.map((f) => {
    const c = consequences.find((x) => x.finding === f);
    return c ? `${f.id} <- ${c.cause}` : f.id;
  });
}
const fold = (fs: Finding[], supersedes: Record<string, readonly string[]>) =>
  shape(foldConsequences(fs, supersedes), supersedes);
const aks = supersedesOf(registries.aks);
const eks = supersedesOf(registries.eks);
const podid = supersedesOf(registries.podid);

describe("foldConsequences", () => {
  it("ranks a superseded finding after the root causes and names its cause", () => {
    const ranked = [finding("a"), finding("c"), finding("b"), finding("d", "warning")];
    expect(fold(ranked, { a: ["c"] })).toEqual(["a", "b", "d", "c <- a"]);
  });

  it("leaves the ranking alone when the cause raised no error", () => {
    const ranked = [finding("b"), finding("a", "warning"), finding("c", "warning")];
    expect(fold(ranked, { a: ["b", "c"] })).toEqual(["b", "a", "c"]);
  });

  it("resolves chains to the topmost cause, and tolerates cycles", () => {
    expect(fold([finding("a"), finding("b"), finding("c")], { a: ["b"], b: ["c"] })).toEqual(["a", "b <- a", "c <- a"]);
    expect(fold([finding("a"), finding("b")], { a: ["b"], b: ["a"] })).toEqual(["a", "b"]);
  });

  it("does not change the findings it does not fold", () => {
    const ranked = [finding("a"), finding("b")];
    expect(foldConsequences(ranked, {})).toBe(ranked);
  });
});

describe("supersedes metadata", () => {
  it("no check supersedes itself, and every superseded id is a check of the same registry", () => {
    for (const registry of Object.values(registries)) {
      const ids = registry.map((c) => c.id as string);
      for (const c of registry) {
        for (const s of c.supersedes ?? []) {
          expect(s, c.id).not.toBe(c.id);
          expect(ids, `${c.id} supersedes ${s}`).toContain(s);
        }
      }
    }
  });
});

const unmutated = edit(healthyAks(), (f) => {
  f.webhook = ok({ configuration: null, deployment: null });
  const pod = f.pods.status === "ok" ? f.pods.value[0] : undefined;
  pod!.spec!.containers[0].env = [];
  pod!.spec!.containers[0].volumeMounts = [];
  pod!.spec!.volumes = [];
});

describe("the reports fold consequences under their cause", () => {
  it("AKS: pods the missing webhook never mutated", () => {
    const report = diagnoseAksFacts(unmutated);
    expect(shape(report.findings, aks)).toEqual(["webhook.missing", "pod.not-mutated <- webhook.missing"]);
    expect(report.verdict).toBe("broken");
    // The consequence's own check still failed: the checks list reports what ran.
    expect(report.checks.find((c) => c.id === "pod.not-mutated")?.status).toBe("fail");
    // The consequence is the finding its check raised: what a step tool running that check alone shows.
    const alone = runSelected(aksRegistry, unmutated, ["pod.not-mutated"]).findings[0];
    expect(report.findings[1]).toEqual(alone);
  });

  it("AKS: a failed exchange under the federated credential that explains it, before other roots", () => {
    const report = diagnoseAksFacts(
      edit(healthyAks(), (f) => {
        f.federatedCredentials = ok([]);
        f.exchange = ok({
          ok: false,
          clientId: "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f",
          tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
          httpStatus: 400,
          error: "invalid_request",
          errorCodes: [70021],
          description: "AADSTS70021: No matching federated identity record found for presented assertion.",
        });
        f.apiServerIssuer = failed("connection refused");
      }),
    );
    expect(shape(report.findings, aks)).toEqual(["fic.none", "exchange.failed <- fic.none"]);
  });

  it("AKS step subset: the same fold when a step tool runs both checks", () => {
    const { findings } = runSelected(aksRegistry, unmutated, ["pod.not-mutated", "webhook.missing"]);
    expect(shape(findings, aks)).toEqual(["webhook.missing", "pod.not-mutated <- webhook.missing"]);
    // Run alone, the symptom is all there is: it stays a root.
    expect(shape(runSelected(aksRegistry, unmutated, ["pod.not-mutated"]).findings, aks)).toEqual(["pod.not-mutated"]);
  });

  it("EKS: STS refusing the token under the missing OIDC provider", () => {
    const report = diagnoseEksFacts(
      edit(healthyIrsa(), (f) => {
        f.oidcProvider = ok(null);
        f.exchange = ok({
          ok: false,
          code: "InvalidIdentityToken",
          message: "No OpenIDConnect provider found in your account for https://oidc.eks.eu-west-1.amazonaws.com/id/X",
          httpStatus: 400,
          roleArn: "arn:aws:iam::111122223333:role/orders-api",
        });
      }),
    );
    expect(shape(report.findings, eks)).toEqual([
      "eks.oidc-provider-missing",
      "exchange.failed <- eks.oidc-provider-missing",
    ]);
  });

  it("aad-pod-identity: no assignment and the scale set without the identity, under the missing role", () => {
    const report = diagnosePodIdFacts(
      edit(healthyPodId(), (f) => {
        if (f.clusterIdentityRoles.status === "ok") f.clusterIdentityRoles.value = [];
        f.assignedIdentities = ok([]);
        if (f.vmss.status === "ok") f.vmss.value[0].userAssignedIdentities = [];
      }),
    );
    expect(shape(report.findings, podid)).toEqual([
      "podid.linked-authorization-failed",
      "podid.node-rg-role-missing",
      "podid.identity-not-on-vmss <- podid.linked-authorization-failed",
      "podid.assigned-identity-missing <- podid.linked-authorization-failed",
    ]);
  });
});
