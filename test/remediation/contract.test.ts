// The write contract through the MCP surface: no write without --allow-writes, dryRun: false, confirm: true and
// the planId of a dry run over the same world; every write logged; the same plan twice changes nothing.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setAuditLog } from "../../src/remediation/audit.js";
import { connect, type Harness } from "../helpers/mcp.js";

type Out = Record<string, unknown> & { planId: string; action: string; applied: boolean };

async function call(h: Harness, name: string, args: Record<string, unknown>) {
  const r = await h.client.callTool({ name, arguments: args });
  const text = (r.content as { text: string }[])[0]?.text ?? "";
  return { isError: r.isError === true, text, out: r.structuredContent as Out };
}

function saAnnotations(h: Harness, ns: string, name: string): Record<string, string> {
  const o = h.session?.world.scenario.kubernetes.objects.find(
    (x) => x.kind === "ServiceAccount" && x.metadata.name === name && x.metadata.namespace === ns,
  ) as { metadata: { annotations?: Record<string, string> } } | undefined;
  return { ...(o?.metadata.annotations ?? {}) };
}

const ANNOTATE = {
  namespace: "payments",
  serviceAccount: "payments-api",
  annotations: {
    "azure.workload.identity/client_id": null,
    "azure.workload.identity/client-id": "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f",
  },
};

describe("write tools are registered only with --allow-writes", () => {
  it("lists none without it and every one with it, annotated as writes", async () => {
    const without = await connect({ scenario: "aks-sa-annotation-typo" });
    const withWrites = await connect({ scenario: "aks-sa-annotation-typo", allowWrites: true });
    try {
      const names = (await without.client.listTools()).tools.map((t) => t.name);
      const all = (await withWrites.client.listTools()).tools;
      const writes = all.filter((t) => t.annotations?.readOnlyHint === false).map((t) => t.name);
      expect(writes).toEqual(
        expect.arrayContaining([
          "set_federated_credential",
          "annotate_service_account",
          "label_pod_template",
          "restart_workload",
          "update_role_trust_policy",
          "create_pod_identity_association",
        ]),
      );
      for (const w of writes) expect(names).not.toContain(w);
      const denied = await call(without, "annotate_service_account", { ...ANNOTATE, dryRun: false, confirm: true });
      expect(denied.isError).toBe(true);
      expect(saAnnotations(without, "payments", "payments-api")).toHaveProperty(["azure.workload.identity/client_id"]);
    } finally {
      await without.close();
      await withWrites.close();
    }
  });
});

