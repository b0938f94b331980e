// The simulated Microsoft Graph (v1.0 and beta): app registrations, their federated identity credentials, and
// service principals, in the directory of the tenant the caller's token was issued for.
import { randomUUID } from "node:crypto";
import { noteWrite } from "./propagation.js";
import type { ScenarioFederatedCredential } from "../scenario.js";
import type { SimRequest, SimResponse, SimService, SimWorld } from "../world.js";
import {
  applicationPrincipalId,
  applicationTenant,
  checkBearer,
  GRAPH_HOSTS,
  identityTenant,
  type ScenarioApplication,
  stableGuid,
} from "./azure-state.js";
import { FIC_LIMIT } from "./arm.js";

const lower = (s: string) => s.toLowerCase();
const eq = (a: string | undefined, b: string | undefined) => (a ?? "").toLowerCase() === (b ?? "").toLowerCase();

function graphError(req: SimRequest, status: number, code: string, message: string): SimResponse {
  const requestId = randomUUID();
  const clientRequestId = headerOf(req, "client-request-id") ?? requestId;
  return {
    status,
    headers: { "request-id": requestId, "client-request-id": clientRequestId },
    body: {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d+Z$/, ""),
          "request-id": requestId,
          "client-request-id": clientRequestId,
        },
      },
    },
  };
}

const resourceNotFound = (req: SimRequest, id: string) =>
  graphError(
    req,
    404,
    "Request_ResourceNotFound",
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

function headerOf(req: SimRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const ficId = (app: ScenarioApplication, f: ScenarioFederatedCredential) => stableGuid("graph-fic", app.appId, f.name);

function applicationBody(app: ScenarioApplication) {
  return {
    id: app.objectId,
    deletedDateTime: null,
    appId: app.appId,
    applicationTemplateId: null,
    disabledByMicrosoftStatus: null,
    createdDateTime: "2025-01-15T09:27:32Z",
    displayName: app.displayName,
    description: null,
    groupMembershipClaims: null,
    identifierUris: [],
    isDeviceOnlyAuthSupported: null,
    isFallbackPublicClient: null,
    notes: null,
    publisherDomain: "contoso.onmicrosoft.com",
    serviceManagementReference: null,
    signInAudience: "AzureADMyOrg",
    tags: [],
    tokenEncryptionKeyId: null,
    defaultRedirectUri: null,
    certification: null,
    optionalClaims: null,
    addIns: [],
    api: {
      acceptMappedClaims: null,
      knownClientApplications: [],
      requestedAccessTokenVersion: null,
      oauth2PermissionScopes: [],
      preAuthorizedApplications: [],
    },
    appRoles: [],
    info: { logoUrl: null, marketingUrl: null, privacyStatementUrl: null, supportUrl: null, termsOfServiceUrl: null },
    keyCredentials: [],
    parentalControlSettings: { countriesBlockedForMinors: [], legalAgeGroupRule: "Allow" },
    // Graph never returns a secret's value, only its metadata and a hint.
    passwordCredentials: app.passwordCredentials.map((p) => ({
      customKeyIdentifier: null,
      displayName: null,
      endDateTime: p.endDateTime ?? "2299-12-31T00:00:00Z",
      hint: p.secretText.slice(0, 3),
      keyId: p.keyId ?? stableGuid("secret", app.appId, p.secretText),
      secretText: null,
      startDateTime: "2025-01-15T09:27:32Z",
    })),
    publicClient: { redirectUris: [] },
    requiredResourceAccess: [],
    verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
    web: {
      homePageUrl: null,
      logoutUrl: null,
      redirectUris: [],
      implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false },
    },
    spa: { redirectUris: [] },
  };
}

function ficBody(app: ScenarioApplication, f: ScenarioFederatedCredential) {
  return {
    id: ficId(app, f),
    name: f.name,
    issuer: f.issuer,
    subject: f.subject,
    description: f.description ?? null,
    audiences: f.audiences,
  };
}

function servicePrincipalBody(p: {
  id: string;
  appId: string;
  displayName: string;
  tenantId: string;
  type: "Application" | "ManagedIdentity";
  alternativeNames?: string[];
}) {
  return {
    id: p.id,
    deletedDateTime: null,
    accountEnabled: true,
    alternativeNames: p.alternativeNames ?? [],
    appDisplayName: p.type === "Application" ? p.displayName : null,
    appDescription: null,
    appId: p.appId,
    applicationTemplateId: null,
    appOwnerOrganizationId: p.type === "Application" ? p.tenantId : null,
    appRoleAssignmentRequired: false,
    createdDateTime: "2025-01-15T09:27:32Z",
    description: null,
    disabledByMicrosoftStatus: null,
    displayName: p.displayName,
    homepage: null,
    loginUrl: null,
    logoutUrl: null,
    notes: null,
    notificationEmailAddresses: [],
    preferredSingleSignOnMode: null,
    preferredTokenSigningKeyThumbprint: null,
    replyUrls: [],
    servicePrincipalNames: p.type === "Application" ? [p.appId] : [p.appId, ...(p.alternativeNames?.slice(1) ?? [])],
    servicePrincipalType: p.type,
    signInAudience: p.type === "Application" ? "AzureADMyOrg" : null,
    tags: [],
    tokenEncryptionKeyId: null,
    samlSingleSignOnSettings: null,
    verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
    addIns: [],
    appRoles: [],
    info: { logoUrl: null, marketingUrl: null, privacyStatementUrl: null, supportUrl: null, termsOfServiceUrl: null },
    keyCredentials: [],
    oauth2PermissionScopes: [],
    passwordCredentials: [],
    resourceSpecificApplicationPermissions: [],
  };
}

interface Ctx {
  req: SimRequest;
  world: SimWorld;
  tenantId: string;
  /** "https://graph.microsoft.com/v1.0" */
  base: string;
}

function appsOf(ctx: Ctx): ScenarioApplication[] {
  return (ctx.world.scenario.azure?.applications ?? []).filter((a) => applicationTenant(ctx.world, a) === ctx.tenantId);
}

function servicePrincipalsOf(ctx: Ctx) {
  const apps = appsOf(ctx).map((a) =>
    servicePrincipalBody({
      id: applicationPrincipalId(a),
      appId: a.appId,
      displayName: a.displayName,
      tenantId: ctx.tenantId,
      type: "Application",
    }),
  );
  const identities = (ctx.world.scenario.azure?.userAssignedIdentities ?? [])
    .filter((i) => identityTenant(ctx.world, i) === ctx.tenantId)
    .map((i) => {
      const sub = lower(i.subscriptionId ?? ctx.world.scenario.azure!.subscriptionId);
      const resourceId = `/subscriptions/${sub}/resourcegroups/${i.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${i.name}`;
      return servicePrincipalBody({
        id: i.principalId,
        appId: i.clientId,
        displayName: i.name,
        tenantId: ctx.tenantId,
        type: "ManagedIdentity",
        alternativeNames: ["isExplicit=True", resourceId],
      });
    });
  return [...apps, ...identities];
}

/** `$filter=appId eq '…'`, the one filter form these collections answer here. */
function appIdFilter(ctx: Ctx): string | undefined | "unsupported" {
  const f = ctx.req.query.get("$filter");
  if (f === null) return undefined;
  const m = /^appId\s+eq\s+'([^']*)'$/i.exec(f.trim());
  return m ? m[1] : "unsupported";
}

