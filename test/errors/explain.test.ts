// explainError on single texts: extraction, ranking, ambiguity and unknown text.
import { describe, expect, it } from "vitest";
import { explainError } from "../../src/diagnosis/errors/explain.js";

const GO_70021 = String.raw`E1120 09:14:03.512345 1 main.go:88] "failed to get token" err="FromAssertion(): http call(https://login.microsoftonline.com/6d3e1a52-8c3f-4b7e-9f1a-2b5c7d9e0f11/oauth2/v2.0/token)(POST) error: reply status code was 400:\n{\"error\":\"invalid_request\",\"error_description\":\"AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://westeurope.oic.prod-aks.azure.com/6d3e1a52-8c3f-4b7e-9f1a-2b5c7d9e0f11/8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/'. Assertion Subject: 'system:serviceaccount:payments:payments-api'. Assertion Audience: 'api://AzureADTokenExchange'.\\r\\nTrace ID: 1b0e3a4c-7d2f-4e61-9a35-c0d9e8f71200\\r\\nCorrelation ID: 8f6a2d1e-3b4c-4d5e-a6f7-0819a2b3c4d5\\r\\nTimestamp: 2026-11-20 09:14:03Z\",\"error_codes\":[70021]}"`;

describe("explainError", () => {
  it("reads every value of a Go-escaped AADSTS70021 log line", () => {
    const r = explainError(GO_70021);
    expect(r.codes).toEqual(expect.arrayContaining(["AADSTS70021", "HTTP 400", "invalid_request"]));
    expect(r.codes).not.toContain("AADSTS700211");
    expect(r.platform).toBe("aks-workload-identity");
    expect(r.extracted).toEqual({
      issuer:
        "https://westeurope.oic.prod-aks.azure.com/6d3e1a52-8c3f-4b7e-9f1a-2b5c7d9e0f11/8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/",
      subject: "system:serviceaccount:payments:payments-api",
      audience: "api://AzureADTokenExchange",
      namespace: "payments",
      serviceAccount: "payments-api",
      tenantId: "6d3e1a52-8c3f-4b7e-9f1a-2b5c7d9e0f11",
      traceId: "1b0e3a4c-7d2f-4e61-9a35-c0d9e8f71200",
      correlationId: "8f6a2d1e-3b4c-4d5e-a6f7-0819a2b3c4d5",
      timestamp: "2026-11-20 09:14:03Z",
    });
    expect(r.causes[0].class).toBe("fic_subject_mismatch");
    // The audience is the standard one, so it is the least likely field.
    const audience = r.causes.find((c) => c.class === "fic_audience_mismatch");
    expect(audience?.confidence ?? 0).toBeLessThan(0.2);
  });

  it("fills the fix with the names from the text and names the tools that confirm it", () => {
    const top = explainError(GO_70021).causes[0];
    const commands = top.fixes.flatMap((f) => f.commands).join("\n");
    expect(commands).toContain('--subject "system:serviceaccount:payments:payments-api"');
    expect(commands).toContain('--issuer "https://westeurope.oic.prod-aks.azure.com/');
    expect(commands).toContain("<identity-name>");
    expect(top.confirmWith.map((t) => t.tool)).toEqual(["list_federated_credentials", "inspect_service_account"]);
    expect(top.confirmWith[1].arguments).toEqual({ namespace: "payments", serviceAccount: "payments-api" });
  });

  it("tells the numbered codes apart and reads the newer presented-assertion formats", () => {
    const issuer = explainError(
      "AADSTS700211: No matching federated identity record found for presented assertion issuer 'https://eastus.oic.prod-aks.azure.com/t/c'. Please check",
    );
    expect(issuer.codes).toContain("AADSTS700211");
    expect(issuer.codes).not.toContain("AADSTS70021");
    expect(issuer.causes[0].class).toBe("fic_issuer_mismatch");
    expect(issuer.extracted.issuer).toBe("https://eastus.oic.prod-aks.azure.com/t/c");

    const audience = explainError(
      "AADSTS700212: No matching federated identity record found for presented assertion audience 'api://custom'.",
    );
    expect(audience.causes[0].class).toBe("fic_audience_mismatch");
    expect(audience.extracted.audience).toBe("api://custom");

    const subject = explainError(
      "AADSTS7002138: No matching federated identity record found for presented assertion subject 'system:serviceaccount:Payments:api'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison.",
    );
    expect(subject.causes[0]).toMatchObject({ class: "fic_subject_mismatch" });
    expect(subject.causes[0].confidence).toBeGreaterThan(0.9);
    expect(subject.extracted).toMatchObject({ namespace: "Payments", serviceAccount: "api" });
  });

  it("raises the audience when the token carries a non-exchange audience", () => {
    const r = explainError(
      "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://oidc.example/'. Assertion Subject: 'system:serviceaccount:a:b'. Assertion Audience: 'https://kubernetes.default.svc'.",
    );
    expect(r.causes[0].class).toBe("fic_audience_mismatch");
  });

  it("survives truncation: an unterminated quoted value stops at the first space", () => {
    const r = explainError(
      "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://oidc.prod-aks.azure.com/abc/ Assertion",
    );
    expect(r.extracted.issuer).toBe("https://oidc.prod-aks.azure.com/abc/");
  });

  it("reads AWS values: role ARN, provider URL and token file", () => {
    const r = explainError(
      "WebIdentityErr: failed to retrieve credentials\ncaused by: InvalidIdentityToken: No OpenIDConnect provider found in your account for https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789\n\tstatus code: 400 role arn:aws:iam::111122223333:role/payments-reader AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
    );
    expect(r.platform).toBe("eks-irsa");
    expect(r.codes).toEqual(expect.arrayContaining(["WebIdentityErr", "InvalidIdentityToken", "HTTP 400"]));
    expect(r.extracted).toMatchObject({
      providerUrl: "https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789",
      roleArn: "arn:aws:iam::111122223333:role/payments-reader",
      tokenFile: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
    });
    expect(r.causes[0].class).toBe("irsa_no_oidc_provider");
    expect(r.causes[0].confirmWith).toEqual([
      { tool: "inspect_iam_role", arguments: { roleArn: "arn:aws:iam::111122223333:role/payments-reader" } },
    ]);
  });

  it("turns an assumed-role session ARN into the role's ARN", () => {
    const r = explainError(
      "User: arn:aws:sts::111122223333:assumed-role/app-role/botocore-session-1 is not authorized to perform: s3:GetObject on resource",
    );
    expect(r.extracted.roleArn).toBe("arn:aws:iam::111122223333:role/app-role");
    expect(r.causes[0].class).toBe("rbac_missing_role");
  });

  it("reads the vault from a Key Vault firewall error", () => {
    const r = explainError(
      'Status=403 Code="Forbidden" Message="Client address is not authorized and caller is not a trusted service.\\r\\nClient address: 10.1.2.3\\r\\nVault: payments-kv;location=westeurope" InnerError={"code":"ForbiddenByFirewall"}',
    );
    expect(r.extracted.vault).toBe("payments-kv");
    expect(r.causes[0].class).toBe("keyvault_firewall");
    expect(r.causes[0].confirmWith[0]).toEqual({
      tool: "check_keyvault_access",
      arguments: { vaultName: "payments-kv" },
    });
    expect(r.causes[0].fixes[0].commands[0]).toContain("--name payments-kv");
  });

  it("ranks every plausible cause of ambiguous text and names the tools that tell them apart", () => {
    const r = explainError("AZURE_CLIENT_ID not set", { namespace: "payments", serviceAccount: "api" });
    const classes = r.causes.map((c) => c.class);
    expect(classes.slice(0, 3)).toEqual(["missing_env_config", "pod_not_mutated_label_missing", "webhook_not_running"]);
    const tools = new Set(r.causes.flatMap((c) => c.confirmWith.map((t) => t.tool)));
    for (const t of ["inspect_service_account", "inspect_workload", "check_webhook"]) expect(tools).toContain(t);
    expect(r.causes[0].confirmWith[0].arguments).toEqual({ namespace: "payments", serviceAccount: "api" });

    const dac = explainError("DefaultAzureCredential failed to acquire a token");
    expect(dac.causes.length).toBeGreaterThanOrEqual(4);
    expect(dac.causes[0].confidence).toBeLessThan(0.7);
  });

  it("moves to the missing label when the token file is missing too", () => {
    const r = explainError("WorkloadIdentityCredential: no token file specified. Check pod configuration");
    expect(r.causes[0].class).toBe("pod_not_mutated_label_missing");
  });

  it("recognises the old token path after the webhook moved it", () => {
    const r = explainError("open /var/run/secrets/azure/tokens/azure-identity-token: no such file or directory");
    expect(r.causes[0].class).toBe("token_path_changed");
    expect(r.extracted.tokenFile).toBe("/var/run/secrets/azure/tokens/azure-identity-token");
  });

  it("says when it does not know, and offers only low-confidence candidates", () => {
    const r = explainError(
      "Back-off restarting failed container api in pod payments-api-1 (webhook unrelated message)",
    );
    expect(r.causes[0].class).toBe("unknown");
    expect(r.causes[0].explanation).toMatch(/matches no entry/);
    for (const c of r.causes.slice(1)) expect(c.confidence).toBeLessThanOrEqual(0.15);
    expect(r.causes.map((c) => c.class)).toContain("webhook_not_running");
    expect(r.platform).toBe("unknown");
    expect(explainError("").causes[0].class).toBe("unknown");
  });

  it("takes a vault name only from Key Vault's own 'Vault: <name>;' line, not from prose", () => {
    const prose = explainError(
      'level=fatal msg="[error] : failed to get vault: failed to get management token: nmi response failed with status code: 403"',
    );
    expect(prose.extracted.vault).toBeUndefined();
    expect(prose.causes[0].class).toBe("nmi_identity_not_assigned");
    const kv = explainError(
      "Client address is not authorized and caller is not a trusted service.\r\nClient address: 10.15.3.100\r\nVault: tiberius-cd-kv-02;location=southcentralus",
    );
    expect(kv.extracted.vault).toBe("tiberius-cd-kv-02");
  });

  it("drops a provider URL that was masked or cut short", () => {
    const masked = explainError(
      "WebIdentityErr: failed to retrieve credentials\ncaused by: InvalidIdentityToken: No OpenIDConnect provider found in your account for *****",
    );
    expect(masked.extracted.providerUrl).toBeUndefined();
    const cut = explainError(
      "InvalidIdentityToken: No OpenIDConnect provider found in your account for https://oidc.eks.eu-west-1.amazonaws.com/id/<REDACTED>",
    );
    expect(cut.extracted.providerUrl).toBeUndefined();
    expect(cut.causes[0].class).toBe("irsa_no_oidc_provider");
  });

  it("does not call a masked AADSTS700016 identifier a wrong client ID", () => {
    const r = explainError(
      "AADSTS700016: Application with identifier '***' was not found in the directory 'mydirectory'. You may have sent your authentication request to the wrong tenant.",
    );
    expect(r.causes[0].class).toBe("app_not_found_in_tenant");
    const word = explainError("AADSTS700016: Application with identifier 'msi' was not found in the directory 'x'.");
    expect(word.causes[0].class).toBe("wrong_client_id");
  });

  it("reads a 403/404 from the managed identity endpoint as NMI refusing the pod, not as unreachable", () => {
    const r = explainError(
      "ManagedIdentityCredential authentication failed.(status code 404). More details: unknown_error(status code 404). Response body: ManagedIdentityCredential - IMDS: Failed to retrieve IMDS token after 3 retries.",
    );
    expect(r.causes[0].class).toBe("nmi_identity_not_assigned");
    const imds = r.causes.find((c) => c.class === "imds_unreachable");
    expect(imds?.confidence ?? 0).toBeLessThanOrEqual(0.4);
  });

  it("is deterministic and never names a class outside the taxonomy", () => {
    expect(explainError(GO_70021)).toEqual(explainError(GO_70021));
  });
});