describe("plan, then apply with its planId", () => {
  let h: Harness;
  const dir = mkdtempSync(join(tmpdir(), "wi-doctor-audit-"));
  const auditFile = join(dir, "audit.jsonl");
  beforeAll(async () => {
    setAuditLog(auditFile);
    h = await connect({ scenario: "aks-sa-annotation-typo", allowWrites: true });
  });
  afterAll(async () => {
    setAuditLog(undefined);
    await h.close();
  });

  it("a dry run shows the exact change, before/after, quoted commands and a planId, and writes nothing", async () => {
    const before = saAnnotations(h, "payments", "payments-api");
    const { out, isError } = await call(h, "annotate_service_account", ANNOTATE);
    expect(isError).toBe(false);
    expect(out.planId).toMatch(/^[0-9a-f]{24}$/);
    expect(out.applied).toBe(false);
    expect(out.action).toBe("update");
    expect(out.change).toMatchObject({
      api: "kubernetes",
      url: "/api/v1/namespaces/payments/serviceaccounts/payments-api",
      body: { metadata: { annotations: ANNOTATE.annotations } },
    });
    expect(out.before).toEqual({
      "azure.workload.identity/client_id": "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f",
      "azure.workload.identity/client-id": null,
    });
    expect(out.commands).toEqual([
      "kubectl annotate serviceaccount payments-api -n payments azure.workload.identity/client_id- azure.workload.identity/client-id=3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f --overwrite",
    ]);
    expect(saAnnotations(h, "payments", "payments-api")).toEqual(before);
  });

  it("refuses without confirm, without planId, and with another planId", async () => {
    const before = saAnnotations(h, "payments", "payments-api");
    const { out } = await call(h, "annotate_service_account", ANNOTATE);
    // confirm and planId without dryRun: false is still a dry run.
    const noDryRunFalse = await call(h, "annotate_service_account", { ...ANNOTATE, confirm: true, planId: out.planId });
    expect(noDryRunFalse.isError).toBe(false);
    expect(noDryRunFalse.out).toMatchObject({ dryRun: true, applied: false, planId: out.planId });
    expect(saAnnotations(h, "payments", "payments-api")).toEqual(before);
    const noConfirm = await call(h, "annotate_service_account", { ...ANNOTATE, dryRun: false, planId: out.planId });
    expect(noConfirm.isError).toBe(true);
    expect(noConfirm.text).toMatch(/confirm: expected true/);
    const noPlan = await call(h, "annotate_service_account", { ...ANNOTATE, dryRun: false, confirm: true });
    expect(noPlan.isError).toBe(true);
    expect(noPlan.text).toMatch(/planId: expected the planId/);
    const otherPlan = await call(h, "annotate_service_account", {
      ...ANNOTATE,
      dryRun: false,
      confirm: true,
      planId: "0123456789abcdef01234567",
    });
    expect(otherPlan.isError).toBe(true);
    expect(otherPlan.text).toMatch(/no longer matches .* no write was made/);
    expect(saAnnotations(h, "payments", "payments-api")).toEqual(before);
  });

  it("refuses a plan made before the world changed", async () => {
    const args = {
      namespace: "payments",
      serviceAccount: "payments-api",
      annotations: { "azure.workload.identity/service-account-token-expiration": "7200" },
    };
    const { out } = await call(h, "annotate_service_account", args);
    // Someone else changes the service account between the review and the apply.
    const other = await call(h, "annotate_service_account", {
      namespace: "payments",
      serviceAccount: "payments-api",
      annotations: { "eks.amazonaws.com/audience": "sts.amazonaws.com" },
    });
    await call(h, "annotate_service_account", {
      namespace: "payments",
      serviceAccount: "payments-api",
      annotations: { "eks.amazonaws.com/audience": "sts.amazonaws.com" },
      dryRun: false,
      confirm: true,
      planId: other.out.planId,
    });
    const stale = await call(h, "annotate_service_account", {
      ...args,
      dryRun: false,
      confirm: true,
      planId: out.planId,
    });
    expect(stale.isError).toBe(true);
    expect(stale.text).toMatch(/changed since the dry run/);
    expect(saAnnotations(h, "payments", "payments-api")).not.toHaveProperty([
      "azure.workload.identity/service-account-token-expiration",
    ]);
  });

  it("applies exactly the plan, logs it, returns the undo; the same plan again changes nothing", async () => {
    const { out } = await call(h, "annotate_service_account", ANNOTATE);
    const applied = await call(h, "annotate_service_account", {
      ...ANNOTATE,
      dryRun: false,
      confirm: true,
      planId: out.planId,
    });
    expect(applied.isError, applied.text).toBe(false);
    expect(applied.out.applied).toBe(true);
    expect(saAnnotations(h, "payments", "payments-api")).toMatchObject({
      "azure.workload.identity/client-id": "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f",
    });
    expect(saAnnotations(h, "payments", "payments-api")).not.toHaveProperty(["azure.workload.identity/client_id"]);
    expect(applied.out.undo).toMatchObject({
      tool: "annotate_service_account",
      arguments: {
        annotations: {
          "azure.workload.identity/client_id": "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f",
          "azure.workload.identity/client-id": null,
        },
      },
    });
    expect(applied.out.verification).toMatchObject({ verdict: expect.any(String), attempts: 1 });
    const lines = readFileSync(auditFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const line = lines.find((l) => l.planId === out.planId);
    expect(line).toMatchObject({
      tool: "annotate_service_account",
      outcome: "applied",
      target: "/api/v1/namespaces/payments/serviceaccounts/payments-api",
      before: out.before,
      after: ANNOTATE.annotations,
    });
    expect(line.who).toMatch(/context aks-sa-annotation-typo/);
    const after = saAnnotations(h, "payments", "payments-api");
    const again = await call(h, "annotate_service_account", {
      ...ANNOTATE,
      dryRun: false,
      confirm: true,
      planId: out.planId,
    });
    expect(again.isError).toBe(false);
    expect(again.out).toMatchObject({ applied: false, action: "none" });
    expect(saAnnotations(h, "payments", "payments-api")).toEqual(after);
  });
});