const unsupportedQuery = (req: SimRequest) =>
  graphError(
    req,
    400,
    "Request_UnsupportedQuery",
    "Unsupported or invalid query filter clause specified for property 'appId' of resource 'Application'.",
  );

function findApp(ctx: Ctx, key: { objectId?: string; appId?: string }): ScenarioApplication | undefined {
  return appsOf(ctx).find((a) => (key.objectId ? eq(a.objectId, key.objectId) : eq(a.appId, key.appId)));
}

function applicationRoute(
  ctx: Ctx,
  appKey: { objectId?: string; appId?: string },
  rest: string[],
): SimResponse | undefined {
  const { req } = ctx;
  const app = findApp(ctx, appKey);
  const keyText = appKey.objectId ?? appKey.appId ?? "";
  if (!app) return resourceNotFound(req, keyText);
  const ctxPath = `applications('${app.objectId}')`;
  if (rest.length === 0) {
    if (req.method !== "GET") return undefined;
    return {
      status: 200,
      body: { "@odata.context": `${ctx.base}/$metadata#applications/$entity`, ...applicationBody(app) },
    };
  }
  const ficSegment = /^federatedIdentityCredentials(?:\(name='(.+)'\))?$/.exec(rest[0]);
  if (!ficSegment) return undefined;
  const fics = app.federatedIdentityCredentials;
  if (ficSegment[1] !== undefined) {
    if (rest.length !== 1) return undefined;
    return ficItemRoute(ctx, app, ctxPath, ficSegment[1], true);
  }
  if (rest.length === 1) {
    if (req.method === "GET") {
      return {
        status: 200,
        body: {
          "@odata.context": `${ctx.base}/$metadata#${ctxPath}/federatedIdentityCredentials`,
          value: fics.map((f) => ficBody(app, f)),
        },
      };
    }
    if (req.method === "POST") return createFic(ctx, app, ctxPath);
    return undefined;
  }
  if (rest.length !== 2) return undefined;
  return ficItemRoute(ctx, app, ctxPath, rest[1], false);
}

