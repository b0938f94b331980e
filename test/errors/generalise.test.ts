// Real pastes: escaping, truncation, redaction marks, several errors in one log, long logs; every documented
// service code recognised with its meaning and source; and the deciding tool call when the text cannot decide.
import { describe, expect, it } from "vitest";
import { catalogue } from "../../src/diagnosis/errors/catalogue.js";
import { applyCrossCheck } from "../../src/diagnosis/errors/cross-check.js";
import { serviceCodes } from "../../src/diagnosis/errors/codes.js";
import { explainError } from "../../src/diagnosis/errors/explain.js";
import { keepEnd, MAX_INPUT_CHARS, unescapeLog } from "../../src/diagnosis/errors/normalize.js";
import { errorClasses } from "../../src/diagnosis/errors/taxonomy.js";

const subjectMismatch =
  "AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:app:api'.";

describe("service codes", () => {
  it("recognises every code in the table and explains it with its source", () => {
    for (const c of serviceCodes) {
      const text = c.code.startsWith("AADSTS")
        ? `{"error":"invalid_request","error_description":"${c.code}: something went wrong"}`
        : `operation error STS: AssumeRoleWithWebIdentity, api error ${c.code}: something went wrong`;
      const r = explainError(text);
      expect(r.codes, c.code).toContain(c.code);
      const m = r.meanings.find((x) => x.code === c.code);
      expect(m?.meaning, c.code).toBe(c.meaning);
      expect(m?.source, c.code).toMatch(/^https:\/\//);
      expect(r.causes.length, c.code).toBeGreaterThan(0);
      for (const [cls, w] of c.causes) {
        expect(errorClasses, c.code).toContain(cls);
        expect(w, c.code).toBeLessThanOrEqual(0.6);
      }
    }
  });

  it("covers over a hundred Entra codes and names an AADSTS code it does not know", () => {
    expect(serviceCodes.filter((c) => c.code.startsWith("AADSTS")).length).toBeGreaterThanOrEqual(100);
    const r = explainError("AADSTS99999901: whatever");
    expect(r.meanings[0]?.source).toContain("reference-error-codes");
  });

  it("gives every catalogue row a source: a reference page or a repository path", () => {
    for (const e of catalogue)
      expect(e.docs, e.code).toMatch(
        /^https:\/\/(learn\.microsoft\.com|docs\.aws\.amazon\.com|github\.com|azure\.github\.io|repost\.aws)\//,
      );
  });
});

describe("real pastes", () => {
  it('reads JSON inside a log line (\\" and \\\\n)', () => {
    const text = `E0101 1 main.go:1] "failed" err="reply status code was 400:\\n{\\"error\\":\\"invalid_request\\",\\"error_description\\":\\"${subjectMismatch.replace(/'/g, "\\u0027")}\\"}"`;
    const r = explainError(text);
    expect(r.codes).toContain("AADSTS700213");
    expect(r.causes[0].class).toBe("fic_subject_mismatch");
    expect(r.extracted.namespace).toBe("app");
  });

  it("reads HTML-escaped text", () => {
    expect(unescapeLog("&quot;a&quot; &#x27;b&#39; &amp;&lt;c&gt;")).toBe("\"a\" 'b' &<c>");
    const r = explainError(subjectMismatch.replace(/'/g, "&#39;"));
    expect(r.extracted.subject).toBe("system:serviceaccount:app:api");
  });

  it("survives truncation and redaction marks", () => {
    const cut = explainError(
      "FromAssertion(): http call(...) error: AADSTS700016: Application with identifier '***' was not found in the direc",
    );
    expect(cut.causes.map((c) => c.class)).toContain("app_not_found_in_tenant");
    const masked = explainError(
      "AADSTS700016: Application with identifier '<redacted>' was not found in the directory 'xxxxx'.",
    );
    expect(masked.causes[0].class).not.toBe("wrong_client_id");
  });

  it("reads JSON escaped twice (a JSON log line whose message is itself JSON holding JSON)", () => {
    const body = JSON.stringify({
      error: "invalid_client",
      error_description:
        "AADSTS700016: Application with identifier '0b7c4e5e-2a44-4c2f-9d1e-5f3a6b7c8d9e' was not found in the directory 'contoso'.",
    });
    const line = JSON.stringify({ level: "error", msg: JSON.stringify({ err: body }) });
    expect(line).toContain('\\\\\\"');
    const r = explainError(line);
    expect(r.codes).toContain("AADSTS700016");
    expect(r.extracted.clientId).toBe("0b7c4e5e-2a44-4c2f-9d1e-5f3a6b7c8d9e");
    expect(r.causes[0].class).toBe("app_not_found_in_tenant");
  });

  it("decodes numeric HTML entities, so an issuer with escaped slashes is read whole", () => {
    expect(unescapeLog("&#x2F;&#47;&#X3A;&#58;")).toBe("//::");
    expect(unescapeLog("&#0; &#x110000; &#xZZ;")).toBe("&#0; &#x110000; &#xZZ;");
    const r = explainError(
      "AADSTS700211: No matching federated identity record found for presented assertion issuer &#x27;https:&#x2F;&#x2F;oidc.prod-aks.azure.com&#x2F;0000&#x2F;&#x27;.",
    );
    expect(r.extracted.issuer).toBe("https://oidc.prod-aks.azure.com/0000/");
  });

  it("never reads a redaction mark as a value, nor compares it", () => {
    for (const mark of ["***", "[REDACTED]", "<redacted>", "REDACTED", "xxxxx"]) {
      const r = explainError(
        `AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '${mark}'. Assertion Subject: '${mark}'. Assertion Audience: 'api://AzureADTokenExchange'.`,
      );
      expect(r.extracted.issuer, mark).toBeUndefined();
      expect(r.extracted.subject, mark).toBeUndefined();
      // An issuer that is only a mark is not evidence of an internal (non-https) issuer.
      expect(r.causes[0].class, mark).not.toBe("fic_issuer_mismatch");
    }
  });

  it("reads a message cut off mid-word with an ellipsis", () => {
    const r = explainError("AADSTS700213: No matching federated identity record found for presented assertion subj…");
    expect(r.codes).toContain("AADSTS700213");
    expect(r.causes[0].class).toBe("fic_subject_mismatch");
  });

  it("in a credential chain's report, ranks the credential that reached Entra above the ones that were unavailable", () => {
    const chain = [
      "DefaultAzureCredential failed to retrieve a token from the included credentials.",
      "- EnvironmentCredential authentication unavailable. Environment variables are not fully configured.",
      "- WorkloadIdentityCredential authentication failed: AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:app:api'.",
      "- ManagedIdentityCredential authentication unavailable, no response from the IMDS endpoint.",
    ].join("\n");
    const r = explainError(chain);
    expect(r.causes[0].class).toBe("fic_subject_mismatch");
    expect(r.undecided).toBeUndefined();
    const unavailable = r.causes.filter((c) => c.class === "imds_unreachable" || c.class === "missing_env_config");
    for (const c of unavailable) expect(c.confidence).toBeLessThanOrEqual(r.causes[0].confidence - 0.15 + 1e-9);
  });

  it("ranks the latest of several errors in one log first", () => {
    const imds = "ManagedIdentityCredential authentication unavailable, no response from the IMDS endpoint.";
    const sts =
      'WebIdentityErr: failed to retrieve credentials\ncaused by: RequestError: send request failed\ncaused by: Post "https://sts.us-east-1.amazonaws.com/": read: connection reset by peer';
    expect(explainError(`${imds}\n${sts}`).causes[0].class).toBe("sts_endpoint_unreachable");
    expect(explainError(`${sts}\n${imds}`).causes[0].class).toBe("imds_unreachable");
  });

  it("keeps the end of a log longer than 1 MB", () => {
    const filler = "2024-05-01T10:00:00Z INFO request handled status=200\n".repeat(30_000);
    expect(filler.length).toBeGreaterThan(MAX_INPUT_CHARS);
    expect(keepEnd(filler + subjectMismatch).endsWith(subjectMismatch)).toBe(true);
    expect(keepEnd(filler).length).toBeLessThanOrEqual(MAX_INPUT_CHARS);
    expect(explainError(filler + subjectMismatch).causes[0].class).toBe("fic_subject_mismatch");
  });
});

describe("when the text cannot decide", () => {
  it("names the close causes, most frequent first, and the tool call that decides", () => {
    const r = explainError("AADSTS70021: No matching federated identity record found for presented assertion.");
    expect(r.undecided?.between[0]).toBe(r.causes[0].class);
    expect(r.undecided?.between[1]).toBe(r.causes[1].class);
    expect(r.undecided?.decidingCall.tool).toBe("list_federated_credentials");
  });

  it("drops the question once the live facts confirm a cause", () => {
    const r = explainError("AADSTS70021: No matching federated identity record found for presented assertion.");
    expect(r.undecided).toBeDefined();
    const checked = applyCrossCheck(r, { findings: [], skipped: [], confirmedClass: "fic_missing" });
    expect(checked.causes[0].class).toBe("fic_missing");
    expect(checked.undecided).toBeUndefined();
  });

  it("everywhere it speaks, lists every close cause most frequent first and a call that confirms the most of them", async () => {
    const { loadSplits } = await import("../../src/bench/explain.js");
    let spoke = 0;
    for (const { file, entry } of loadSplits().tuning) {
      const r = explainError(entry.text);
      if (!r.undecided || r.causes[0].class === "unknown") continue;
      spoke++;
      const close = r.causes.filter((c) => r.causes[0].confidence - c.confidence < 0.12);
      expect(r.undecided.between, file).toEqual(close.map((c) => c.class));
      const covers = (tool: string) => close.filter((c) => c.confirmWith.some((t) => t.tool === tool)).length;
      const most = Math.max(...close.flatMap((c) => c.confirmWith.map((t) => covers(t.tool))));
      expect(covers(r.undecided.decidingCall.tool), file).toBe(most);
    }
    expect(spoke).toBeGreaterThan(5);
  });

  it("names the one-call diagnosis when the text matches no row but its words suggest several causes", () => {
    const r = explainError("the webhook did not mutate the pod and the tenant looks odd");
    expect(r.causes[0].class).toBe("unknown");
    expect(r.undecided?.between).toEqual(r.causes.slice(1).map((c) => c.class));
    expect(r.undecided?.between.length).toBeGreaterThanOrEqual(2);
    expect(r.undecided?.decidingCall.tool).toBe("diagnose_workload_identity");
  });

  it("says nothing when one cause clearly leads", () => {
    const r = explainError('invalid endpoint host, "169.254.170.23", only loopback hosts are allowed');
    expect(r.causes[0].class).toBe("sdk_too_old");
    expect(r.undecided).toBeUndefined();
  });
});
