// The worlds of one process share one simulator server: connections outlive the world that opened them, and each
// request reaches the world it names. Worlds resume each other's TLS sessions (they share their CA and
// certificates), except where a world injects a TLS fault: it has a server of its own, where every connection shakes
// hands in full and meets the wrong certificate.
import { Agent, request } from "node:https";
import type { TLSSocket } from "node:tls";
import { describe, expect, it } from "vitest";
import { kubeGetRaw } from "../../src/providers/kube-raw.js";
import { startSimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";

/** GET through an agent: the status, the body, whether the TLS session was resumed and the connection reused. */
function get(agent: import("node:https").Agent, url: string, opts: { fresh?: boolean } = {}) {
  return new Promise<{ status: number; resumed: boolean; reused: boolean; text: string }>((resolve, reject) => {
    const headers = opts.fresh ? { connection: "close" } : {};
    const req = request(url, { agent, headers }, (res) => {
      const resumed = (res.socket as TLSSocket).isSessionReused();
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          resumed,
          reused: req.reusedSocket,
          text: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

const ARM = "https://management.azure.com/subscriptions?api-version=2022-12-01";

// These worlds have servers and agents of their own (as `sim serve` and TLS-fault worlds do): each request below opens
// a connection of its own, where a world on the shared server could be handed one already open.

/** A world whose client connects to ARM once (leaving its TLS session behind), then closes. */
async function connectOnceAndClose() {
  const a = await startSimSession(loadScenario("aks-healthy"), { shared: false });
  try {
    await get(a.world.agent, ARM, { fresh: true });
  } finally {
    await a.close();
  }
}

describe("TLS sessions across simulated worlds", () => {
  it("a second world resumes the first world's session to the same host", async () => {
    await connectOnceAndClose();
    const b = await startSimSession(loadScenario("aks-healthy"), { shared: false });
    try {
      const r = await get(b.world.agent, ARM, { fresh: true });
      expect(r).toMatchObject({ reused: false, resumed: true });
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
      await expect(get(b.world.agent, ARM, { fresh: true })).rejects.toThrow(/altnames|certificate/i);
    } finally {
      await b.close();
    }
  });
});

describe("one simulator server for the worlds of a process", () => {
  it("a second world's request travels on a connection the first world opened, and reaches the second world", async () => {
    const a = await startSimSession(loadScenario("aks-healthy"));
    await get(a.world.agent, ARM);
    await a.close();
    const b = await startSimSession(loadScenario("aks-healthy"));
    try {
      const r = await get(b.world.agent, ARM);
      // ARM's answer to a request without a token, from b's world.
      expect(r).toMatchObject({ status: 401, reused: true });
      expect(b.world.stats.byService.arm).toBe(1);
      expect(a.world.stats.byService.arm).toBe(1);
    } finally {
      await b.close();
    }
  });

  it("a request for a world that has closed is refused, naming the world", async () => {
    const a = await startSimSession(loadScenario("aks-healthy"));
    const server = new URL(a.world.kubeServer);
    await a.close();
    // As a's Kubernetes client would ask: the shared server's address, a's world in the path.
    const agent = new Agent({ ca: a.world.caPem, servername: a.world.apiServerHost });
    try {
      const r = await get(agent, `${server.href}/api/v1/namespaces`);
      expect(r.status).toBe(502);
      expect(r.text).toBe(`simulated world ${server.pathname.split("/").pop()} is closed`);
      expect(a.world.stats.requests).toBe(0);
    } finally {
      agent.destroy();
    }
  });

  it("a Kubernetes client reaches its world through the API server URL's path, which raw reads keep", async () => {
    const a = await startSimSession(loadScenario("aks-healthy"));
    try {
      expect(a.world.kubeServer).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/sim-world\/\d+$/);
      const r = await kubeGetRaw(a.env, "/api/v1/namespaces");
      expect(r.status).toBe(200);
      expect((r.body as { kind?: string }).kind).toBe("NamespaceList");
      expect(a.world.stats.byService.kubernetes).toBe(1);
    } finally {
      await a.close();
    }
  });

  it("a world started with a TLS fault, or told to, has a server of its own", async () => {
    const scenario = loadScenario("aks-healthy");
    scenario.faults = { ...scenario.faults, rules: [{ service: "arm", path: "", tls: true }] };
    const shared = await startSimSession(loadScenario("aks-healthy"));
    const faulty = await startSimSession(scenario);
    const own = await startSimSession(loadScenario("aks-healthy"), { shared: false });
    try {
      expect(faulty.world.port).not.toBe(shared.world.port);
      expect(own.world.port).not.toBe(shared.world.port);
      expect(own.world.kubeServer).toBe(`https://127.0.0.1:${own.world.port}`);
    } finally {
      await Promise.all([shared.close(), faulty.close(), own.close()]);
    }
  });

  it("a TLS fault added to a world on the shared server fails the request loudly instead of going unseen", async () => {
    const a = await startSimSession(loadScenario("aks-healthy"));
    try {
      a.world.scenario.faults.rules = [{ service: "arm", path: "", tls: true }];
      const r = await get(a.world.agent, ARM);
      expect(r.status).toBe(500);
      expect(r.text).toMatch(/TLS fault on arm needs the rule in the scenario before its world starts/);
    } finally {
      await a.close();
    }
  });
});
