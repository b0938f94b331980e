// The simulated Entra token endpoint: the client-secret grant (operator and app registrations) and the workload
// identity exchange, each error produced by the misconfiguration that causes it in the real service.
import { readFileSync } from "node:fs";
import { ClientSecretCredential } from "@azure/identity";
import { agentPolicy } from "@azure/core-rest-pipeline";
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { explainError } from "../../src/diagnosis/errors/explain.js";
import { AzureProvider } from "../../src/providers/azure.js";
import { httpRequest } from "../../src/providers/http.js";
import type { SimSession } from "../../src/sim/environment.js";
import { SIM_OPERATOR_CLIENT_ID, SIM_OPERATOR_CLIENT_SECRET } from "../../src/sim/constants.js";
import {
  APP,
  APP_SECRET,
  AUDIENCE,
  EXPIRED_APP_SECRET,
  IDENTITY,
  ISSUER,
  mintAssertion,
  OTHER_TENANT,
  session,
  TENANT,
} from "./azure-world.js";

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/entra/${name}`, import.meta.url), "utf8"));
const UNKNOWN_TENANT = "11111111-2222-4333-8444-555555555555";

async function postToken(s: SimSession, tenant: string, form: Record<string, string>) {
  return httpRequest(`https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
    agent: s.world.agent,
    timeoutMs: 8000,
  });
}

function exchangeForm(clientId: string, assertion: string) {
  return {
    client_id: clientId,
    scope: "https://management.azure.com/.default",
    grant_type: "client_credentials",
    client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    client_assertion: assertion,
  };
}

/** Entra's error body: the keys of the published 70021 fixture, and the AADSTS code leading the description. */
function expectEntraError(json: unknown, code: number) {
  const body = json as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(Object.keys(fixture("token-error-AADSTS70021.json")).sort());
  expect(body.error_codes).toEqual([code]);
  expect(body.error_description).toMatch(new RegExp(`^AADSTS${code}: `));
  expect(body.error_description).toMatch(
    /\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/,
  );
  expect(body.error_uri).toBe(`https://login.microsoftonline.com/error?code=${code}`);
  expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
}

