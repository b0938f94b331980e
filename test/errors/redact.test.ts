// Secrets pasted with an error never come back out: not in extracted values, explanations or fixes.
import { describe, expect, it } from "vitest";
import { explainError } from "../../src/diagnosis/errors/explain.js";
import { REDACTED, redactSecrets } from "../../src/diagnosis/errors/redact.js";
import { explainErrorTool } from "../../src/tools/explain_error.js";

const JWT =
  "eyJhbGciOiJSUzI1NiIsImtpZCI6IkRBQkNEIn0.eyJpc3MiOiJodHRwczovL29pZGMuZXhhbXBsZS8iLCJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YTpiIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU";
const CLIENT_SECRET = "Xy8Q~abcDEFghiJKLmnoPQRstuVWxyz0123456789";
const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SESSION = "IQoJb3JpZ2luX2VjEHUaCXVzLWVhc3QtMSJHMEUCIQDexampleexampleexample";
const SAS = "sv=2022-11-02&ss=b&srt=co&sp=r&se=2026-01-01&sig=abcdEFGHijklMNOPqrstUVWXyz0123456789%2B%2F%3D";

const pasted = [
  `curl -d "client_assertion=${JWT}&client_id=3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f&client_secret=${CLIENT_SECRET}" https://login.microsoftonline.com/t/oauth2/v2.0/token`,
  `{"token_type":"Bearer","expires_in":3599,"access_token":"${JWT}"}`,
  `Authorization: Bearer ${JWT}`,
  `AWS_SECRET_ACCESS_KEY=${AWS_SECRET} AWS_SESSION_TOKEN=${SESSION}`,
  `<SecretAccessKey>${AWS_SECRET}</SecretAccessKey><SessionToken>${SESSION}</SessionToken>`,
  `https://acct.blob.core.windows.net/c/b?${SAS}`,
  // A bare token pasted in the middle of an AADSTS error, subject and all.
  `AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://oidc.example/'. Assertion Subject: 'system:serviceaccount:payments:api ${JWT}'. Assertion Audience: 'api://AzureADTokenExchange'.`,
].join("\n");

const secrets = [JWT, CLIENT_SECRET, AWS_SECRET, SESSION, "abcdEFGHijklMNOPqrstUVWXyz0123456789", JWT.split(".")[1]];

describe("secret redaction", () => {
  it("replaces every kind of secret in the text", () => {
    const out = redactSecrets(pasted);
    for (const s of secrets) expect(out).not.toContain(s);
    expect(out).toContain(REDACTED);
    // What is not secret stays readable.
    expect(out).toContain("client_id=3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f");
    expect(out).toContain("system:serviceaccount:payments:api");
  });

  it("leaves prose around secret-looking words alone", () => {
    const prose =
      "AADSTS50126: The provided username or password is invalid. Authorization failed for the Bearer realm.";
    expect(redactSecrets(prose)).toBe(prose);
  });

  it("never echoes a secret in the explanation, the structured output or the rendered text", async () => {
    const result = explainError(pasted);
    const json = JSON.stringify(result);
    for (const s of secrets) expect(json).not.toContain(s);
    expect(result.extracted.clientId).toBe("3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f");

    const ctx = {
      env: async () => {
        throw new Error("no world");
      },
      signal: new AbortController().signal,
      progress: async () => undefined,
    };
    const output = await explainErrorTool.handler({ text: pasted, crossCheck: false }, ctx);
    const rendered = explainErrorTool.render(output);
    for (const s of secrets) {
      expect(JSON.stringify(output)).not.toContain(s);
      expect(rendered).not.toContain(s);
    }
  });

  it("redacts secrets that arrive escaped inside a Go log line", () => {
    const line = String.raw`err="reply status code was 401:\n{\"access_token\":\"${JWT}\",\"client_secret\":\"${CLIENT_SECRET}\"}"`;
    const json = JSON.stringify(explainError(line));
    expect(json).not.toContain(JWT);
    expect(json).not.toContain(CLIENT_SECRET);
  });
});
