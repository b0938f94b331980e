// `wi-doctor sim` served to real clients that are not ours: kubectl, the AWS CLI, and Debian's Python SDKs
// (azure-identity, kubernetes, boto3). Each group runs only when its client is installed here; .ci/run installs
// them from Debian.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";
import { SPAWNS_TIMEOUT_MS } from "../helpers/spawn.js";

interface Served {
  proc: ChildProcess;
  dir: string;
  env: NodeJS.ProcessEnv;
  port: number;
  stderr: () => string;
}

/** The environment a user gets after `source ENV_FILE`. */
function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^export ([A-Z_a-z]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].replace(/^'(.*)'$/, "$1");
  }
  return out;
}

async function serve(scenario: string): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), "wi-doctor-sim-"));
  const proc = spawn(
    process.execPath,
    [
      "dist/cli.js",
      "sim",
      "--scenario",
      scenario,
      "--kubeconfig-out",
      join(dir, "kubeconfig"),
      "--env-out",
      join(dir, "sim.env"),
      "--log",
      join(dir, "requests.jsonl"),
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let err = "";
  proc.stderr?.on("data", (c) => {
    err += String(c);
  });
  const deadline = Date.now() + 45_000;
  while (!/stop with Ctrl-C/.test(err)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`sim did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const port = Number(/https:\/\/127\.0\.0\.1:(\d+)/.exec(err)?.[1]);
  const vars = parseEnvFile(readFileSync(join(dir, "sim.env"), "utf8"));
  const env = { PATH: process.env.PATH, HOME: dir, ...vars };
  return { proc, dir, env, port, stderr: () => err };
}

async function stop(s: Served | undefined): Promise<number | null> {
  if (!s || s.proc.exitCode !== null) return s?.proc.exitCode ?? null;
  s.proc.kill("SIGTERM");
  await new Promise((r) => s.proc.once("exit", r));
  return s.proc.exitCode;
}

function has(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: SPAWNS_TIMEOUT_MS });
  return r.status === 0;
}

/** An executable of that name on PATH (starting the AWS CLI only to ask its version takes a second). */
function onPath(cmd: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(cmd, args, { env, encoding: "utf8", timeout: SPAWNS_TIMEOUT_MS });
  return { code: r.status, out: r.stdout ?? "", err: r.stderr ?? "" };
}

const haveKubectl = onPath("kubectl");
const haveAws = onPath("aws");
const PY = "/usr/bin/python3";
const havePySdks = has(PY, ["-c", "import azure.identity, kubernetes, boto3"]);
for (const [ok, what] of [
  [haveKubectl, "kubectl (Debian: kubectl or kubernetes-client)"],
  [haveAws, "the AWS CLI (Debian: awscli)"],
  [havePySdks, "Debian's python3-azure, python3-kubernetes and python3-boto3"],
] as const) {
  if (!ok) console.warn(`serve.test.ts: ${what} not installed; the tests that need it are skipped`);
}

describe("wi-doctor sim (AKS world)", { timeout: SPAWNS_TIMEOUT_MS }, () => {
  let s: Served | undefined;
  beforeAll(async () => {
    s = await serve("aks-healthy");
  });
  afterAll(async () => {
    await stop(s);
  });

  it("writes a kubeconfig with the CA and an env file of clearly fake credentials", () => {
    const kc = JSON.parse(readFileSync(join(s!.dir, "kubeconfig"), "utf8"));
    expect(kc.clusters[0].cluster["certificate-authority-data"]).toMatch(/^[A-Za-z0-9+/=]{100,}$/);
    expect(kc.clusters[0].cluster["tls-server-name"]).toBe("payments-dns-4f1c2a3b.hcp.westeurope.azmk8s.io");
    for (const k of ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_EKS", "AZURE_AUTHORITY_HOST"]) {
      expect(s!.env[k]).toBe(`https://127.0.0.1:${s!.port}`);
    }
    for (const k of ["AWS_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS"]) {
      expect(readFileSync(s!.env[k] as string, "utf8")).toMatch(/BEGIN CERTIFICATE/);
    }
    expect(s!.env.AZURE_CLIENT_SECRET).toMatch(/^simulated-/);
  });

  it("answers IP-addressed requests (no server name) with a default certificate, routing by Host header", async () => {
    const ca = readFileSync(s!.env.SSL_CERT_FILE as string, "utf8");
    const get = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port: s!.port, path, ca, headers }, (res) => {
          let body = "";
          res.on("data", (c) => {
            body += c;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("error", reject);
        req.end();
      });
    // Routed by what the path is: the API server's version endpoint.
    const version = await get("/version");
    expect(version.status).toBe(200);
    expect(JSON.parse(version.body).gitVersion).toMatch(/^v1\./);
    // Routed by Host header.
    const arm = await get("/subscriptions?api-version=2022-12-01", { host: "management.azure.com" });
    expect(arm.status).toBe(401);
    expect(arm.body).toMatch(/AuthenticationFailed|InvalidAuthenticationToken/);
  });

  describe.skipIf(!haveKubectl)("kubectl", () => {
    it("get pods -A prints the server-side table's real columns", () => {
      const r = run("kubectl", ["get", "pods", "-A"], s!.env);
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
      expect(r.out).toMatch(/payments\s+payments-api-\S+\s+\d\/1\s+Running\s+0\s+\d+d/);
    });

    it("get --raw /openid/v1/jwks returns the issuer keys, key ids not shaped like encoded JSON", () => {
      const r = run("kubectl", ["get", "--raw", "/openid/v1/jwks"], s!.env);
      expect(r.code).toBe(0);
      const jwks = JSON.parse(r.out);
      expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
      expect(jwks.keys[0].kid).not.toMatch(/^eyJ/);
    });

    it("get serviceaccounts shows SECRETS; get -w ends quietly; auth can-i answers; logs --previous fails as real", () => {
      const sa = run("kubectl", ["get", "serviceaccounts", "-n", "payments"], s!.env);
      expect(sa.out).toMatch(/^NAME\s+SECRETS\s+AGE\n/);
      expect(sa.out).toMatch(/payments-api\s+0\s+\d+d/);
      const watch = run("kubectl", ["get", "pods", "-n", "payments", "-w"], s!.env);
      expect(watch.code).toBe(0);
      expect(watch.out).toMatch(/payments-api-/);
      const canI = run("kubectl", ["auth", "can-i", "get", "pods", "-n", "payments"], s!.env);
      expect(canI.out.trim()).toBe("yes");
      const prev = run("kubectl", ["logs", "-n", "payments", "deploy/payments-api", "--previous"], s!.env);
      expect(prev.code).not.toBe(0);
      expect(prev.err).toMatch(/previous terminated container "api" in pod "payments-api-\S+" not found/);
    });
  });

  describe.skipIf(!havePySdks)("Python SDKs", () => {
    it("azure-identity's ClientSecretCredential signs in (instance discovery, v2 openid-configuration) and gets a JWT", () => {
      const code = [
        "import os",
        "from azure.identity import ClientSecretCredential",
        "c = ClientSecretCredential(os.environ['AZURE_TENANT_ID'], os.environ['AZURE_CLIENT_ID'], os.environ['AZURE_CLIENT_SECRET'])",
        "print(c.get_token('https://management.azure.com/.default').token)",
      ].join("\n");
      const r = run(PY, ["-c", code], s!.env);
      expect(r.err).toBe("");
      const claims = decodeJwt(r.out.trim());
      expect(claims).toMatchObject({ aud: "https://management.azure.com", ver: "1.0", idtyp: "app" });
    });

    it("the kubernetes client lists pods with the written kubeconfig", () => {
      const code = [
        "from kubernetes import client, config",
        "config.load_kube_config()",
        "print([p.metadata.name for p in client.CoreV1Api().list_namespaced_pod('payments').items])",
      ].join("\n");
      const r = run(PY, ["-c", code], s!.env);
      expect(r.out).toMatch(/payments-api-6f7c9d8b5-x2x8q/);
    });
  });

  it("logs every request as a JSON line without bodies or tokens, and exits 0 on SIGTERM", async () => {
    // At least one request, whatever clients ran above.
    await fetch(`https://127.0.0.1:${s!.port}/healthz`).catch(() => undefined);
    const code = await stop(s);
    expect(code).toBe(0);
    expect(s!.stderr()).toMatch(/wi-doctor sim: stopped/);
    const lines = readFileSync(join(s!.dir, "requests.jsonl"), "utf8").trim().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const e = JSON.parse(line);
      expect(Object.keys(e).sort()).toEqual(["host", "method", "path", "status", "time"]);
    }
    const all = lines.join("\n");
    expect(all).not.toMatch(/eyJ|simulated-kube-operator|simulated-operator-secret|Bearer/);
  });
});

