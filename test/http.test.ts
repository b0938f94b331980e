// serve --http over real HTTP with the SDK's Streamable HTTP client: tools, Host/Origin checks, the static token,
// TokenReview and SubjectAccessReview in the simulated API server, health and readiness, limits.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { kubernetesAuthenticator, tokenFileAuthenticator } from "../src/http/auth.js";
import { readinessProbe } from "../src/http/ready.js";
import { type RunningHttpServer, startHttpServer } from "../src/http/server.js";
import { startSimSession, type SimSession } from "../src/sim/environment.js";
import { loadScenario } from "../src/sim/scenario.js";
import { SPAWNS_TIMEOUT_MS } from "./helpers/spawn.js";

const ALICE = "alice-token-0123456789abcdef";
const BOB = "bob-token-0123456789abcdef";

async function withClient<T>(url: string, token: string | undefined, fn: (c: Client) => Promise<T>): Promise<T> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : undefined,
  });
  const client = new Client({ name: "http-test", version: "0.0.0" });
  await client.connect(transport);
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

const textOf = (r: Record<string, unknown>) => ((r.content as { text: string }[])[0]?.text ?? "") as string;
const post = (url: string, headers: Record<string, string> = {}, body = '{"jsonrpc":"2.0","id":1,"method":"ping"}') =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body,
  });

describe("serve --http on loopback without authentication", () => {
  let session: SimSession;
  let http: RunningHttpServer;
  const logs: Record<string, unknown>[] = [];
  beforeAll(async () => {
    session = await startSimSession(loadScenario("aks-healthy"), { timeoutMs: 30_000 });
    http = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      environment: async () => session.env,
      log: (l) => logs.push(l),
      maxBodyBytes: 64 * 1024,
    });
  });
  afterAll(async () => {
    await http.close();
    await session.close();
  });

  it("lists the tools and runs a diagnosis through the SDK's Streamable HTTP client", async () => {
    await withClient(http.url, undefined, async (c) => {
      const { tools } = await c.listTools();
      expect(tools.map((t) => t.name)).toContain("diagnose_workload_identity");
      const target = loadScenario("aks-healthy").target;
      const r = await c.callTool({ name: "diagnose_workload_identity", arguments: target });
      expect(r.isError).toBeFalsy();
      expect((r.structuredContent as { verdict: string }).verdict).toBe("healthy");
    });
    // The line is written when the response has been flushed, which may come after the client has read it.
    await vi.waitFor(() =>
      expect(logs.find((l) => l.tool === "diagnose_workload_identity")).toMatchObject({
        method: "POST",
        path: "/mcp",
        rpc: "tools/call",
        status: 200,
      }),
    );
  });

  it("refuses a foreign Origin and a foreign Host (DNS rebinding)", async () => {
    const evil = await post(http.url, { origin: "http://evil.example" });
    expect(evil.status).toBe(403);
    expect(await evil.text()).toContain("Origin not allowed");
    const own = await post(http.url, { origin: `http://127.0.0.1:${http.port}` });
    expect(own.status).toBe(200);
    const rebound = await new Promise<number>((resolve, reject) => {
      import("node:http").then(({ request }) => {
        const req = request(
          { host: "127.0.0.1", port: http.port, path: "/mcp", method: "POST", headers: { host: "attacker.example" } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end("{}");
      });
    });
    expect(rebound).toBe(403);
  });

  it("answers health, bounds the body and accepts only POST", async () => {
    expect((await fetch(`http://127.0.0.1:${http.port}/healthz`)).status).toBe(200);
    const big = await post(
      http.url,
      {},
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", x: "a".repeat(70_000) }),
    );
    expect(big.status).toBe(413);
    expect((await fetch(http.url)).status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${http.port}/other`)).status).toBe(404);
  });

  it("refuses to listen on a non-loopback address without authentication", async () => {
    await expect(startHttpServer({ host: "0.0.0.0", port: 0, environment: async () => session.env })).rejects.toThrow(
      /without authentication/,
    );
  });
});

describe("serve --http with a static token", () => {
  let session: SimSession;
  let http: RunningHttpServer;
  beforeAll(async () => {
    session = await startSimSession(loadScenario("aks-healthy"));
    const dir = mkdtempSync(join(tmpdir(), "wi-doctor-token-"));
    writeFileSync(join(dir, "token"), `${ALICE}\n`);
    http = await startHttpServer({
      host: "0.0.0.0",
      port: 0,
      environment: async () => session.env,
      authenticator: tokenFileAuthenticator(join(dir, "token")),
      log: () => undefined,
    });
  });
  afterAll(async () => {
    await http.close();
    await session.close();
  });

  it("accepts the token and refuses a missing or wrong one", async () => {
    const url = `http://127.0.0.1:${http.port}/mcp`;
    const tools = await withClient(url, ALICE, (c) => c.listTools());
    expect(tools.tools.length).toBeGreaterThan(5);
    const none = await post(url);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await post(url, { authorization: `Bearer ${BOB}` })).status).toBe(401);
    await expect(withClient(url, BOB, (c) => c.listTools())).rejects.toThrow();
  });
});

