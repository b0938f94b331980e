// The simulated Microsoft Graph, reached through an Azure SDK pipeline with the operator's credential, and its
// bodies compared with the recorded Graph answers in the shared fixtures.
import { readFileSync } from "node:fs";
import {
  agentPolicy,
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
} from "@azure/core-rest-pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimSession } from "../../src/sim/environment.js";
import { APP, IDENTITY, ISSUER, OTHER_TENANT, session, SUBJECT } from "./azure-world.js";

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/graph/${name}`, import.meta.url), "utf8"));

type Body = any;

type Graph = (
  path: string,
  init?: { method?: "GET" | "POST" | "PATCH" | "DELETE"; body?: unknown; token?: boolean },
) => Promise<{ status: number; json: Body }>;

function graphClient(s: SimSession): Graph {
  const pipeline = createPipelineFromOptions({ retryOptions: { maxRetries: 0 } });
  pipeline.addPolicy(agentPolicy(s.world.agent));
  const authenticated = createPipelineFromOptions({ retryOptions: { maxRetries: 0 } });
  authenticated.addPolicy(agentPolicy(s.world.agent));
  authenticated.addPolicy(
    bearerTokenAuthenticationPolicy({
      credential: s.env.azure.credential!,
      scopes: "https://graph.microsoft.com/.default",
    }),
  );
  const client = createDefaultHttpClient();
  return async (path, init = {}) => {
    const headers = createHttpHeaders({ accept: "application/json" });
    if (init.body !== undefined) headers.set("content-type", "application/json");
    const request = createPipelineRequest({
      url: `https://graph.microsoft.com${path}`,
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const res = await (init.token === false ? pipeline : authenticated).sendRequest(client, request);
    return { status: res.status, json: res.bodyAsText ? JSON.parse(res.bodyAsText) : undefined };
  };
}

const sortedKeys = (o: object) => Object.keys(o).sort();

describe("Graph: applications and service principals", () => {
  let s: SimSession;
  let graph: Graph;
  beforeAll(async () => {
    s = await session((x) => {
      x.azure!.applications!.push({
        appId: "6b7c8d9e-0f1a-4b2c-8d3e-4f5a6b7c8d9e",
        displayName: "elsewhere-app",
        objectId: "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
        tenantId: OTHER_TENANT,
      });
    });
    graph = graphClient(s);
  });
  afterAll(() => s.close());

  it("finds an application by appId filter, in the recorded collection shape", async () => {
    const res = await graph(`/v1.0/applications?$filter=${encodeURIComponent(`appId eq '${APP.appId}'`)}`);
    expect(res.status).toBe(200);
    const published = fixture("applications-filter-appId.azure-cli-recording.v1.0.json");
    expect(res.json["@odata.context"]).toBe(published["@odata.context"]);
    expect(res.json.value).toHaveLength(1);
    expect(sortedKeys(res.json.value[0])).toEqual(sortedKeys(published.value[0]));
    expect(res.json.value[0]).toMatchObject({ id: APP.objectId, appId: APP.appId, displayName: APP.displayName });
    expect(JSON.stringify(res.json)).not.toContain("simulated-app-secret-value");
  });

  it("addresses an application by appId key and by object id, answering $entity", async () => {
    const byKey = await graph(`/v1.0/applications(appId='${APP.appId}')`);
    expect(byKey.status).toBe(200);
    expect(byKey.json["@odata.context"]).toBe("https://graph.microsoft.com/v1.0/$metadata#applications/$entity");
    const byId = await graph(`/v1.0/applications/${APP.objectId}`);
    expect(byId.json.appId).toBe(APP.appId);
  });

  it("answers Request_ResourceNotFound for an unknown application", async () => {
    const res = await graph("/v1.0/applications/00000000-1111-4222-8333-444444444444");
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe("Request_ResourceNotFound");
    expect(sortedKeys(res.json.error.innerError)).toEqual(["client-request-id", "date", "request-id"]);
  });

  it("only shows the directory of the token's tenant", async () => {
    const res = await graph(
      `/v1.0/applications?$filter=${encodeURIComponent("appId eq '6b7c8d9e-0f1a-4b2c-8d3e-4f5a6b7c8d9e'")}`,
    );
    expect(res.json.value).toEqual([]);
  });

  it("finds service principals by appId filter: apps and managed identities; none answers the empty collection", async () => {
    const published = fixture("servicePrincipals-filter-collection.azure-cli-recording.v1.0.json");
    const app = await graph(`/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${APP.appId}'`)}`);
    expect(app.json["@odata.context"]).toBe(published["@odata.context"]);
    expect(sortedKeys(app.json.value[0])).toEqual(sortedKeys(published.value[0]));
    expect(app.json.value[0]).toMatchObject({ id: APP.servicePrincipalObjectId, servicePrincipalType: "Application" });

    const mi = await graph(`/v1.0/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${IDENTITY.clientId}'`)}`);
    expect(mi.json.value[0]).toMatchObject({ id: IDENTITY.principalId, servicePrincipalType: "ManagedIdentity" });

    const none = await graph(
      `/v1.0/servicePrincipals?$filter=${encodeURIComponent("appId eq '00000000-1111-4222-8333-444444444444'")}`,
    );
    expect(none.json).toEqual(fixture("servicePrincipals-filter-empty.azure-cli-recording.v1.0.json"));
  });

  it("answers 401 InvalidAuthenticationToken without a token", async () => {
    const res = await graph("/v1.0/applications", { token: false });
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe("InvalidAuthenticationToken");
  });
});