// The AWS CLI takes seconds to start on a busy machine: this group allows for it.
describe.skipIf(!haveAws && !havePySdks)(
  "wi-doctor sim (EKS world) with the AWS CLI and boto3",
  { timeout: SPAWNS_TIMEOUT_MS },
  () => {
    let s: Served | undefined;
    beforeAll(async () => {
      s = await serve("eks-podid-healthy");
    });
    afterAll(async () => {
      await stop(s);
    });

    it.skipIf(!haveAws)("aws sts, iam and eks (add-ons included) reach the world through AWS_ENDPOINT_URL_*", () => {
      const who = run("aws", ["sts", "get-caller-identity"], s!.env);
      expect(who.err).toBe("");
      expect(JSON.parse(who.out).Account).toBe("111122223333");
      const providers = run("aws", ["iam", "list-open-id-connect-providers"], s!.env);
      expect(JSON.parse(providers.out).OpenIDConnectProviderList.length).toBeGreaterThan(0);
      const addons = run("aws", ["eks", "list-addons", "--cluster-name", "orders-prod"], s!.env);
      expect(JSON.parse(addons.out).addons).toContain("eks-pod-identity-agent");
      const addon = run(
        "aws",
        ["eks", "describe-addon", "--cluster-name", "orders-prod", "--addon-name", "eks-pod-identity-agent"],
        s!.env,
      );
      expect(JSON.parse(addon.out).addon).toMatchObject({ addonName: "eks-pod-identity-agent", status: "ACTIVE" });
      const missing = run(
        "aws",
        ["eks", "describe-addon", "--cluster-name", "orders-prod", "--addon-name", "coredns"],
        s!.env,
      );
      expect(missing.err).toMatch(/ResourceNotFoundException.*No addon: coredns found in cluster: orders-prod/);
    });

    it.skipIf(!haveAws)("RoleSessionName is validated by STS's pattern, with its message", () => {
      const r = run(
        "aws",
        [
          "sts",
          "assume-role-with-web-identity",
          "--role-arn",
          "arn:aws:iam::111122223333:role/orders-api",
          "--role-session-name",
          "has space",
          "--web-identity-token",
          "not-a-token",
        ],
        s!.env,
      );
      expect(r.err).toMatch(
        /ValidationError.*1 validation error detected: Value 'has space' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: \[\\w\+=,\.@-\]\*/,
      );
    });

    it.skipIf(!havePySdks || !haveKubectl)(
      "botocore's container provider gets credentials from the served Pod Identity Agent, or the agent's refusal",
      () => {
        const uri = /AWS_CONTAINER_CREDENTIALS_FULL_URI=(\S+)/.exec(s!.stderr())?.[1];
        expect(uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/credentials$/);
        // The pod's view: no static keys, the agent's address, and a token kubectl mints by TokenRequest.
        const { AWS_ACCESS_KEY_ID: _k, AWS_SECRET_ACCESS_KEY: _s, ...env } = s!.env;
        const code =
          "import boto3\ntry:\n  c = boto3.Session().get_credentials()\n" +
          "  print(c.method, c.get_frozen_credentials().access_key[:4])\n" +
          "except Exception as e:\n  print(type(e).__name__, e)";
        const withAudience = (audience: string) => {
          const token = run(
            "kubectl",
            ["create", "token", "orders-api", "-n", "orders", "--audience", audience],
            s!.env,
          );
          expect(token.code).toBe(0);
          // The token itself, not its file: Debian's botocore predates AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE.
          const pod = {
            ...env,
            AWS_CONTAINER_CREDENTIALS_FULL_URI: uri,
            AWS_CONTAINER_AUTHORIZATION_TOKEN: token.out.trim(),
          };
          return run(PY, ["-c", code], pod).out.trim();
        };
        expect(withAudience("pods.eks.amazonaws.com")).toBe("container-role ASIA");
        expect(withAudience("sts.amazonaws.com")).toMatch(
          /CredentialRetrievalError.*\(400\).*\(InvalidTokenException\): The token audience is not pods\.eks\.amazonaws\.com\., fault: client/,
        );
      },
    );

    it.skipIf(!havePySdks)("boto3 answers get_caller_identity", () => {
      const code = "import boto3\nprint(boto3.client('sts').get_caller_identity()['Account'])";
      const r = run(PY, ["-c", code], s!.env);
      expect(r.out.trim()).toBe("111122223333");
    });
  },
);