/** One federated credential, addressed by id, or by name (`/{name}` or `(name='{name}')`). */
function ficItemRoute(
  ctx: Ctx,
  app: ScenarioApplication,
  ctxPath: string,
  key: string,
  nameOnly: boolean,
): SimResponse | undefined {
  const { req } = ctx;
  const fics = app.federatedIdentityCredentials;
  const index = fics.findIndex((f) => f.name === key || (!nameOnly && ficId(app, f) === lower(key)));
  if (index < 0) return resourceNotFound(req, key);
  if (req.method === "GET") {
    return {
      status: 200,
      body: {
        "@odata.context": `${ctx.base}/$metadata#${ctxPath}/federatedIdentityCredentials/$entity`,
        ...ficBody(app, fics[index]),
      },
    };
  }
  if (req.method === "DELETE") {
    fics.splice(index, 1);
    return { status: 204 };
  }
  if (req.method === "PATCH") {
    const input = readFic(req);
    if ("status" in input) return input;
    if (input.name !== undefined && input.name !== fics[index].name) {
      return graphError(
        req,
        400,
        "Request_BadRequest",
        "The name of a federated identity credential cannot be changed.",
      );
    }
    const next = { ...fics[index], ...stripUndefined(input), name: fics[index].name };
    const invalid = validateFic(req, next);
    if (invalid) return invalid;
    fics[index] = next as ScenarioFederatedCredential;
    noteWrite(ctx.world, app.appId);
    return { status: 204 };
  }
  return undefined;
}

type FicInput = Partial<ScenarioFederatedCredential>;

