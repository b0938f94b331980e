// No output of any tool or command contains a token: mint tokens in the world, run every tool, scan every output.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeProvider } from "../src/providers/kubernetes.js";
import { allTools } from "../src/tools/index.js";
import { runCliInProcess } from "./helpers/cli.js";
import { connect, type Harness } from "./helpers/mcp.js";
import { SPAWNS_TIMEOUT_MS } from "./helpers/spawn.js";

const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/;

describe.each(["aks-healthy", "aks-fic-subject-namespace-typo", "aks-issuer-key-rotated"])(
  "no token in any output (%s)",
  (scenario) => {
    let h: Harness;
    let minted: string;
    beforeAll(async () => {
      h = await connect({ scenario });
      // Listing first makes the SDK client check every structured result against the listed output schema.
      await h.client.listTools();
      // A token the world really issued: if any output carried tokens, this kind would be among them.
      const kube = new KubeProvider(h.session!.env);
      minted = (
        await kube.createServiceAccountToken("payments", "payments-api", { audiences: ["api://AzureADTokenExchange"] })
      ).token;
    });
    afterAll(async () => h.close());

    it("every tool's structured and text output", async () => {
      expect(minted).toMatch(JWT);
      for (const tool of allTools) {
        // Each tool's own `example`: plausible arguments against the bundled AKS worlds (write tools: dry runs).
        const args = tool.example as Record<string, unknown>;
        expect(() => tool.inputSchema.parse(args), `${tool.name}'s example`).not.toThrow();
        const r = await h.client.callTool({ name: tool.name, arguments: args });
        // Every structured result validates against its tool's outputSchema.
        if (!r.isError) expect(() => tool.outputSchema.parse(r.structuredContent), tool.name).not.toThrow();
        const all = JSON.stringify(r);
        expect(all, tool.name).not.toMatch(JWT);
        expect(all, tool.name).not.toContain(minted.split(".")[2]);
        expect(all, tool.name).not.toMatch(/simulated-access-token|"access_token"/);
      }
    });
  },
);

describe("no token in command output", { timeout: SPAWNS_TIMEOUT_MS }, () => {
  it("diagnose, demo and explain print no token", async () => {
    const runs = [
      ["diagnose", "--scenario", "aks-fic-subject-namespace-typo", "--json"],
      ["diagnose", "--scenario", "aks-issuer-key-rotated"],
      ["demo", "aks-keyvault-firewall", "--json"],
      [
        "explain",
        "--json",
        `Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl AADSTS7000215 client_secret=abc~DEF123456789012345678901234567890`,
      ],
    ];
    for (const args of runs) {
      const r = await runCliInProcess(args);
      // The output scanned is the command's own (not, say, an empty string).
      expect(r.out.length, args.join(" ")).toBeGreaterThan(0);
      expect(r.out + r.err, args.join(" ")).not.toMatch(JWT);
      expect(r.out, args.join(" ")).not.toContain("abc~DEF123456789012345678901234567890");
    }
  });
});
