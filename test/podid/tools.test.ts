// inspect_pod_identity and plan_migration through an MCP client, over the simulated world; and the one-call
// diagnosis routing aad-pod-identity pods here.
import { afterEach, describe, expect, it } from "vitest";
import { diagnose } from "../../src/gather/index.js";
import { startSimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";
import { connect, type Harness } from "../helpers/mcp.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type Finding = { id: string; fix: { commands: string[] }; evidence: Record<string, unknown> };

async function call(scenario: string, name: string, args: Record<string, unknown>) {
  h = await connect({ scenario });
  const r = await h.client.callTool({ name, arguments: args });
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return { structured: r.structuredContent as Record<string, any>, text: (r.content as { text: string }[])[0].text };
}

describe("inspect_pod_identity", () => {
  it("is listed as read-only with both tools", async () => {
    h = await connect();
    const { tools } = await h.client.listTools();
    for (const name of ["inspect_pod_identity", "plan_migration"]) {
      const t = tools.find((x) => x.name === name);
      expect(t?.annotations?.readOnlyHint, name).toBe(true);
      expect(t?.annotations?.destructiveHint, name).toBe(false);
    }
  });

  it("names the missing role with the real principal and identity, and shows MIC's log line", async () => {
    const { structured, text } = await call("podid-linked-authorization-failed", "inspect_pod_identity", {
      namespace: "orders",
      workload: "Deployment/orders-api",
    });
    const first = structured.findings[0] as Finding;
    expect(first.id).toBe("podid.linked-authorization-failed");
    expect(first.fix.commands[0]).toBe(
      'az role assignment create --role "Managed Identity Operator" --assignee-object-id 2e4a6c8f-0b1d-4a3c-9e5f-7b9d1f3a5c8e --assignee-principal-type ServicePrincipal --scope /subscriptions/9c4e2a7b-1d3f-4e5a-8b6c-0d2e4f6a8b0c/resourcegroups/rg-shop-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders-mi',
    );
    expect(JSON.stringify(first.evidence.micErrorLines)).toContain("LinkedAuthorizationFailed");
    expect(structured.podIdentity.mic.errorLinesLastHour.length).toBeGreaterThan(0);
    expect(structured.podIdentity.imdsRedirect).toMatchObject({
      readable: false,
      command: "kubectl exec nmi-x7k2p -n kube-system -- iptables -t nat -S aad-metadata",
    });
    expect(structured.podIdentity.imdsRedirect.expectedOutput[1]).toContain("--to-destination 10.224.0.4:2579");
    expect(text).toContain("BROKEN");
    expect(text).toContain("iptables -t nat -S aad-metadata");
  });

  it("explains the v1.6 capitalisation break and gives a patch that renames the fields", async () => {
    const { structured } = await call("podid-field-capitalisation", "inspect_pod_identity", {
      namespace: "orders",
      workload: "Deployment/orders-api",
    });
    const f = (structured.findings as Finding[]).find((x) => x.id === "podid.identity-resource-id-invalid")!;
    const patch = f.fix.commands[0];
    expect(patch).toMatch(/^kubectl patch azureidentity orders-identity -n orders --type=merge -p '/);
    const body = JSON.parse(patch.slice(patch.indexOf("'") + 1, patch.lastIndexOf("'")));
    expect(body.spec).toMatchObject({
      resourceid: null,
      clientid: null,
      clientID: "0f6a2c8e-4b1d-4e7a-9c3f-5d8b0e2a4c6f",
    });
    expect(body.spec.resourceID).toMatch(/userAssignedIdentities\/orders-mi$/);
    expect(structured.podIdentity.identities[0].miscasedFields).toHaveLength(2);
  });

  it("gives the finalizer clean-up for objects MIC left behind", async () => {
    const { structured } = await call("podid-finalizer-stuck", "inspect_pod_identity", { namespace: "orders" });
    const f = (structured.findings as Finding[])[0];
    expect(f.id).toBe("podid.finalizer-stuck");
    expect(f.fix.commands).toEqual([
      `kubectl patch azureassignedidentity orders-api-5d8f7c9b6-k4m2x-orders-orders-identity -n orders --type=merge -p '{"metadata":{"finalizers":null}}'`,
      "kubectl delete azureassignedidentity orders-api-5d8f7c9b6-k4m2x-orders-orders-identity -n orders",
    ]);
    expect(structured.verdict).toBe("broken");
  });

  it("skips the Azure checks without a credential and still runs the Kubernetes ones", async () => {
    const scenario = loadScenario("podid-linked-authorization-failed");
    scenario.azure!.credentialAvailable = false;
    const session = await startSimSession(scenario);
    try {
      const report = await diagnose(session.env, scenario.target, {
        signal: AbortSignal.timeout(20_000),
        progress: async () => undefined,
      });
      expect(report.mechanism).toBe("aad-pod-identity");
      const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
      expect(byId["podid.identity-not-on-vmss"].status).toBe("skipped");
      expect(byId["podid.identity-not-on-vmss"].detail).toMatch(/credential/i);
      expect(byId["podid.binding-selector-mismatch"].status).toBe("pass");
      // With the role assignments unreadable, MIC's own log is the evidence.
      expect(report.findings[0].id).toBe("podid.linked-authorization-failed");
      expect(report.checks.some((c) => c.status === "error")).toBe(false);
    } finally {
      await session.close();
    }
  });
});

describe("plan_migration", () => {
  it("returns the ordered plan as structured content and text", async () => {
    const { structured, text } = await call("podid-healthy", "plan_migration", { namespace: "orders" });
    expect(structured.issuer).toBe(
      "https://westeurope.oic.prod-aks.azure.com/5b1d7e2c-8f3a-4c6d-9e0b-2a4c6e8f0a1b/e7a1c3d5-9b2f-4a6c-8e0d-1f3b5d7a9c2e/",
    );
    expect(structured.steps.map((s: { kind: string }) => s.kind)).toEqual([
      "create-service-account",
      "create-federated-credential",
      "check-sdk",
      "switch-pod-template",
      "roll-out",
      "verify",
      "remove-pod-identity-label",
      "delete-binding",
      "delete-azure-identity",
    ]);
    expect(structured.skipped).toEqual([]);
    expect(text).toContain("1. [prepare]");
    expect(text).toContain("$ kubectl create serviceaccount orders-api -n orders");
  });

  it("rejects a malformed namespace with a message naming the field", async () => {
    h = await connect({ scenario: "podid-healthy" });
    const r = await h.client.callTool({ name: "plan_migration", arguments: { namespace: "Not_A_Namespace" } });
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r.content)).toContain("namespace");
  });
});