function readFic(req: SimRequest): FicInput | SimResponse {
  let body: unknown;
  try {
    body = req.json();
  } catch {
    return graphError(
      req,
      400,
      "BadRequest",
      "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    );
  }
  const b = (body ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    name: str(b.name),
    issuer: str(b.issuer),
    subject: str(b.subject),
    description: str(b.description),
    audiences: Array.isArray(b.audiences) ? (b.audiences.filter((a) => typeof a === "string") as string[]) : undefined,
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function validateFic(req: SimRequest, f: FicInput): SimResponse | undefined {
  for (const field of ["name", "issuer", "subject"] as const) {
    if (!f[field] || !f[field]!.trim()) {
      return graphError(
        req,
        400,
        "Request_BadRequest",
        `Property '${field}' of the federated identity credential is required.`,
      );
    }
  }
  if (f.audiences?.length !== 1 || !f.audiences[0]) {
    return graphError(
      req,
      400,
      "Request_BadRequest",
      "A federated identity credential must have exactly one audience.",
    );
  }
  return undefined;
}

function createFic(ctx: Ctx, app: ScenarioApplication, ctxPath: string): SimResponse {
  const { req } = ctx;
  const input = readFic(req);
  if ("status" in input) return input;
  const invalid = validateFic(req, input);
  if (invalid) return invalid;
  const fics = app.federatedIdentityCredentials;
  if (fics.some((f) => f.name === input.name)) {
    return graphError(
      req,
      409,
      "Request_MultipleObjectsWithSameKeyValue",
      `A federated identity credential named '${input.name}' already exists on this application.`,
    );
  }
  if (fics.some((f) => f.issuer === input.issuer && f.subject === input.subject)) {
    return graphError(
      req,
      409,
      "Request_MultipleObjectsWithSameKeyValue",
      "A federated identity credential with the same issuer and subject already exists on this application.",
    );
  }
  if (fics.length >= FIC_LIMIT) {
    return graphError(
      req,
      400,
      "Request_BadRequest",
      `The application already has the maximum of ${FIC_LIMIT} federated identity credentials; delete one before adding another.`,
    );
  }
  const fic: ScenarioFederatedCredential = {
    name: input.name!,
    issuer: input.issuer!,
    subject: input.subject!,
    audiences: [input.audiences![0]],
    ...(input.description ? { description: input.description } : {}),
  };
  fics.push(fic);
  noteWrite(ctx.world, app.appId);
  return {
    status: 201,
    headers: { location: `${ctx.base}/applications/${app.objectId}/federatedIdentityCredentials/${ficId(app, fic)}` },
    body: {
      "@odata.context": `${ctx.base}/$metadata#${ctxPath}/federatedIdentityCredentials/$entity`,
      ...ficBody(app, fic),
    },
  };
}

function route(ctx: Ctx, rest: string[]): SimResponse | undefined {
  const { req } = ctx;
  if (rest.length === 0) return undefined;
  const head = rest[0];
  if (head === "applications") {
    if (rest.length === 1) {
      if (req.method !== "GET") return undefined;
      const appId = appIdFilter(ctx);
      if (appId === "unsupported") return unsupportedQuery(req);
      const value = appsOf(ctx)
        .filter((a) => appId === undefined || eq(a.appId, appId))
        .map(applicationBody);
      return { status: 200, body: { "@odata.context": `${ctx.base}/$metadata#applications`, value } };
    }
    return applicationRoute(ctx, { objectId: rest[1] }, rest.slice(2));
  }
  const byAppId = /^applications\(appId='([^']*)'\)$/.exec(head);
  if (byAppId) return applicationRoute(ctx, { appId: byAppId[1] }, rest.slice(1));

  if (head === "servicePrincipals" && rest.length === 1 && req.method === "GET") {
    const appId = appIdFilter(ctx);
    if (appId === "unsupported") return unsupportedQuery(req);
    const value = servicePrincipalsOf(ctx).filter((sp) => appId === undefined || eq(sp.appId, appId));
    return { status: 200, body: { "@odata.context": `${ctx.base}/$metadata#servicePrincipals`, value } };
  }
  if (head === "servicePrincipals" && rest.length === 2 && req.method === "GET") {
    const sp = servicePrincipalsOf(ctx).find((s) => eq(s.id, rest[1]));
    return sp
      ? { status: 200, body: { "@odata.context": `${ctx.base}/$metadata#servicePrincipals/$entity`, ...sp } }
      : resourceNotFound(req, rest[1]);
  }
  const spByAppId = /^servicePrincipals\(appId='([^']*)'\)$/.exec(head);
  if (spByAppId && rest.length === 1 && req.method === "GET") {
    const sp = servicePrincipalsOf(ctx).find((s) => eq(s.appId, spByAppId[1]));
    return sp
      ? { status: 200, body: { "@odata.context": `${ctx.base}/$metadata#servicePrincipals/$entity`, ...sp } }
      : resourceNotFound(req, spByAppId[1]);
  }
  return undefined;
}

function graphAudiences(host: string): string[] {
  return [`https://${host}`, "00000003-0000-0000-c000-000000000000"];
}

export const graphService: SimService = {
  name: "graph",
  matches: (host) => GRAPH_HOSTS.includes(host),
  handle(req, world) {
    const m = /^\/(v1\.0|beta)(\/.*)?$/.exec(req.path);
    if (!m) return undefined;
    const bearer = checkBearer(world, headerOf(req, "authorization"), graphAudiences(req.host));
    if (bearer.status === "missing")
      return graphError(req, 401, "InvalidAuthenticationToken", "Access token is empty.");
    if (bearer.status === "invalid") {
      return graphError(
        req,
        401,
        "InvalidAuthenticationToken",
        "IDX14100: JWT is not well formed, there are no dots (.).",
      );
    }
    if (bearer.status === "expired")
      return graphError(req, 401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.");
    if (bearer.status === "wrong-audience")
      return graphError(req, 401, "InvalidAuthenticationToken", "Invalid audience.");
    const rest = (m[2] ?? "")
      .split("/")
      .filter(Boolean)
      .map((s) => decodeURIComponent(s));
    return route({ req, world, tenantId: bearer.grant.tenantId, base: `https://${req.host}/${m[1]}` }, rest);
  },
  notFound: (req) =>
    graphError(
      req,
      400,
      "BadRequest",
      `Resource not found for the segment '${req.path.split("/").filter(Boolean).pop() ?? ""}'.`,
    ),
};
