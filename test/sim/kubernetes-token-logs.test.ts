// The simulated API server's TokenRequest and pod logs over real HTTPS (the rest of its wire behaviour is in
// kubernetes.test.ts).
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimSession, type SimSession } from "../../src/sim/environment.js";
import { ISSUER, k8sScenario, kubeRequest } from "../helpers/k8s-scenario.js";

let session: SimSession;
const get = (path: string) => kubeRequest(session.world, "GET", path);

beforeAll(async () => {
  session = await startSimSession(
    k8sScenario({
      kubernetes: { forbidden: ["mutatingwebhookconfigurations", "secretproviderclasses", "nodes/proxy"] },
    }),
  );
});
afterAll(async () => {
  await session?.close();
});

describe("TokenRequest", () => {
  const tokenPath = (sa: string) => `/api/v1/namespaces/payments/serviceaccounts/${sa}/token`;
  const requestToken = (world: SimSession["world"], sa: string, spec: Record<string, unknown>) =>
    kubeRequest(world, "POST", tokenPath(sa), {
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec },
    });

  it("mints a JWT the API server's JWKS verifies, with the claims the API server sets", async () => {
    const r = await requestToken(session.world, "payments-api", { audiences: ["api://AzureADTokenExchange"] });
    expect(r.status).toBe(201);
    expect(r.json.kind).toBe("TokenRequest");
    expect(r.json.apiVersion).toBe("authentication.k8s.io/v1");
    expect(r.json.spec.expirationSeconds).toBe(3600);
    const token: string = r.json.status.token;
    const jwks = await get("/openid/v1/jwks");
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks.json), {
      issuer: ISSUER,
      audience: "api://AzureADTokenExchange",
    });
    expect(protectedHeader).toEqual({ alg: "RS256", kid: session.world.issuerKeys.signing.kid });
    expect(payload.sub).toBe("system:serviceaccount:payments:payments-api");
    expect(payload.aud).toEqual(["api://AzureADTokenExchange"]);
    expect((payload.exp as number) - (payload.iat as number)).toBe(3600);
    expect(payload.nbf).toBe(payload.iat);
    const sa = await get("/api/v1/namespaces/payments/serviceaccounts/payments-api");
    expect(payload["kubernetes.io"]).toEqual({
      namespace: "payments",
      serviceaccount: { name: "payments-api", uid: sa.json.metadata.uid },
    });
    expect(new Date(r.json.status.expirationTimestamp).getTime() / 1000).toBe(payload.exp);
  });

  it("honours expirationSeconds, binds to a pod, and refuses less than ten minutes", async () => {
    const pod = await get("/api/v1/namespaces/payments/pods/payments-api-6f7c9-x2x8q");
    const r = await requestToken(session.world, "payments-api", {
      audiences: ["a", "b"],
      expirationSeconds: 7200,
      boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "payments-api-6f7c9-x2x8q", uid: pod.json.metadata.uid },
    });
    expect(r.status).toBe(201);
    const [, body] = (r.json.status.token as string).split(".");
    const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    expect(claims.aud).toEqual(["a", "b"]);
    expect(claims.exp - claims.iat).toBe(7200);
    expect(claims["kubernetes.io"].pod).toEqual({ name: "payments-api-6f7c9-x2x8q", uid: pod.json.metadata.uid });
    const short = await requestToken(session.world, "payments-api", { audiences: ["a"], expirationSeconds: 300 });
    expect(short.status).toBe(422);
    expect(short.json.reason).toBe("Invalid");
    expect(short.json.message).toContain("may not specify a duration less than 10 minutes");
  });

  it("404 when the service account does not exist", async () => {
    const r = await requestToken(session.world, "payment-api", { audiences: ["api://AzureADTokenExchange"] });
    expect(r.status).toBe(404);
    expect(r.json.message).toBe('serviceaccounts "payment-api" not found');
  });

  it("signs with a key the JWKS no longer lists when the scenario rotated it", async () => {
    const rotated = await startSimSession(k8sScenario({ kubernetes: { issuerKeyRotated: true } }));
    try {
      const r = await requestToken(rotated.world, "payments-api", { audiences: ["api://AzureADTokenExchange"] });
      expect(r.status).toBe(201);
      const token: string = r.json.status.token;
      const jwks = await kubeRequest(rotated.world, "GET", "/openid/v1/jwks");
      expect(jwks.json.keys.map((k: { kid: string }) => k.kid)).not.toContain(decodeProtectedHeader(token).kid);
      await expect(jwtVerify(token, createLocalJWKSet(jwks.json))).rejects.toMatchObject({
        code: "ERR_JWKS_NO_MATCHING_KEY",
      });
    } finally {
      await rotated.close();
    }
  });
});

describe("pod logs", () => {
  const log = (pod: string, query = "") => get(`/api/v1/namespaces/payments/pods/${pod}/log${query}`);

  it("returns plain text, cut by tailLines and sinceSeconds", async () => {
    const all = await log("payments-api-6f7c9-x2x8q");
    expect(all.status).toBe(200);
    expect(all.headers["content-type"]).toBe("text/plain");
    expect(all.text.trim().split("\n")).toHaveLength(4);
    const tail = await log("payments-api-6f7c9-x2x8q", "?tailLines=1");
    expect(tail.text).toMatch(/AADSTS700213/);
    expect(tail.text.trim().split("\n")).toHaveLength(1);
    const recent = await log("payments-api-6f7c9-x2x8q", "?sinceSeconds=600");
    expect(recent.text.trim().split("\n")).toHaveLength(2);
    expect(recent.text).not.toContain("starting payments-api");
  });

  it("needs a container name for a pod with several, and knows the ones it has", async () => {
    const none = await log("payments-worker-0");
    expect(none.status).toBe(400);
    expect(none.json.message).toBe(
      "a container name must be specified for pod payments-worker-0, choose one of: [worker sidecar]",
    );
    const worker = await log("payments-worker-0", "?container=worker&tailLines=2");
    expect(worker.text).toBe("worker line 2\nworker line 3\n");
    const capped = await log("payments-worker-0", "?container=worker&limitBytes=6");
    expect(capped.text).toBe("worker");
    const wrong = await log("payments-worker-0", "?container=api");
    expect(wrong.status).toBe(400);
    expect((await log("no-such-pod")).status).toBe(404);
  });
});
