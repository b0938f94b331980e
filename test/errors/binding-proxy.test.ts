// An application on the AKS identity binding path that does not use the proxy: the texts its SDK, compiler or Entra
// write lead to binding_proxy_not_enabled, not to the generic sdk_too_old (a library without workload identity).
import { describe, expect, it } from "vitest";
import { diagnoseAksFacts } from "../../src/diagnosis/aks/index.js";
import { errorTextSection } from "../../src/diagnosis/error-text.js";
import { explainError } from "../../src/diagnosis/errors/explain.js";
import { classInfo } from "../../src/diagnosis/errors/taxonomy.js";
import { edit } from "../checks/builders.js";
import { healthy } from "../checks/aks/tables-bindings.js";

// What each language says when the application names the proxy option its Azure Identity release lacks, and Entra's
// answer to the pod's own token sent without the proxy.
const TEXTS: [string, string][] = [
  [
    "Go, a release without EnableAzureProxy",
    "./main.go:31:3: unknown field EnableAzureProxy in struct literal of type azidentity.WorkloadIdentityCredentialOptions",
  ],
  [
    "Go, the beta name",
    "./main.go:31:3: unknown field EnableAzureTokenProxy in struct literal of type azidentity.WorkloadIdentityCredentialOptions",
  ],
  [
    ".NET",
    "Program.cs(14,5): error CS0117: 'WorkloadIdentityCredentialOptions' does not contain a definition for 'IsAzureProxyEnabled'",
  ],
  [
    "Java",
    "App.java:22: error: cannot find symbol\n            .enableAzureProxy()\n            ^\n  symbol:   method enableAzureProxy()\n  location: class WorkloadIdentityCredentialBuilder",
  ],
  [
    "TypeScript",
    "src/index.ts(9,3): error TS2353: Object literal may only specify known properties, and 'enableAzureProxy' does not exist in type 'WorkloadIdentityCredentialOptions'.",
  ],
  ["Python", "TypeError: Session.request() got an unexpected keyword argument 'enable_azure_proxy'"],
  [
    "Entra, the pod's own token",
    "ClientAssertionCredential authentication failed: AADSTS700212: No matching federated identity record found for presented assertion audience 'api://AKSIdentityBinding'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.",
  ],
];

describe("AADSTS700213 for the binding proxy's subject (an identity's resource id)", () => {
  const RID =
    "/subscriptions/0b1f6471-1bf0-4dda-aec3-5c1e2f3a4b6d/resourceGroups/payments-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/payments-api-identity";
  const text = `WorkloadIdentityCredential authentication failed: AADSTS700213: No matching federated identity record found for presented assertion subject '${RID}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.`;

  it("explains AKS's credential, and the fix rewrites aks-identity-binding rather than adding a service-account subject", () => {
    const [cause] = explainError(text).causes;
    expect(cause.class).toBe("fic_subject_mismatch");
    expect(cause.explanation).toContain("aks-identity-binding");
    expect(cause.fixes[0].commands).toEqual([
      `az identity federated-credential update --name aks-identity-binding --identity-name payments-api-identity --resource-group payments-rg --subscription 0b1f6471-1bf0-4dda-aec3-5c1e2f3a4b6d --subject ${RID} --audiences api://AzureADTokenExchange`,
    ]);
  });

  it("a service-account subject keeps the classic fix", () => {
    const [cause] = explainError(text.replace(RID, "system:serviceaccount:payments:payments-api")).causes;
    expect(cause.fixes[0].commands[0]).toContain('--subject "system:serviceaccount:payments:payments-api"');
  });
});

describe("binding_proxy_not_enabled", () => {
  for (const [name, text] of TEXTS) {
    it(`${name}: the proxy option, ahead of sdk_too_old`, () => {
      const r = explainError(text);
      expect(r.causes[0].class, JSON.stringify(r.causes)).toBe("binding_proxy_not_enabled");
      const old = r.causes.findIndex((c) => c.class === "sdk_too_old");
      if (old !== -1) expect(r.causes[old].confidence).toBeLessThan(r.causes[0].confidence);
    });
  }

  it("a library without workload identity at all stays sdk_too_old", () => {
    const r = explainError('invalid endpoint host, "169.254.170.23", only loopback hosts are allowed');
    expect(r.causes[0].class).toBe("sdk_too_old");
    expect(r.causes.map((c) => c.class)).not.toContain("binding_proxy_not_enabled");
  });

  it("its fix names the option of every language and not DefaultAzureCredential as a way out", () => {
    const [fix] = classInfo.binding_proxy_not_enabled.fixes({ x: {}, platform: "azure-sdk" });
    for (const option of ["EnableAzureProxy", "IsAzureProxyEnabled", "enableAzureProxy()", "enable_azure_proxy"])
      expect(fix.summary).toContain(option);
    expect(fix.summary).toContain("DefaultAzureCredential and ManagedIdentityCredential do not support it");
  });

  it("binding.sdk-not-opted-in confirms a build error that names the option (no AADSTS code in it)", () => {
    const e = explainError(TEXTS[0][1]);
    const facts = edit(healthy, (f) => {
      f.errorText = { codes: e.codes, classes: e.causes.map((c) => c.class), extracted: {} };
    });
    const report = diagnoseAksFacts(facts);
    expect(report.findings.map((f) => f.id)).toEqual(["binding.sdk-not-opted-in"]);
    expect(errorTextSection(facts.errorText!, report.findings).confirmedBy).toEqual(["binding.sdk-not-opted-in"]);
  });
});