describe("serve --http with TokenReview and SubjectAccessReview", () => {
  let session: SimSession;
  let http: RunningHttpServer;
  const logs: string[] = [];
  beforeAll(async () => {
    const scenario = loadScenario("aks-healthy");
    scenario.kubernetes.callers = [
      {
        username: "alice@contoso.com",
        token: ALICE,
        groups: ["payments-devs"],
        allow: [
          { verbs: ["get", "list"], resources: ["pods", "serviceaccounts"], namespaces: [scenario.target.namespace] },
        ],
      },
      { username: "bob@contoso.com", token: BOB, groups: [], allow: [] },
    ];
    session = await startSimSession(scenario);
    http = await startHttpServer({
      host: "0.0.0.0",
      port: 0,
      environment: async () => session.env,
      authenticator: kubernetesAuthenticator({ kubeconfig: session.env.kubeconfig!, timeoutMs: 10_000 }),
      log: (l) => logs.push(JSON.stringify(l)),
    });
  });
  afterAll(async () => {
    await http.close();
    await session.close();
  });

  it("lets a caller diagnose what they can read, and nothing else", async () => {
    const url = `http://127.0.0.1:${http.port}/mcp`;
    const target = loadScenario("aks-healthy").target;
    await withClient(url, ALICE, async (c) => {
      const ok = await c.callTool({ name: "diagnose_workload_identity", arguments: target });
      expect(ok.isError).toBeFalsy();
      const other = await c.callTool({
        name: "diagnose_workload_identity",
        arguments: { namespace: "kube-system", serviceAccount: "default" },
      });
      expect(other.isError).toBe(true);
      expect(textOf(other)).toContain("forbidden: alice@contoso.com may not get pods in namespace kube-system");
    });
    await withClient(url, BOB, async (c) => {
      const denied = await c.callTool({ name: "diagnose_workload_identity", arguments: target });
      expect(denied.isError).toBe(true);
      expect(textOf(denied)).toMatch(/forbidden: bob@contoso.com may not get pods/);
    });
    expect((await post(url, { authorization: "Bearer not-a-known-token-at-all" })).status).toBe(401);
    // The user is logged; no token ever is.
    await vi.waitFor(() => expect(logs.some((l) => l.includes('"user":"alice@contoso.com"'))).toBe(true));
    for (const l of logs) {
      expect(l).not.toContain(ALICE);
      expect(l).not.toContain(BOB);
    }
  });
});

describe("readiness", () => {
  it("is ready when its own identity is healthy and not when it is broken", async () => {
    const healthy = await startSimSession(loadScenario("aks-healthy"));
    const broken = await startSimSession(loadScenario("aks-fic-subject-namespace-typo"));
    try {
      const t1 = loadScenario("aks-healthy").target;
      const ok = await readinessProbe(async () => healthy.env, {
        namespace: t1.namespace,
        serviceAccount: t1.serviceAccount!,
      })();
      expect(ok).toMatchObject({ ready: true, verdict: "healthy" });
      const t2 = loadScenario("aks-fic-subject-namespace-typo").target;
      const bad = await readinessProbe(async () => broken.env, {
        namespace: t2.namespace,
        serviceAccount: t2.serviceAccount ?? "default",
      })();
      expect(bad.ready).toBe(false);
      expect(bad.verdict).toBe("broken");
    } finally {
      await healthy.close();
      await broken.close();
    }
  });
});

describe("wi-doctor serve", () => {
  it("refuses a non-loopback address without an authentication mode, and a bad mode, exiting 2", {
    timeout: SPAWNS_TIMEOUT_MS,
  }, () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ["dist/cli.js", "serve", ...args], { encoding: "utf8", timeout: SPAWNS_TIMEOUT_MS });
    const open = run(["--http", "--host", "0.0.0.0", "--port", "0", "--scenario", "aks-healthy"]);
    expect(open.status).toBe(2);
    expect(open.stderr).toContain("refusing to listen on 0.0.0.0 without authentication");
    const bad = run(["--http", "--host", "0.0.0.0", "--auth", "oidc", "--scenario", "aks-healthy"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--auth: expected "kubernetes"');
    const short = mkdtempSync(join(tmpdir(), "wi-doctor-token-"));
    writeFileSync(join(short, "token"), "short");
    const weak = run([
      "--http",
      "--host",
      "0.0.0.0",
      "--token-file",
      join(short, "token"),
      "--scenario",
      "aks-healthy",
    ]);
    expect(weak.status).toBe(2);
    expect(weak.stderr).toContain("shorter than 16 characters");
  });
});
