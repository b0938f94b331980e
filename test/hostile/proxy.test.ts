// HTTPS_PROXY / NO_PROXY for every live client: a tiny CONNECT proxy on loopback records the hosts it is asked
// for and refuses them, so nothing leaves the machine.
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Environment } from "../../src/providers/environment.js";

let proxy: Server;
const connects: string[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  proxy = createServer((_req, res) => {
    res.writeHead(403);
    res.end();
  });
  proxy.on("connect", (req, socket) => {
    connects.push(req.url ?? "");
    socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
  });
  proxy.listen(0, "127.0.0.1");
  await once(proxy, "listening");
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  process.env.HTTPS_PROXY = url;
  process.env.https_proxy = url;
  process.env.NO_PROXY = "direct.invalid";
  process.env.no_proxy = "direct.invalid";
});

afterAll(() => {
  proxy.close();
  for (const k of ["HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"]) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

async function liveEnv(extra: Partial<Environment> = {}): Promise<Environment> {
  const { azureClouds } = await import("../../src/providers/environment.js");
  return {
    mode: "live",
    azure: { cloud: azureClouds.AzurePublicCloud, credential: null },
    aws: {},
    timeoutMs: 5000,
    allowExchange: false,
    ...extra,
  };
}

describe("live requests go through the proxy the environment names", () => {
  it("issuer documents", async () => {
    const { fetchIssuerKeys } = await import("../../src/providers/oidc.js");
    const err = await fetchIssuerKeys(await liveEnv(), "https://issuer.example.com/tenant/").catch((e: Error) => e);
    expect((err as Error).message).toMatch(/^could not fetch /);
    expect(connects).toContain("issuer.example.com:443");
  });

  it("but not for hosts NO_PROXY names", async () => {
    const { fetchIssuerKeys } = await import("../../src/providers/oidc.js");
    const before = connects.length;
    await fetchIssuerKeys(await liveEnv(), "https://direct.invalid/").catch(() => undefined);
    expect(connects.slice(before)).not.toContain("direct.invalid:443");
  });

  it("AWS (STS)", async () => {
    const { AwsProvider } = await import("../../src/providers/aws.js");
    const env = await liveEnv({
      aws: { region: "eu-west-1", credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "example" } },
    });
    await new AwsProvider(env).getCallerIdentity().catch(() => undefined);
    expect(connects).toContain("sts.eu-west-1.amazonaws.com:443");
  });

  it("Kubernetes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wi-doctor-proxy-"));
    const file = join(dir, "kubeconfig");
    writeFileSync(
      file,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: c, cluster: {server: 'https://k8s.example.com:6443'}}]",
        "users: [{name: u, user: {token: example}}]",
        "contexts: [{name: c, context: {cluster: c, user: u}}]",
        "current-context: c",
      ].join("\n"),
    );
    const { createLiveEnvironment } = await import("../../src/providers/live.js");
    const { KubeProvider } = await import("../../src/providers/kubernetes.js");
    const env = await createLiveEnvironment({ kubeconfigPath: file, timeoutMs: 5000 });
    await new KubeProvider(env).getIssuerDiscovery().catch(() => undefined);
    expect(connects).toContain("k8s.example.com:6443");
  });

  it("Azure (the credential's token request)", async () => {
    const { ClientSecretCredential } = await import("@azure/identity");
    const credential = new ClientSecretCredential("72f988bf-86f1-41af-91ab-2d7cd011db47", "client", "example", {
      retryOptions: { maxRetries: 0 },
    });
    await credential.getToken("https://management.azure.com/.default").catch(() => undefined);
    expect(connects).toContain("login.microsoftonline.com:443");
  });
});
