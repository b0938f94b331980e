// Fixes change the thing that is wrong: an annotation that deviates from the platform default is fixed on the
// annotation first (the cloud-side change is the alternative), and a client-id annotation holding a resource id
// is fixed with the identity's real client id, read from the cloud.
import { describe, expect, it } from "vitest";
import { diagnoseAksFacts } from "../../src/diagnosis/aks/index.js";
import { diagnoseEksFacts } from "../../src/diagnosis/eks/index.js";
import { withRemediations } from "../../src/remediation/index.js";
import { CLIENT_ID, edit, healthyAks, ok, serviceAccount } from "../checks/builders.js";
import { healthyIrsa, ROLE_ARN } from "../checks/eks-builders.js";

describe("a custom eks.amazonaws.com/audience nobody configured on the AWS side", () => {
  const facts = edit(healthyIrsa(), (f) => {
    if (f.serviceAccount.status === "ok" && f.serviceAccount.value)
      f.serviceAccount.value.annotations = {
        "eks.amazonaws.com/role-arn": ROLE_ARN,
        "eks.amazonaws.com/audience": "my-app",
      };
    // The token the webhook mints carries the annotated audience.
    if (f.token.status === "ok") f.token.value.aud = ["my-app"];
  });
  const report = withRemediations(diagnoseEksFacts(facts));

  for (const id of ["eks.oidc-audience-missing", "iam.trust-audience-mismatch"]) {
    it(`${id}: removes the annotation first, the AWS-side change second`, () => {
      const f = report.findings.find((x) => x.id === id);
      expect(f, report.findings.map((x) => x.id).join(", ")).toBeDefined();
      expect(f?.evidence).toMatchObject({ annotatedAudience: "my-app" });
      expect(f?.fix.commands[0]).toBe(
        "kubectl annotate serviceaccount orders-api -n orders eks.amazonaws.com/audience-",
      );
      expect(f?.fix.alternatives?.[0].commands.join("\n")).toMatch(/^aws iam /);
      expect(f?.remediation).toEqual({
        tool: "annotate_service_account",
        arguments: {
          namespace: "orders",
          serviceAccount: "orders-api",
          annotations: { "eks.amazonaws.com/audience": null },
        },
      });
    });
  }

  it("the default audience, not listed by the provider, is still fixed on the provider", () => {
    const plain = edit(healthyIrsa(), (f) => {
      if (f.oidcProvider.status === "ok" && f.oidcProvider.value) f.oidcProvider.value.clientIds = ["example.com"];
    });
    const f = withRemediations(diagnoseEksFacts(plain)).findings.find((x) => x.id === "eks.oidc-audience-missing");
    expect(f?.fix.commands[0]).toMatch(/^aws iam add-client-id-to-open-id-connect-provider /);
    expect(f?.remediation?.tool).toBe("set_iam_oidc_provider");
  });
});

describe("a client-id annotation holding the identity's resource id", () => {
  it("names the real client id read from ARM, and the remediation sets it", () => {
    const facts = edit(healthyAks(), (f) => {
      const identity = f.identity.status === "ok" ? f.identity.value : null;
      f.serviceAccount = ok(serviceAccount({ "azure.workload.identity/client-id": identity?.resourceId ?? "" }));
      f.identityByResourceId = identity ?? undefined;
    });
    const report = withRemediations(diagnoseAksFacts(facts));
    const f = report.findings.find((x) => x.id === "sa.client-id-malformed");
    expect(f?.evidence).toMatchObject({ clientId: CLIENT_ID });
    expect(f?.fix.commands[0]).toContain(`azure.workload.identity/client-id=${CLIENT_ID}`);
    expect(f?.remediation).toMatchObject({
      tool: "annotate_service_account",
      arguments: { annotations: { "azure.workload.identity/client-id": CLIENT_ID } },
    });
  });
});
