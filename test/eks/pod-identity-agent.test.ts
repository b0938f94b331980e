// The simulated EKS Pod Identity Agent, called by the real AWS SDK container credential provider (fromHttp) the way a
// pod's SDK calls it: AWS_CONTAINER_CREDENTIALS_FULL_URI and the token file in AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromHttp } from "@aws-sdk/credential-provider-http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { KubeProvider } from "../../src/providers/kubernetes.js";
import type { SimSession } from "../../src/sim/environment.js";
import { startPodIdentityAgent } from "../../src/sim/services/aws-pod-identity-agent.js";
import { never, session } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "podid-agent-"));
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const o of open.splice(0)) await o.close();
});
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

/** The projected token the webhook mounts, written where the SDK reads it. */
async function tokenFile(s: SimSession, audience = "pods.eks.amazonaws.com", sa = "orders-api"): Promise<string> {
  const kube = new KubeProvider(s.env);
  const t = await kube.createServiceAccountToken(
    "orders",
    sa,
    { audiences: [audience], expirationSeconds: 600 },
    never,
  );
  const file = join(dir, `${s.world.scenario.name}-${audience}-${sa}`);
  writeFileSync(file, t.token);
  return file;
}

async function world(name: string) {
  const s = await session(name);
  const agent = await startPodIdentityAgent(s.world);
  open.push(agent, s);
  return { s, agent };
}

function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

describe("simulated EKS Pod Identity Agent", () => {
  it("hands the SDK credentials for the associated role (env vars as the webhook injects them)", async () => {
    const { s, agent } = await world("eks-podid-healthy");
    vi.stubEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url);
    vi.stubEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", await tokenFile(s));
    const creds = await fromHttp({ maxRetries: 0, timeout: 5000 })();
    expect(creds.accessKeyId).toMatch(/^ASIA/);
    expect(creds.sessionToken).toMatch(/^SIMULATED/);
    expect(creds.expiration!.getTime()).toBeGreaterThan(Date.now());
    // The agent's own answer also names the account, as the real one does.
    const raw = await get(agent.url, {
      authorization: readFileSync(await tokenFile(s), "utf8"),
    });
    expect(JSON.parse(raw.body).AccountId).toBe(s.world.scenario.aws?.accountId);
  });

  it("passes on EKS Auth's refusal when the service account has no association", async () => {
    const { s, agent } = await world("eks-podid-association-missing");
    const file = await tokenFile(s);
    await expect(
      fromHttp({
        awsContainerCredentialsFullUri: agent.url,
        awsContainerAuthorizationTokenFile: file,
        maxRetries: 0,
      })(),
    ).rejects.toThrow(/status: 404/);
    const raw = await get(agent.url, { authorization: readFileSync(file, "utf8") });
    expect(raw.status).toBe(404);
    expect(raw.body).toMatch(
      /^\[[^\]]*\]: \(ResourceNotFoundException\): No Pod Identity association .*fault: client\n$/,
    );
  });

  it("passes on EKS Auth's refusal of a token for the wrong audience", async () => {
    const { s, agent } = await world("eks-podid-healthy");
    const file = await tokenFile(s, "sts.amazonaws.com");
    await expect(
      fromHttp({
        awsContainerCredentialsFullUri: agent.url,
        awsContainerAuthorizationTokenFile: file,
        maxRetries: 0,
      })(),
    ).rejects.toThrow(/status: 400/);
    const raw = await get(agent.url, { authorization: readFileSync(file, "utf8") });
    expect(raw.body).toMatch(/\(InvalidTokenException\): The token audience is not pods\.eks\.amazonaws\.com/);
  });

  it("refuses what the real agent refuses before calling EKS Auth: no token, another address", async () => {
    const { agent } = await world("eks-podid-healthy");
    expect(await get(agent.url, {})).toEqual({ status: 400, body: "Service account token cannot be empty\n" });
    const elsewhere = await get(agent.url, { host: "10.0.0.7", authorization: "x.y.z" });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body).toMatch(/^Access Denied\. Called agent through invalid address/);
  });
});
