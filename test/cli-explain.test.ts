// `wi-doctor explain` without a cross-check prints what the explain_error tool answers, while loading neither the
// tool's schemas nor a provider (src/cli/explain.ts).
import { describe, expect, it } from "vitest";
import { explainErrorTool } from "../src/tools/explain_error.js";
import { runCliInProcess } from "./helpers/cli.js";
import { SPAWNS_TIMEOUT_MS } from "./helpers/spawn.js";

const cli = (args: string[], input?: string) => runCliInProcess(["explain", ...args], { input });

const noWorld = async () => {
  throw new Error("explain without a cross-check reads nothing");
};

describe("wi-doctor explain", { timeout: SPAWNS_TIMEOUT_MS }, () => {
  it("answers as the explain_error tool does, as JSON and as text", async () => {
    const text =
      "WorkloadIdentityCredential authentication failed. AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:payments:payments-api'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.";
    const ctx = { env: noWorld, signal: new AbortController().signal, progress: async () => undefined };
    const input = explainErrorTool.inputSchema.parse({ text, namespace: "payments", crossCheck: false });
    const expected = await explainErrorTool.handler(input, ctx);
    const json = await cli(["--json", "-n", "payments", "-"], text);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual(JSON.parse(JSON.stringify(expected)));
    const human = await cli(["-n", "payments", text]);
    expect(human.code).toBe(0);
    expect(human.out).toBe(`${explainErrorTool.render(expected)}\n`);
  });

  it("refuses an empty text and an over-long namespace as usage errors, naming the field", async () => {
    const empty = await cli(["-"], "");
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/text: expected an error text/);
    const long = await cli(["-n", "a".repeat(254), "AADSTS700213"]);
    expect(long.code).toBe(2);
    expect(long.err).toMatch(/namespace: expected at most 253 characters/);
  });
});