describe("simulated STS over the query protocol's GET form", () => {
  it("answers a GET AssumeRoleWithWebIdentity, checking RoleSessionName's length as STS does", async () => {
    const session = await startSimSession(loadScenario("eks-irsa-healthy"));
    try {
      const ask = (name: string) =>
        new Promise<string>((resolve, reject) => {
          const q = new URLSearchParams({
            Action: "AssumeRoleWithWebIdentity",
            Version: "2011-06-15",
            RoleArn: "arn:aws:iam::111122223333:role/x",
            RoleSessionName: name,
            WebIdentityToken: "not-a-jwt",
          });
          const req = request(`https://sts.us-west-2.amazonaws.com/?${q}`, { agent: session.world.agent }, (res) => {
            let body = "";
            res.on("data", (c) => {
              body += c;
            });
            res.on("end", () => resolve(body));
          });
          req.on("error", reject);
          req.end();
        });
      expect(await ask("a")).toContain(
        "Value &apos;a&apos; at &apos;roleSessionName&apos; failed to satisfy constraint: Member must have length greater than or equal to 2",
      );
      expect(await ask("x".repeat(65))).toMatch(/Member must have length less than or equal to 64/);
      // A valid name passes validation and reaches the token check.
      expect(await ask("botocore-session-1")).toMatch(/InvalidIdentityToken/);
    } finally {
      await session.close();
    }
  });
});
