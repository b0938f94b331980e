// A client that declared elicitation is asked before a write is applied; its "no" stops the write, its "yes"
// lets the confirmed plan through. A client without the capability is never asked: confirm: true decides.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "../../src/server.js";
import { type SimSession, startSimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";

const ARGS = {
  namespace: "payments",
  serviceAccount: "payments-api",
  annotations: { "azure.workload.identity/service-account-token-expiration": "3600" },
};

let session: SimSession;
beforeAll(async () => {
  session = await startSimSession(loadScenario("aks-sa-token-expiration-invalid"), { timeoutMs: 20_000 });
});
afterAll(async () => {
  await session?.close();
});

/** A client over the shared world; `answer` set: it declares elicitation and answers every prompt so. */
async function client(answer?: (message: string) => { action: "accept" | "decline"; content?: { apply: boolean } }) {
  const server = createServer({ allowWrites: true, environment: async () => session.env });
  const c = new Client(
    { name: "wi-doctor-test", version: "0.0.0" },
    answer ? { capabilities: { elicitation: { form: {} } } } : {},
  );
  const asked: string[] = [];
  if (answer) {
    c.setRequestHandler(ElicitRequestSchema, (req) => {
      asked.push(req.params.message);
      return answer(req.params.message);
    });
  }
  const [a, b] = InMemoryTransport.createLinkedPair();
  await Promise.all([server.connect(b), c.connect(a)]);
  return {
    asked,
    close: () => c.close(),
    call: async (args: Record<string, unknown>) => {
      const r = await c.callTool({ name: "annotate_service_account", arguments: args });
      return {
        isError: r.isError === true,
        text: (r.content as { text: string }[])[0]?.text ?? "",
        out: r.structuredContent as { planId: string; applied: boolean },
      };
    },
  };
}

const expiration = () =>
  (
    session.world.scenario.kubernetes.objects.find(
      (o) => o.kind === "ServiceAccount" && o.metadata.name === "payments-api",
    ) as { metadata: { annotations?: Record<string, string> } }
  ).metadata.annotations?.["azure.workload.identity/service-account-token-expiration"];

describe("elicitation before a write", () => {
  it("a client that says no stops the write; the dry run asks nothing", async () => {
    const h = await client(() => ({ action: "decline" }));
    try {
      const before = expiration();
      const plan = await h.call(ARGS);
      expect(h.asked).toEqual([]);
      const r = await h.call({ ...ARGS, dryRun: false, confirm: true, planId: plan.out.planId });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/declined at the client's confirmation prompt; no write was made/);
      expect(h.asked).toHaveLength(1);
      expect(h.asked[0]).toMatch(/service-account-token-expiration|payments-api/);
      expect(expiration()).toBe(before);
    } finally {
      await h.close();
    }
  });

  it("without the capability nothing is asked and confirm: true applies; with it, yes applies", async () => {
    const plain = await client();
    const yes = await client(() => ({ action: "accept", content: { apply: true } }));
    try {
      // A client without elicitation: plan and apply.
      const plan = await plain.call(ARGS);
      const applied = await plain.call({ ...ARGS, dryRun: false, confirm: true, planId: plan.out.planId });
      expect(applied.isError, applied.text).toBe(false);
      expect(applied.out.applied).toBe(true);
      expect(expiration()).toBe("3600");
      // A client that answers yes: the next change goes through after its prompt.
      const next = { ...ARGS, annotations: { "azure.workload.identity/service-account-token-expiration": "7200" } };
      const plan2 = await yes.call(next);
      const applied2 = await yes.call({ ...next, dryRun: false, confirm: true, planId: plan2.out.planId });
      expect(applied2.isError, applied2.text).toBe(false);
      expect(yes.asked).toHaveLength(1);
      expect(expiration()).toBe("7200");
    } finally {
      await plain.close();
      await yes.close();
    }
  });
});
