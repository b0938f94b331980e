// explain_error through MCP, cross-checked against a simulated world, and the error resources.
import { describe, expect, it } from "vitest";
import type { ExplainResult } from "../../src/diagnosis/errors/explain.js";
import { loadScenario } from "../../src/sim/scenario.js";
import { connect } from "../helpers/mcp.js";

const call = async (h: Awaited<ReturnType<typeof connect>>, args: Record<string, unknown>) => {
  const res = await h.client.callTool({ name: "explain_error", arguments: args });
  expect(res.isError, JSON.stringify(res.content)).toBeFalsy();
  return { out: res.structuredContent as unknown as ExplainResult, text: (res.content as { text: string }[])[0].text };
};

describe("explain_error tool", () => {
  it("confirms which field is wrong against the live cluster and cloud", async () => {
    const scenario = loadScenario("aks-fic-subject-namespace-typo");
    const h = await connect({ scenario: "aks-fic-subject-namespace-typo" });
    try {
      const { out, text } = await call(h, { text: scenario.target.errorText });
      expect(out.codes).toContain("AADSTS70021");
      expect(out.extracted).toMatchObject({ namespace: "payments", serviceAccount: "payments-api" });
      expect(out.crossCheck?.confirmedClass).toBe("fic_subject_mismatch");
      expect(out.causes[0]).toMatchObject({ class: "fic_subject_mismatch", confidence: 0.95 });
      const subject = out.crossCheck?.findings.find((f) => f.field === "subject");
      expect(subject?.expected).toBe("system:serviceaccount:payment:payments-api");
      expect(out.crossCheck?.findings.find((f) => f.field === "issuer")?.verdict).toBe("match");
      expect(text).toContain("✗ subject");
    } finally {
      await h.close();
    }
  });

  it("still explains when the cross-check cannot read the cloud, and says what it skipped", async () => {
    const scenario = loadScenario("aks-fic-subject-namespace-typo");
    const h = await connect({ scenario: "aks-no-azure-credential" });
    try {
      const { out } = await call(h, { text: scenario.target.errorText, crossCheck: true });
      expect(out.causes[0].class).toBe("fic_subject_mismatch");
      expect(out.crossCheck?.skipped.join("\n")).toMatch(/federated credentials/);
    } finally {
      await h.close();
    }
  });

  it("works without any world when cross-checking is off", async () => {
    const h = await connect();
    try {
      const { out } = await call(h, {
        text: "AADSTS7000222: The provided client secret keys for app 'x' are expired.",
        crossCheck: false,
      });
      expect(out.causes[0].class).toBe("client_secret_expired");
      expect(out.crossCheck).toBeUndefined();
      const bad = await h.client.callTool({ name: "explain_error", arguments: { text: "" } });
      expect(bad.isError).toBe(true);
    } finally {
      await h.close();
    }
  });

  it("serves every catalogue entry as wi-doctor://errors/{code}", async () => {
    const h = await connect();
    try {
      const { resources } = await h.client.listResources();
      const errors = resources.filter((r) => r.uri.startsWith("wi-doctor://errors/"));
      expect(errors.length).toBeGreaterThan(40);
      expect(errors.map((r) => r.uri)).toContain("wi-doctor://errors/AADSTS70021");
      const read = await h.client.readResource({ uri: "wi-doctor://errors/AADSTS70021" });
      const page = read.contents[0] as { text: string; mimeType: string };
      expect(page.mimeType).toBe("text/markdown");
      expect(page.text).toContain("fic_subject_mismatch");
      expect(page.text).toContain("https://learn.microsoft.com/");
      // Aliases resolve to their row.
      const alias = await h.client.readResource({ uri: "wi-doctor://errors/AADSTS501661" });
      expect((alias.contents[0] as { text: string }).text).toContain("# AADSTS90061");
      await expect(h.client.readResource({ uri: "wi-doctor://errors/NOPE" })).rejects.toThrow(/no catalogue entry/);
      // MCP's "resource not found", not an internal error.
      await expect(h.client.readResource({ uri: "wi-doctor://errors/NOPE" })).rejects.toMatchObject({ code: -32002 });
      await expect(h.client.readResource({ uri: "skill://no-such-skill/SKILL.md" })).rejects.toMatchObject({
        code: -32002,
      });
    } finally {
      await h.close();
    }
  });
});