describe("Entra: client-secret grant", () => {
  let s: SimSession;
  beforeAll(async () => {
    s = await session();
  });
  afterAll(() => s.close());

  it("issues the simulated operator a token through ClientSecretCredential (openid-configuration, then token)", async () => {
    const token = await s.env.azure.credential!.getToken("https://management.azure.com/.default");
    // A JWT as Entra's: RS256, signed by a key the tenant publishes, with v1.0 app-token claims.
    expect(token?.token).toMatch(/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/);
    const claims = decodeJwt(token!.token);
    expect(claims).toMatchObject({ aud: "https://management.azure.com", tid: TENANT, ver: "1.0", idtyp: "app" });
    expect(claims.iss).toBe(`https://sts.windows.net/${TENANT}/`);
    const keys = await httpRequest(`https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`, {
      agent: s.world.agent,
      timeoutMs: 8000,
    });
    const jwks = createLocalJWKSet(keys.json as never);
    await expect(jwtVerify(token!.token, jwks)).resolves.toBeDefined();
    expect(decodeProtectedHeader(token!.token).kid).not.toMatch(/^eyJ/);
    expect(token!.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000 * 1000);
    const discovery = await httpRequest(
      `https://login.microsoftonline.com/${TENANT}/v2.0/.well-known/openid-configuration`,
      {
        agent: s.world.agent,
        timeoutMs: 8000,
      },
    );
    expect(discovery.json).toMatchObject({
      token_endpoint: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
      issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
    });
  });

  it("answers the documented success shape", async () => {
    const res = await postToken(s, TENANT, {
      client_id: SIM_OPERATOR_CLIENT_ID,
      client_secret: SIM_OPERATOR_CLIENT_SECRET,
      scope: "https://graph.microsoft.com/.default",
      grant_type: "client_credentials",
    });
    expect(res.status).toBe(200);
    const body = res.json as Record<string, unknown>;
    for (const key of Object.keys(fixture("token-success.client-credentials.entra-docs.json")))
      expect(body).toHaveProperty(key);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599 });
  });

  it("accepts an app registration's secret, and rejects a wrong (7000215) or expired one (7000222) with 401", async () => {
    const base = {
      client_id: APP.appId,
      scope: "https://management.azure.com/.default",
      grant_type: "client_credentials",
    };
    expect((await postToken(s, TENANT, { ...base, client_secret: APP_SECRET })).status).toBe(200);

    const wrong = await postToken(s, TENANT, { ...base, client_secret: "not-the-secret" });
    expect(wrong.status).toBe(401);
    expectEntraError(wrong.json, 7000215);
    expect((wrong.json as { error: string }).error).toBe("invalid_client");

    const expired = await postToken(s, TENANT, { ...base, client_secret: EXPIRED_APP_SECRET });
    expect(expired.status).toBe(401);
    expectEntraError(expired.json, 7000222);
  });

  it("surfaces the AADSTS error through ClientSecretCredential", async () => {
    const credential = new ClientSecretCredential(TENANT, APP.appId, "not-the-secret", {
      authorityHost: "https://login.microsoftonline.com",
      additionalPolicies: [{ policy: agentPolicy(s.world.agent), position: "perCall" }],
      disableInstanceDiscovery: true,
      retryOptions: { maxRetries: 0 },
    });
    await expect(credential.getToken("https://management.azure.com/.default")).rejects.toThrow(/AADSTS7000215/);
  });

  it("answers AADSTS90002 for an unknown tenant, at discovery and at the token endpoint", async () => {
    const discovery = await httpRequest(
      `https://login.microsoftonline.com/${UNKNOWN_TENANT}/v2.0/.well-known/openid-configuration`,
      { agent: s.world.agent, timeoutMs: 8000 },
    );
    expect(discovery.status).toBe(400);
    expectEntraError(discovery.json, 90002);
    const token = await postToken(s, UNKNOWN_TENANT, {
      client_id: SIM_OPERATOR_CLIENT_ID,
      client_secret: SIM_OPERATOR_CLIENT_SECRET,
      scope: "https://management.azure.com/.default",
      grant_type: "client_credentials",
    });
    expect(token.status).toBe(400);
    expectEntraError(token.json, 90002);
    expect((token.json as { error: string }).error).toBe("invalid_tenant");
  });

  it("serves the v1 endpoint, which names the resource instead of a scope", async () => {
    const res = await httpRequest(`https://login.microsoftonline.com/${TENANT}/oauth2/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: SIM_OPERATOR_CLIENT_ID,
        client_secret: SIM_OPERATOR_CLIENT_SECRET,
        resource: "https://management.azure.com/",
        grant_type: "client_credentials",
      }).toString(),
      agent: s.world.agent,
      timeoutMs: 8000,
    });
    expect(res.status).toBe(200);
    expect((res.json as { token_type: string }).token_type).toBe("Bearer");
  });

  it("requires a /.default scope for client credentials (AADSTS1002012)", async () => {
    const res = await postToken(s, TENANT, {
      client_id: SIM_OPERATOR_CLIENT_ID,
      client_secret: SIM_OPERATOR_CLIENT_SECRET,
      scope: "https://management.azure.com/user_impersonation",
      grant_type: "client_credentials",
    });
    expect(res.status).toBe(400);
    expectEntraError(res.json, 1002012);
  });
});

describe("Entra: workload identity exchange", () => {
  let s: SimSession;
  let provider: AzureProvider;
  beforeAll(async () => {
    s = await session();
    provider = new AzureProvider(s.env);
  });
  afterAll(() => s.close());

  const exchange = async (clientId: string, assertion: string, tenantId = TENANT) =>
    provider.exchangeToken({ tenantId, clientId, assertion });

  it("succeeds for a correct setup (managed identity and app registration) and never returns the token", async () => {
    const assertion = await mintAssertion(s.world);
    const mi = await exchange(IDENTITY.clientId, assertion);
    expect(mi).toEqual({ ok: true, expiresIn: 3599 });
    expect(JSON.stringify(mi)).not.toMatch(/simulated-access-token|eyJ[\w-]{8,}\./);
    expect(await exchange(APP.appId, assertion)).toEqual({ ok: true, expiresIn: 3599 });
  });

  it("the exchanged token is accepted by ARM", async () => {
    const res = await postToken(s, TENANT, exchangeForm(IDENTITY.clientId, await mintAssertion(s.world)));
    const accessToken = (res.json as { access_token: string }).access_token;
    const arm = await httpRequest(`https://management.azure.com/subscriptions?api-version=2022-12-01`, {
      headers: { authorization: `Bearer ${accessToken}` },
      agent: s.world.agent,
      timeoutMs: 8000,
    });
    expect(arm.status).toBe(200);
  });

  it("AADSTS90002: the tenant does not exist", async () => {
    const r = await exchange(IDENTITY.clientId, await mintAssertion(s.world), UNKNOWN_TENANT);
    expect(r).toMatchObject({ ok: false, httpStatus: 400, error: "invalid_tenant", errorCodes: [90002] });
  });

  it("AADSTS700016: nobody has this client id in the tenant, or the identity lives in another tenant", async () => {
    const assertion = await mintAssertion(s.world);
    const nobody = await exchange("99999999-8888-4777-8666-555555555555", assertion);
    expect(nobody).toMatchObject({ ok: false, httpStatus: 400, error: "unauthorized_client", errorCodes: [700016] });
    // other-tenant-id exists, but in OTHER_TENANT: asking the scenario tenant does not find it.
    const wrongTenant = await exchange("2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", assertion);
    expect(wrongTenant).toMatchObject({ ok: false, errorCodes: [700016] });
    // In its own tenant it is found and the exchange succeeds.
    expect(await exchange("2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e", assertion, OTHER_TENANT)).toMatchObject({ ok: true });
  });

  it("AADSTS700211: no federated credential has the token's issuer (a trailing-slash difference is enough)", async () => {
    const r = await exchange(IDENTITY.clientId, await mintAssertion(s.world, { iss: ISSUER.replace(/\/$/, "") }));
    expect(r).toMatchObject({ ok: false, httpStatus: 401, error: "invalid_client", errorCodes: [700211] });
    if (!r.ok) expect(r.description).toContain(`presented assertion issuer '${ISSUER.replace(/\/$/, "")}'`);
  });

  it("AADSTS700213: the issuer matches but the subject does not (matching is case-sensitive)", async () => {
    const r = await exchange(
      IDENTITY.clientId,
      await mintAssertion(s.world, { sub: "system:serviceaccount:payments:Payments-api" }),
    );
    expect(r).toMatchObject({ ok: false, httpStatus: 401, error: "invalid_client", errorCodes: [700213] });
    if (!r.ok) {
      expect(r.description).toContain("presented assertion subject 'system:serviceaccount:payments:Payments-api'");
      expect(r.traceId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("AADSTS700212: issuer and subject match but the audience does not", async () => {
    const r = await exchange(
      IDENTITY.clientId,
      await mintAssertion(s.world, { aud: "https://kubernetes.default.svc" }),
    );
    expect(r).toMatchObject({ ok: false, httpStatus: 401, errorCodes: [700212] });
  });

  it("AADSTS7000272: the token's key is not in the issuer's JWKS", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const r = await exchange(
      IDENTITY.clientId,
      await mintAssertion(s.world, { key: privateKey, kid: "rotated-away-key" }),
    );
    expect(r).toMatchObject({ ok: false, httpStatus: 401, errorCodes: [7000272] });
    if (!r.ok) expect(r.description).toContain("rotated-away-key");
  });

  it("AADSTS700027: the kid is published but the signature is not made by that key", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const r = await exchange(IDENTITY.clientId, await mintAssertion(s.world, { key: privateKey }));
    expect(r).toMatchObject({ ok: false, httpStatus: 401, errorCodes: [700027] });
  });

  it("AADSTS700024: the assertion has expired", async () => {
    const r = await exchange(IDENTITY.clientId, await mintAssertion(s.world, { issuedAgo: 7200, expiresIn: 3600 }));
    expect(r).toMatchObject({ ok: false, httpStatus: 401, errorCodes: [700024] });
  });

  it("AADSTS70023: the assertion lives longer than 1 day and 1 hour", async () => {
    const r = await exchange(IDENTITY.clientId, await mintAssertion(s.world, { expiresIn: 2 * 86400 }));
    expect(r).toMatchObject({ ok: false, errorCodes: [70023] });
  });

  it("AADSTS50027: the assertion is not a JWT", async () => {
    const r = await exchange(IDENTITY.clientId, "not-a-jwt");
    expect(r).toMatchObject({ ok: false, httpStatus: 400, errorCodes: [50027] });
  });

  it("answers the real body shape for a federated-credential mismatch", async () => {
    const res = await postToken(
      s,
      TENANT,
      exchangeForm(IDENTITY.clientId, await mintAssertion(s.world, { sub: "system:serviceaccount:x:y" })),
    );
    expect(res.status).toBe(401);
    expectEntraError(res.json, 700213);
  });
});