describe("Graph: an application's federated identity credentials", () => {
  let s: SimSession;
  let graph: Graph;
  beforeAll(async () => {
    s = await session();
    graph = graphClient(s);
  });
  afterAll(() => s.close());

  it("lists them on v1.0 and beta, by object id and by appId key, in the recorded shape", async () => {
    const published = fixture("application-list-federatedIdentityCredentials.azure-cli-recording.beta.json");
    const beta = await graph(`/beta/applications/${APP.objectId}/federatedIdentityCredentials`);
    expect(beta.status).toBe(200);
    expect(beta.json["@odata.context"]).toBe(
      `https://graph.microsoft.com/beta/$metadata#applications('${APP.objectId}')/federatedIdentityCredentials`,
    );
    expect(sortedKeys(beta.json.value[0])).toEqual(sortedKeys(published.value[0]));
    expect(beta.json.value[0]).toMatchObject({ name: "payments-app-fic", issuer: ISSUER, subject: SUBJECT });

    const v1 = await graph(`/v1.0/applications(appId='${APP.appId}')/federatedIdentityCredentials`);
    expect(v1.json.value.map((f: { name: string }) => f.name)).toEqual(["payments-app-fic"]);
  });

  it("creates one with POST (201), refuses duplicates (409), and deletes by id (204)", async () => {
    const base = `/v1.0/applications/${APP.objectId}/federatedIdentityCredentials`;
    const created = await graph(base, {
      method: "POST",
      body: {
        name: "new-fic",
        issuer: ISSUER,
        subject: "system:serviceaccount:new:sa",
        audiences: ["api://AzureADTokenExchange"],
      },
    });
    expect(created.status).toBe(201);
    expect(created.json["@odata.context"]).toMatch(/federatedIdentityCredentials\/\$entity$/);
    const fics = () => s.world.scenario.azure!.applications[0].federatedIdentityCredentials;
    expect(fics().map((f) => f.name)).toContain("new-fic");

    const again = await graph(base, {
      method: "POST",
      body: {
        name: "new-fic",
        issuer: ISSUER,
        subject: "system:serviceaccount:other:sa",
        audiences: ["api://AzureADTokenExchange"],
      },
    });
    expect(again.status).toBe(409);

    const patched = await graph(`${base}/${created.json.id}`, {
      method: "PATCH",
      body: { subject: "system:serviceaccount:new:sa2" },
    });
    expect(patched.status).toBe(204);
    expect(fics().find((f) => f.name === "new-fic")?.subject).toBe("system:serviceaccount:new:sa2");

    const deleted = await graph(`${base}/${created.json.id}`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(fics().map((f) => f.name)).not.toContain("new-fic");
  });

  it("validates the new credential: one audience, required fields, at most 20", async () => {
    const base = `/v1.0/applications/${APP.objectId}/federatedIdentityCredentials`;
    const twoAudiences = await graph(base, {
      method: "POST",
      body: { name: "x", issuer: ISSUER, subject: "s", audiences: ["a", "b"] },
    });
    expect(twoAudiences.status).toBe(400);
    const noSubject = await graph(base, { method: "POST", body: { name: "y", issuer: ISSUER, audiences: ["a"] } });
    expect(noSubject.status).toBe(400);

    for (let i = 1; i < 20; i++) {
      const r = await graph(base, {
        method: "POST",
        body: {
          name: `fic-${i}`,
          issuer: ISSUER,
          subject: `system:serviceaccount:ns:sa-${i}`,
          audiences: ["api://AzureADTokenExchange"],
        },
      });
      expect(r.status).toBe(201);
    }
    const over = await graph(base, {
      method: "POST",
      body: {
        name: "fic-21",
        issuer: ISSUER,
        subject: "system:serviceaccount:ns:sa-21",
        audiences: ["api://AzureADTokenExchange"],
      },
    });
    expect(over.status).toBe(400);
    expect(over.json.error.code).toBe("Request_BadRequest");
  });
});
