// The pure comparison of the text's values with the cluster's and cloud's facts.
import { describe, expect, it } from "vitest";
import { applyCrossCheck, compareIssuers, crossCheck, editDistance } from "../../src/diagnosis/errors/cross-check.js";
import { explainError } from "../../src/diagnosis/errors/explain.js";

const ISSUER =
  "https://westeurope.oic.prod-aks.azure.com/6d3e1a52-8c3f-4b7e-9f1a-2b5c7d9e0f11/8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/";
const text = (issuer: string, subject: string, audience = "api://AzureADTokenExchange") =>
  `AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '${issuer}'. Assertion Subject: '${subject}'. Assertion Audience: '${audience}'. client_id=3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f`;
const fic = (over: Partial<{ name: string; issuer: string; subject: string; audiences: string[] }> = {}) => ({
  name: "payments-fic",
  issuer: ISSUER,
  subject: "system:serviceaccount:payments:payments-api",
  audiences: ["api://AzureADTokenExchange"],
  ...over,
});
const accounts = [{ namespace: "payments", name: "payments-api", clientId: "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f" }];

describe("cross-check", () => {
  it("says the subject's namespace is wrong on the credential and what it should be", () => {
    const r = explainError(text(ISSUER, "system:serviceaccount:payments:payments-api"));
    const report = crossCheck(r, {
      clusterIssuer: ISSUER,
      serviceAccounts: accounts,
      federatedCredentials: [fic({ subject: "system:serviceaccount:payment:payments-api" })],
    });
    expect(report.confirmedClass).toBe("fic_subject_mismatch");
    const subject = report.findings.find((f) => f.field === "subject");
    expect(subject).toMatchObject({ verdict: "mismatch", expected: "system:serviceaccount:payment:payments-api" });
    expect(subject?.detail).toContain("its namespace is 'payment', the workload's is 'payments'");
    const merged = applyCrossCheck(r, report);
    expect(merged.causes[0]).toMatchObject({ class: "fic_subject_mismatch", confidence: 0.95 });
    expect(merged.crossCheck).toBe(report);
  });

  it("spots a trailing slash and letter case in the credential's issuer", () => {
    const r = explainError(text(ISSUER, "system:serviceaccount:payments:payments-api"));
    const slash = crossCheck(r, {
      clusterIssuer: ISSUER,
      federatedCredentials: [fic({ issuer: ISSUER.slice(0, -1) })],
    });
    expect(slash.confirmedClass).toBe("fic_issuer_mismatch");
    expect(slash.findings.find((f) => f.field === "issuer" && f.verdict === "mismatch")?.detail).toContain(
      "trailing slash",
    );
    expect(compareIssuers(ISSUER, ISSUER.toUpperCase())).toBe("case");
    expect(compareIssuers(ISSUER, "https://other.example/")).toBe("different");
  });

  it("recognises a token from another cluster", () => {
    const other = "https://eastus.oic.prod-aks.azure.com/t/other/";
    const report = crossCheck(explainError(text(other, "system:serviceaccount:payments:payments-api")), {
      clusterIssuer: ISSUER,
      otherClusterIssuers: [{ name: "staging", issuer: other }],
    });
    expect(report.findings[0]).toMatchObject({ field: "issuer", verdict: "mismatch" });
    expect(report.findings[0].detail).toContain("cluster 'staging'");
  });

  it("suggests the nearest namespace or service account that exists", () => {
    const ns = crossCheck(explainError(text(ISSUER, "system:serviceaccount:paymnets:payments-api")), {
      namespaces: ["default", "payments", "kube-system"],
      serviceAccounts: [],
    });
    expect(ns.findings[0]).toMatchObject({ field: "namespace", presented: "paymnets", expected: "payments" });
    const sa = crossCheck(explainError(text(ISSUER, "system:serviceaccount:payments:payment-api")), {
      serviceAccounts: accounts,
    });
    expect(sa.findings[0]).toMatchObject({ field: "serviceAccount", expected: "payments-api" });
    expect(editDistance("payments", "paymnets")).toBe(2);
  });

  it("names the audience, a missing credential, and a matching credential on another identity", () => {
    const audience = crossCheck(explainError(text(ISSUER, "system:serviceaccount:payments:payments-api")), {
      federatedCredentials: [fic({ audiences: ["api://Other"] })],
    });
    expect(audience.confirmedClass).toBe("fic_audience_mismatch");
    const none = crossCheck(explainError(text(ISSUER, "system:serviceaccount:payments:payments-api")), {
      federatedCredentials: [],
    });
    expect(none.confirmedClass).toBe("fic_missing");
    const exact = crossCheck(explainError(text(ISSUER, "system:serviceaccount:payments:payments-api")), {
      federatedCredentials: [fic()],
    });
    expect(exact.confirmedClass).toBe("wrong_client_id");
  });

  it("flags a client ID that differs from the service account's annotation", () => {
    const t = `${text(ISSUER, "system:serviceaccount:payments:payments-api")}`.replace(
      "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f",
      "11111111-2222-4333-8444-555555555555",
    );
    const report = crossCheck(explainError(t), { serviceAccounts: accounts });
    expect(report.findings.find((f) => f.field === "clientId")).toMatchObject({
      expected: "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f",
    });
    expect(report.confirmedClass).toBe("wrong_client_id");
  });

  it("says what it could not read", () => {
    const report = crossCheck(explainError(text(ISSUER, "system:serviceaccount:a:b")), {
      skipped: ["the cluster: no kube context"],
    });
    expect(report.confirmedClass).toBeUndefined();
    expect(report.skipped).toEqual(
      expect.arrayContaining(["the cluster: no kube context", "the cluster's issuer (not read)"]),
    );
  });
});
