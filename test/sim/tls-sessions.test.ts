// Worlds of one process resume each other's TLS sessions (they share their CA and certificates), except where a
// world injects a TLS fault: there every connection shakes hands in full and meets the wrong certificate.
import { request } from "node:https";
import type { TLSSocket } from "node:tls";
import { describe, expect, it } from "vitest";
import { startSimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";

/** GET through the world's agent on a fresh connection: the status, and whether the TLS session was resumed. */
function get(agent: import("node:https").Agent, url: string) {
  return new Promise<{ status: number; resumed: boolean }>((resolve, reject) => {
    const req = request(url, { agent, headers: { connection: "close" } }, (res) => {
      const resumed = (res.socket as TLSSocket).isSessionReused();
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, resumed }));
    });
    req.on("error", reject);
    req.end();
  });
}

const ARM = "https://management.azure.com/subscriptions?api-version=2022-12-01";

/** A world whose client connects to ARM once (leaving its TLS session behind), then closes. */
async function connectOnceAndClose() {
  const a = await startSimSession(loadScenario("aks-healthy"));
  try {
    await get(a.world.agent, ARM);
  } finally {
    await a.close();
  }
}

describe("TLS sessions across simulated worlds", () => {
  it("a second world resumes the first world's session to the same host", async () => {
    await connectOnceAndClose();
    const b = await startSimSession(loadScenario("aks-healthy"));
    try {
      const r = await get(b.world.agent, ARM);
      expect(r.resumed).toBe(true);
    } finally {
      await b.close();
    }
  });

  it("a world with a TLS fault presents the wrong certificate even to a client holding a session", async () => {
    await connectOnceAndClose();
    const scenario = loadScenario("aks-healthy");
    scenario.faults = { ...scenario.faults, rules: [{ service: "arm", path: "", tls: true }] };
    const b = await startSimSession(scenario);
    try {
      await expect(get(b.world.agent, ARM)).rejects.toThrow(/altnames|certificate/i);
    } finally {
      await b.close();
    }
  });
});
