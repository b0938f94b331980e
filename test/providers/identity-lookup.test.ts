// The identity lookup by client id: one Azure Resource Graph query instead of listing every managed identity of
// the subscription; the listing only when Resource Graph fails or holds nothing; app registrations through Graph.
import { describe, expect, it } from "vitest";
import { AzureProvider } from "../../src/providers/azure.js";
import type { SimRequestLogEntry } from "../../src/sim/world.js";
import { APP, IDENTITY, session, SUB } from "../sim/azure-world.js";

const LIST_PATH = `/subscriptions/${SUB}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`;
const GRAPH_QUERY = "/providers/Microsoft.ResourceGraph/resources";

function manyIdentities(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    name: `other-${i}`,
    resourceGroup: "rg-others",
    clientId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    principalId: `11111111-0000-4000-8000-${String(i).padStart(12, "0")}`,
  }));
}

describe("identity lookup by client id", () => {
  it("asks Resource Graph once and never lists the subscription's identities", async () => {
    const log: SimRequestLogEntry[] = [];
    const s = await session(
      (x) => {
        x.azure!.userAssignedIdentities!.push(...manyIdentities(300));
      },
      { onRequest: (e) => log.push(e) },
    );
    try {
      const azure = new AzureProvider(s.env);
      const found = await azure.findIdentity({ clientId: IDENTITY.clientId.toUpperCase() });
      expect(found).toMatchObject({
        kind: "managedIdentity",
        name: IDENTITY.name,
        clientId: IDENTITY.clientId,
        principalId: IDENTITY.principalId,
        resourceGroup: expect.stringMatching(/^rg-payments$/i),
        subscriptionId: SUB,
      });
      expect(found!.tenantId).toMatch(/^[0-9a-f-]{36}$/);
      expect(log.filter((e) => e.path === GRAPH_QUERY && e.method === "POST")).toHaveLength(1);
      expect(log.filter((e) => e.path === LIST_PATH)).toHaveLength(0);
      // The object id pasted where the client id belongs is found the same way.
      const byPrincipal = await azure.findIdentityByPrincipalId(IDENTITY.principalId);
      expect(byPrincipal?.name).toBe(IDENTITY.name);
      expect(log.filter((e) => e.path === LIST_PATH)).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it("an app registration's client id: Resource Graph finds no identity, Graph finds the app", async () => {
    const log: SimRequestLogEntry[] = [];
    const s = await session(undefined, { onRequest: (e) => log.push(e) });
    try {
      const found = await new AzureProvider(s.env).findIdentity({ clientId: APP.appId });
      expect(found).toMatchObject({ kind: "application", clientId: APP.appId, objectId: APP.objectId });
      expect(log.some((e) => e.path === GRAPH_QUERY)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it("falls back to listing when Resource Graph refuses the query", async () => {
    const log: SimRequestLogEntry[] = [];
    const s = await session(
      (x) => {
        x.faults = { rules: [{ service: "arm", path: "Microsoft.ResourceGraph", status: 403 }] };
      },
      { onRequest: (e) => log.push(e) },
    );
    try {
      const found = await new AzureProvider(s.env).findIdentity({ clientId: IDENTITY.clientId });
      expect(found?.name).toBe(IDENTITY.name);
      expect(log.filter((e) => e.path === LIST_PATH).length).toBeGreaterThan(0);
      const missing = await new AzureProvider(s.env).findIdentity({ clientId: "99999999-0000-4000-8000-000000000000" });
      expect(missing).toBeNull();
    } finally {
      await s.close();
    }
  });

  it("the simulated Resource Graph refuses queries it does not understand, like the service", async () => {
    const s = await session();
    try {
      const token = await s.env.azure.credential!.getToken("https://management.azure.com/.default");
      const res = await fetchVia(s, "resources | summarize count()", token!.token);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain("InvalidQuery");
    } finally {
      await s.close();
    }
  });
});

async function fetchVia(s: Awaited<ReturnType<typeof session>>, query: string, token: string) {
  const { request } = await import("node:https");
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = request(
      `https://management.azure.com${GRAPH_QUERY}?api-version=2022-10-01`,
      {
        method: "POST",
        agent: s.env.agent,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify({ subscriptions: [SUB], query }));
  });
}
