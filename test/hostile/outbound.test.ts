// The outbound-request policy: URLs named by cluster data are fetched only when they are public https URLs on the
// issuer's own host. A local listener stands in for an internal service and must receive nothing.
import { once } from "node:events";
import { Agent, createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type AddressInfo, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Environment } from "../../src/providers/environment.js";
import { azureClouds } from "../../src/providers/environment.js";
import { fetchIssuerKeys } from "../../src/providers/oidc.js";
import { blockedAddressReason, checkJwksUrl } from "../../src/providers/outbound.js";
import { createSimCa } from "../../src/sim/tls.js";

function liveEnv(extra: Partial<Environment> = {}): Environment {
  return {
    mode: "live",
    azure: { cloud: azureClouds.AzurePublicCloud, credential: null },
    aws: {},
    timeoutMs: 3000,
    allowExchange: false,
    ...extra,
  };
}

let listener: Server;
let listenerPort = 0;
const received: string[] = [];

beforeAll(async () => {
  listener = createNetServer((s) => {
    s.on("data", (d) => received.push(d.toString("latin1")));
    received.push("connection");
    s.destroy();
  });
  listener.listen(0, "127.0.0.1");
  await once(listener, "listening");
  listenerPort = (listener.address() as AddressInfo).port;
});

afterAll(() => listener.close());

describe("issuer URLs from cluster data", () => {
  it.each([
    ["loopback", () => `https://127.0.0.1:${listenerPort}/`],
    ["localhost", () => `https://localhost:${listenerPort}/`],
    ["IPv4-mapped loopback", () => `https://[::ffff:127.0.0.1]:${listenerPort}/`],
    ["plain http", () => `http://127.0.0.1:${listenerPort}/`],
  ])("refuses a %s issuer without connecting", async (_what, url) => {
    const err = await fetchIssuerKeys(liveEnv(), url()).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^could not fetch .*\((.*address.*|only https URLs are fetched)\)$/);
    expect(received).toEqual([]);
  });

  it("classifies metadata, link-local and private addresses", () => {
    expect(blockedAddressReason("169.254.169.254")).toBe("a cloud metadata address");
    expect(blockedAddressReason("fd00:ec2::254")).toBe("a cloud metadata address");
    expect(blockedAddressReason("169.254.10.1")).toBe("a link-local address");
    expect(blockedAddressReason("fe80::1")).toBe("a link-local address");
    expect(blockedAddressReason("10.1.2.3")).toBe("a private or reserved address");
    expect(blockedAddressReason("192.168.0.1")).toBe("a private or reserved address");
    expect(blockedAddressReason("fd12::1")).toBe("a private or reserved address");
    expect(blockedAddressReason("::1")).toBe("a loopback address");
    expect(blockedAddressReason("20.50.2.1")).toBeUndefined();
  });

  it("allows keys on a sibling host only for managed-cloud issuers", () => {
    const allow = { allowPrivate: false };
    const aks = "https://westeurope.oic.prod-aks.azure.com/tenant/cluster/";
    expect(
      checkJwksUrl("https://westeurope.oic.prod-aks.azure.com/tenant/cluster/openid/v1/jwks", aks, allow).host,
    ).toBe("westeurope.oic.prod-aks.azure.com");
    expect(checkJwksUrl("https://oidc.prod-aks.azure.com/tenant/keys", aks, allow).host).toBe(
      "oidc.prod-aks.azure.com",
    );
    const eks = "https://oidc.eks.us-west-2.amazonaws.com/id/ABC";
    expect(checkJwksUrl("https://oidc.eks.us-west-2.amazonaws.com/id/ABC/keys", eks, allow).hostname).toBe(
      "oidc.eks.us-west-2.amazonaws.com",
    );
    expect(() => checkJwksUrl("https://attacker.example.com/keys", aks, allow)).toThrow(/not on the issuer's host/);
    expect(() => checkJwksUrl("https://oidc.eks.us-west-2.amazonaws.com/keys", aks, allow)).toThrow(
      /not on the issuer's host/,
    );
    expect(() => checkJwksUrl("https://169.254.169.254/latest/meta-data/", eks, allow)).toThrow(/metadata/);
    expect(() => checkJwksUrl("https://issuer.example.com:8443/keys", "https://issuer.example.com/", allow)).toThrow(
      /not on the issuer's host/,
    );
  });
});

describe("a hostile discovery document", () => {
  let issuerServer: ReturnType<typeof createHttpsServer>;
  let issuerPort = 0;
  let agent: Agent;
  const jwksUris: string[] = [];
  let next = "";

  beforeAll(async () => {
    const ca = await createSimCa();
    const leaf = await ca.leafFor("localhost");
    issuerServer = createHttpsServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
      if (req.url?.endsWith("/.well-known/openid-configuration")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ issuer: `https://localhost:${issuerPort}/`, jwks_uri: next }));
        return;
      }
      res.writeHead(500, { "content-type": "text/plain" });
      res.end("internal detail: database password is hunter2");
    });
    issuerServer.listen(0, "127.0.0.1");
    await once(issuerServer, "listening");
    issuerPort = (issuerServer.address() as AddressInfo).port;
    agent = new Agent({ ca: ca.caPem });
  });

  afterAll(() => {
    agent.destroy();
    issuerServer.close();
  });

  it.each([
    ["another port on loopback", () => `https://localhost:${listenerPort}/admin/delete?confirm=yes`],
    ["the loopback address", () => `https://127.0.0.1:${listenerPort}/admin/delete?confirm=yes`],
    ["plain http", () => `http://localhost:${listenerPort}/admin/delete?confirm=yes`],
    ["the metadata address", () => "https://169.254.169.254/latest/meta-data/iam/security-credentials/"],
  ])("does not follow a jwks_uri on %s", async (_what, uri) => {
    next = uri();
    jwksUris.push(next);
    // Private issuers allowed (as with --allow-private-issuer): the host rule alone must stop the request.
    const env = liveEnv({ agent, allowPrivateIssuer: true });
    const err = await fetchIssuerKeys(env, `https://localhost:${issuerPort}/`).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^could not fetch /);
    expect((err as Error).message).not.toContain("admin/delete?confirm");
    expect(received).toEqual([]);
  });

  it("reports a failing issuer without echoing its body", async () => {
    const env = liveEnv({ agent, allowPrivateIssuer: true, timeoutMs: 2000 });
    next = `https://localhost:${issuerPort}/keys`;
    const err = await fetchIssuerKeys(env, `https://localhost:${issuerPort}/`).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^could not fetch https:\/\/localhost:\d+\/keys \(HTTP 500\)$/);
    expect((err as Error).message).not.toContain("hunter2");
  });

  it("reports a refused connection the same way as any other failure (no port oracle)", async () => {
    const closed = createNetServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    const env = liveEnv({ allowPrivateIssuer: true, timeoutMs: 2000 });
    const err = await fetchIssuerKeys(env, `https://127.0.0.1:${port}/`).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/\(the connection failed\)$/);
    expect((err as Error).message).not.toMatch(/ECONNREFUSED|refused/i);
  });
});
