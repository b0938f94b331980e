// What is generated from the tool registry (the README's table, the prompt's step tools) and the toolsets.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { troubleshootPrompt } from "../../src/server.js";
import { TOOLSETS } from "../../src/tools/define.js";
import { allTools } from "../../src/tools/index.js";
import { parseToolsets, selectTools, stepToolList, toolTable } from "../../src/tools/toolsets.js";
import { connect } from "../helpers/mcp.js";

describe("tool registry", () => {
  it("every tool names its toolsets and a one-line summary", () => {
    for (const t of allTools) {
      expect(t.toolsets?.length, t.name).toBeGreaterThan(0);
      for (const s of t.toolsets ?? []) expect(TOOLSETS, t.name).toContain(s);
      expect(t.summary, t.name).toMatch(/\S/);
    }
  });

  it("the README's tool table is the one generated from the registry (`vitest -u` writes it)", async () => {
    const readme = readFileSync("README.md", "utf8");
    const table = /^\| tool \| what it answers \|\n(?:\|.*\|\n)*/m;
    expect(readme).toMatch(table);
    // The README as it should be: the same text with the table generated now.
    await expect(readme.replace(table, `${toolTable(allTools)}\n`)).toMatchFileSnapshot("../../README.md");
  });

  it("the prompt names every step tool, grouped by mechanism", () => {
    const prompt = troubleshootPrompt("payments", "deployment/api");
    const steps = stepToolList(allTools);
    expect(prompt).toContain(steps);
    for (const name of ["show_cluster_oidc", "check_keyvault_access", "inspect_iam_role", "plan_migration"])
      expect(steps).toContain(name);
    expect(steps).toMatch(/inspect_iam_role \(EKS\)/);
    expect(steps).toMatch(/inspect_pod_identity and plan_migration \(aad-pod-identity\)/);
    expect(steps).not.toContain("diagnose_workload_identity");
  });

  it("parses --toolsets and refuses unknown names, naming the valid ones", () => {
    expect(parseToolsets(undefined)).toEqual([...TOOLSETS]);
    expect(parseToolsets("all")).toEqual([...TOOLSETS]);
    expect(parseToolsets("eks, explain")).toEqual(["eks", "explain"]);
    expect(() => parseToolsets("aks,gke")).toThrow(
      /--toolsets: expected a comma-separated list of aks, eks, podid, explain/,
    );
  });

  it("selects the tools of the toolsets asked for", () => {
    const names = (sets: Parameters<typeof selectTools>[1]) => selectTools(allTools, sets).map((t) => t.name);
    expect(names(["explain"])).toEqual(["explain_error"]);
    expect(names(["eks"])).toContain("inspect_iam_role");
    expect(names(["eks"])).not.toContain("list_federated_credentials");
    expect(names(["podid"])).toEqual(
      expect.arrayContaining(["diagnose_workload_identity", "inspect_pod_identity", "plan_migration"]),
    );
    expect(names([...TOOLSETS])).toHaveLength(allTools.length);
  });

  it("a server started with toolsets lists only their tools", async () => {
    const h = await connect({ toolsets: ["eks", "explain"] });
    try {
      const { tools } = await h.client.listTools();
      const names = tools.map((t) => t.name);
      expect(names).toContain("inspect_iam_role");
      expect(names).toContain("explain_error");
      expect(names).not.toContain("inspect_pod_identity");
      expect(names).not.toContain("check_keyvault_access");
    } finally {
      await h.close();
    }
  });
});