describe("Entra: classic error format and unreachable or rotated issuers", () => {
  it("tokenErrorFormat classic answers AADSTS70021 naming issuer, subject and audience", async () => {
    const s = await session((x) => {
      x.azure!.tokenErrorFormat = "classic";
    });
    try {
      const res = await postToken(
        s,
        TENANT,
        exchangeForm(
          IDENTITY.clientId,
          await mintAssertion(s.world, { sub: "system:serviceaccount:default:workload-identity-sa" }),
        ),
      );
      expect(res.status).toBe(400);
      expectEntraError(res.json, 70021);
      const body = res.json as { error: string; error_description: string };
      expect(body.error).toBe(fixture("token-error-AADSTS70021.json").error);
      expect(body.error_description).toContain(
        `No matching federated identity record found for presented assertion. Assertion Issuer: '${ISSUER}'. Assertion Subject: 'system:serviceaccount:default:workload-identity-sa'. Assertion Audience: '${AUDIENCE}'.`,
      );
    } finally {
      await s.close();
    }
  });

  it("AADSTS70025: an identity with no federated credential at all is refused by name, before any matching", async () => {
    const s = await session((x) => {
      const id = x.azure!.userAssignedIdentities!.find((i) => i.clientId === IDENTITY.clientId)!;
      id.federatedIdentityCredentials = [];
    });
    try {
      const before = s.world.stats.byService.oidc ?? 0;
      const res = await postToken(s, TENANT, exchangeForm(IDENTITY.clientId, await mintAssertion(s.world)));
      expect(res.status).toBe(401);
      expectEntraError(res.json, 70025);
      const body = res.json as { error: string; error_description: string };
      expect(body.error).toBe("invalid_client");
      expect(body.error_description).toMatch(
        new RegExp(
          `^AADSTS70025: The client '${IDENTITY.clientId}'\\(.+\\) has no configured federated identity credentials\\.`,
        ),
      );
      // The issuer is never consulted: there is nothing to compare the assertion with.
      expect(s.world.stats.byService.oidc ?? 0).toBe(before);
      const explained = explainError(JSON.stringify(res.json));
      expect(explained.codes).toContain("AADSTS70025");
      expect(explained.causes[0].class).toBe("fic_missing");
    } finally {
      await s.close();
    }
  });

  it("AADSTS90061: the issuer's discovery document cannot be fetched", async () => {
    const s = await session((x) => {
      x.kubernetes.issuerReachable = false;
    });
    try {
      const res = await postToken(s, TENANT, exchangeForm(IDENTITY.clientId, await mintAssertion(s.world)));
      expect(res.status).toBe(400);
      expectEntraError(res.json, 90061);
      expect((res.json as { error_description: string }).error_description).toMatch(
        /^AADSTS90061: Request to External OIDC endpoint failed\./,
      );
    } finally {
      await s.close();
    }
  });

  it("AADSTS7000272 when the API server signs with a key the JWKS no longer lists", async () => {
    const s = await session((x) => {
      x.kubernetes.issuerKeyRotated = true;
    });
    try {
      const r = await new AzureProvider(s.env).exchangeToken({
        tenantId: TENANT,
        clientId: IDENTITY.clientId,
        assertion: await mintAssertion(s.world),
      });
      expect(r).toMatchObject({ ok: false, errorCodes: [7000272] });
    } finally {
      await s.close();
    }
  });

  it("only fetches the metadata of issuers the identity trusts", async () => {
    const s = await session();
    try {
      const before = s.world.stats.byService.oidc ?? 0;
      const r = await new AzureProvider(s.env).exchangeToken({
        tenantId: TENANT,
        clientId: IDENTITY.clientId,
        assertion: await mintAssertion(s.world, { iss: "https://issuer.example.invalid/" }),
      });
      expect(r).toMatchObject({ ok: false, errorCodes: [700211] });
      expect(s.world.stats.byService.oidc ?? 0).toBe(before);
    } finally {
      await s.close();
    }
  });
});
