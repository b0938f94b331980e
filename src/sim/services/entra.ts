// The simulated Entra token endpoint: the client-secret grant for the operator and app registrations, and the
// workload identity exchange (client_credentials with a jwt-bearer client_assertion) with Entra's real checks
// and error bodies.
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWK, type JWTPayload } from "jose";
import { propagating } from "./propagation.js";
import { SIM_OPERATOR_CLIENT_SECRET } from "../constants.js";
import type { SimRequest, SimResponse, SimService, SimWorld } from "../world.js";
import {
  type DirectoryPrincipal,
  ENTRA_HOSTS,
  findClient,
  issueAccessToken,
  knownTenants,
  newTraceId,
  resourceOfScope,
} from "./azure-state.js";
import { entraSigningKey } from "./entra-tokens.js";

const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const WIF_DOCS = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation";
/** Entra tolerates this much clock skew on an assertion's exp and nbf. */
const CLOCK_SKEW_S = 300;
/** External OIDC tokens may live at most 1 day and 1 hour ("1.01:00:00"). */
const MAX_ASSERTION_LIFETIME_S = 25 * 3600;
export const ACCESS_TOKEN_LIFETIME_S = 3599;

/** The status Entra answers with for each OAuth error code. */
const statusOf: Record<string, number> = {
  invalid_client: 401,
  invalid_request: 400,
  invalid_grant: 400,
  invalid_scope: 400,
  invalid_tenant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
};

function timestamp(d = new Date()): string {
  return d
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
}

/** An error in Entra's real shape: AADSTS text plus trace, correlation and timestamp. */
export function entraError(req: SimRequest, error: string, code: number, message: string): SimResponse {
  const traceId = newTraceId();
  const correlationId = headerValue(req, "client-request-id") ?? newTraceId();
  const ts = timestamp();
  return {
    status: statusOf[error] ?? 400,
    headers: { "content-type": "application/json; charset=utf-8", "x-ms-request-id": traceId },
    body: {
      error,
      error_description: `AADSTS${code}: ${message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${ts}`,
      error_codes: [code],
      timestamp: ts,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://${req.host}/error?code=${code}`,
    },
  };
}

function headerValue(req: SimRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const tenantNotFound = (req: SimRequest, tenant: string) =>
  entraError(
    req,
    "invalid_tenant",
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  );

const missingParameter = (req: SimRequest, name: string) =>
  entraError(req, "invalid_request", 900144, `The request body must contain the following parameter: '${name}'.`);

function openIdConfiguration(host: string, tenant: string, origin?: string) {
  const base = `${origin ?? `https://${host}`}/${tenant}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      "sub",
      "iss",
      "cloud_instance_name",
      "cloud_instance_host_name",
      "cloud_graph_host_name",
      "msgraph_host",
      "aud",
      "exp",
      "iat",
      "auth_time",
      "acr",
      "nonce",
      "preferred_username",
      "name",
      "tid",
      "ver",
      "at_hash",
      "c_hash",
      "email",
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: "EU",
    cloud_instance_name: host.replace(/^login\./, ""),
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  };
}

function success(world: SimWorld, principal: DirectoryPrincipal, tenantId: string, resource: string): SimResponse {
  const accessToken = issueAccessToken(world, {
    tenantId,
    audience: resource,
    principal,
    expiresAt: Date.now() + ACCESS_TOKEN_LIFETIME_S * 1000,
  });
  return {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store, no-cache" },
    body: {
      token_type: "Bearer",
      expires_in: ACCESS_TOKEN_LIFETIME_S,
      ext_expires_in: ACCESS_TOKEN_LIFETIME_S,
      access_token: accessToken,
    },
  };
}

async function token(req: SimRequest, world: SimWorld, tenantSegment: string, v1: boolean): Promise<SimResponse> {
  const form = req.form();
  const tenant = tenantSegment.toLowerCase();
  if (!knownTenants(world).has(tenant)) return tenantNotFound(req, tenantSegment);

  const grantType = form.get("grant_type");
  if (!grantType) return missingParameter(req, "grant_type");
  if (grantType !== "client_credentials") {
    return entraError(
      req,
      "unsupported_grant_type",
      70003,
      `The app requested an unsupported grant type '${grantType}'.`,
    );
  }
  const clientId = form.get("client_id");
  if (!clientId) return missingParameter(req, "client_id");
  // The v1 endpoint names the resource itself; v2 asks for "{resource}/.default".
  const scope = v1 ? form.get("resource") : form.get("scope");
  if (!scope) return missingParameter(req, v1 ? "resource" : "scope");
  const resource = v1 ? scope : resourceOfScope(scope);
  if (!resource) {
    return entraError(
      req,
      "invalid_scope",
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }

  const principal = findClient(world, tenant, clientId);
  if (!principal) {
    return entraError(
      req,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }

  const assertionType = form.get("client_assertion_type");
  const assertion = form.get("client_assertion");
  const secret = form.get("client_secret");
  if (assertion || assertionType) {
    if (assertionType !== JWT_BEARER) {
      return entraError(
        req,
        "invalid_request",
        90014,
        "The required field 'client_assertion_type' is missing or has an unsupported value.",
      );
    }
    if (!assertion) return missingParameter(req, "client_assertion");
    if (propagating(world, principal.clientId)) {
      return entraError(
        req,
        "invalid_client",
        70021,
        "No matching federated identity record found for presented assertion.",
      );
    }
    const rejected = await checkFederatedAssertion(req, world, principal, assertion);
    return rejected ?? success(world, principal, tenant, resource);
  }
  if (secret !== null) {
    const rejected = checkClientSecret(req, principal, secret);
    return rejected ?? success(world, principal, tenant, resource);
  }
  return entraError(
    req,
    "invalid_client",
    7000218,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  );
}

function checkClientSecret(req: SimRequest, principal: DirectoryPrincipal, secret: string): SimResponse | undefined {
  if (principal.kind === "operator") {
    return secret === SIM_OPERATOR_CLIENT_SECRET ? undefined : invalidSecret(req, principal.clientId);
  }
  const credentials = principal.application?.passwordCredentials ?? [];
  const match = credentials.find((c) => c.secretText === secret);
  if (!match) return invalidSecret(req, principal.clientId);
  if (match.endDateTime && Date.parse(match.endDateTime) <= Date.now()) {
    return entraError(
      req,
      "invalid_client",
      7000222,
      `The provided client secret keys for app '${principal.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
    );
  }
  return undefined;
}

const invalidSecret = (req: SimRequest, appId: string) =>
  entraError(
    req,
    "invalid_client",
    7000215,
    `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${appId}'.`,
  );

/** The identity's federated credentials, whichever kind of principal it is. */
function federatedCredentialsOf(principal: DirectoryPrincipal) {
  return principal.identity?.federatedIdentityCredentials ?? principal.application?.federatedIdentityCredentials ?? [];
}

/**
 * The workload identity exchange. Only issuers the identity trusts are fetched, so an unknown issuer is refused
 * before any network call; then the signature and lifetime are checked against the issuer's published keys, and
 * finally subject and audience are matched exactly.
 */
async function checkFederatedAssertion(
  req: SimRequest,
  world: SimWorld,
  principal: DirectoryPrincipal,
  assertion: string,
): Promise<SimResponse | undefined> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch {
    return entraError(req, "invalid_request", 50027, "JWT token is invalid or malformed.");
  }
  const iss = typeof claims.iss === "string" ? claims.iss : "";
  const sub = typeof claims.sub === "string" ? claims.sub : "";
  const auds = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const classic = world.scenario.azure?.tokenErrorFormat === "classic";
  const noMatch = () =>
    entraError(
      req,
      "invalid_request",
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${auds.join(", ")}'. ${WIF_DOCS}`,
    );

  const federated = federatedCredentialsOf(principal);
  // An identity with no federated credential at all is refused before the assertion is compared with anything.
  if (federated.length === 0 && !classic) {
    return entraError(
      req,
      "invalid_client",
      70025,
      `The client '${principal.clientId}'(${principal.displayName}) has no configured federated identity credentials.`,
    );
  }
  const byIssuer = federated.filter((f) => f.issuer === iss);
  if (byIssuer.length === 0) {
    return classic
      ? noMatch()
      : entraError(
          req,
          "invalid_client",
          700211,
          `No matching federated identity record found for presented assertion issuer '${iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${WIF_DOCS}`,
        );
  }

  const keys = await fetchIssuerKeys(world, iss);
  if (!keys) return entraError(req, "invalid_request", 90061, "Request to External OIDC endpoint failed.");
  const candidates = header.kid ? keys.filter((k) => k.kid === header.kid) : keys;
  if (candidates.length === 0) {
    return entraError(
      req,
      "invalid_client",
      7000272,
      `The certificate with identifier ${header.kid ?? ""} used to sign the federated credential could not be found in the metadata of identity provider ${iss}. Please validate that your Identity Provider's metadata exposes the key used to sign the incoming token.`,
    );
  }
  if (!(await signedByOneOf(assertion, candidates, header.alg))) {
    return entraError(req, "invalid_client", 700027, "Client assertion failed signature validation.");
  }

  const now = Math.floor(Date.now() / 1000);
  const exp = typeof claims.exp === "number" ? claims.exp : undefined;
  const nbf = typeof claims.nbf === "number" ? claims.nbf : typeof claims.iat === "number" ? claims.iat : 0;
  if (exp === undefined || exp + CLOCK_SKEW_S < now || nbf - CLOCK_SKEW_S > now) {
    const iso = (s: number | undefined) =>
      s === undefined ? "" : new Date(s * 1000).toISOString().replace("Z", "0000Z");
    return entraError(
      req,
      "invalid_client",
      700024,
      `Client assertion is not within its valid time range. Current time: ${iso(now)}, assertion valid from ${iso(nbf)}, expiry time of assertion ${iso(exp)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`,
    );
  }
  const iat = typeof claims.iat === "number" ? claims.iat : nbf;
  if (exp - iat > MAX_ASSERTION_LIFETIME_S) {
    return entraError(
      req,
      "invalid_client",
      70023,
      `External OIDC Provider token must have a lifetime of less than or equal to 1.01:00:00. Token issued at ${iat}. Token expires on ${exp}.`,
    );
  }

  const bySubject = byIssuer.filter((f) => f.subject === sub);
  if (bySubject.length === 0) {
    return classic
      ? noMatch()
      : entraError(
          req,
          "invalid_client",
          700213,
          `No matching federated identity record found for presented assertion subject '${sub}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${WIF_DOCS}`,
        );
  }
  const byAudience = bySubject.filter((f) => f.audiences.some((a) => auds.includes(a)));
  if (byAudience.length === 0) {
    return classic
      ? noMatch()
      : entraError(
          req,
          "invalid_client",
          700212,
          `No matching federated identity record found for presented assertion audience '${auds.join(", ")}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${WIF_DOCS}`,
        );
  }
  return undefined;
}

/** The issuer's signing keys, fetched as Entra does: discovery document, then its jwks_uri. */
async function fetchIssuerKeys(world: SimWorld, issuer: string): Promise<JWK[] | undefined> {
  try {
    const discovery = await world.fetchJson(`${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`);
    const jwksUri = (discovery.body as { jwks_uri?: unknown } | undefined)?.jwks_uri;
    if (discovery.status !== 200 || typeof jwksUri !== "string") return undefined;
    const jwks = await world.fetchJson(jwksUri);
    const keys = (jwks.body as { keys?: unknown } | undefined)?.keys;
    if (jwks.status !== 200 || !Array.isArray(keys)) return undefined;
    return keys as JWK[];
  } catch {
    return undefined;
  }
}

async function signedByOneOf(assertion: string, keys: JWK[], alg: string | undefined): Promise<boolean> {
  for (const jwk of keys) {
    try {
      const key = await importJWK(jwk, alg ?? jwk.alg ?? "RS256");
      await compactVerify(assertion, key);
      return true;
    } catch {
      /* try the next key */
    }
  }
  return false;
}

/** The public clouds' aliases, as the instance-discovery endpoint lists them. */
const CLOUD_ALIASES = [
  {
    preferred_network: "login.microsoftonline.com",
    preferred_cache: "login.windows.net",
    aliases: ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"],
  },
  {
    preferred_network: "login.partner.microsoftonline.cn",
    preferred_cache: "login.partner.microsoftonline.cn",
    aliases: ["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
  },
  {
    preferred_network: "login.microsoftonline.de",
    preferred_cache: "login.microsoftonline.de",
    aliases: ["login.microsoftonline.de"],
  },
  {
    preferred_network: "login.microsoftonline.us",
    preferred_cache: "login.microsoftonline.us",
    aliases: ["login.microsoftonline.us", "login.usgovcloudapi.net"],
  },
];

/**
 * GET /common/discovery/instance?api-version=1.1&authorization_endpoint=…: what MSAL asks before it trusts an
 * authority. The tenant discovery endpoint is on the host the authorization endpoint names.
 */
function instanceDiscovery(req: SimRequest, world: SimWorld): SimResponse {
  const authz = req.query.get("authorization_endpoint");
  if (!authz) {
    return entraError(req, "invalid_request", 50049, "Unknown or invalid instance.");
  }
  let u: URL;
  try {
    u = new URL(authz);
  } catch {
    return entraError(req, "invalid_instance", 50049, "Unknown or invalid instance.");
  }
  const tenant = u.pathname.split("/").filter(Boolean)[0] ?? "common";
  // The simulator's own address (an authority host such as https://127.0.0.1:PORT) is an instance too.
  // MSAL Python drops the port when it builds the URL it asks about; the simulator's port is the one meant.
  const direct = ["127.0.0.1", "localhost"].includes(u.hostname) && (u.port === "" || u.port === String(world.port));
  if (direct) u = new URL(`https://${u.hostname}:${world.port}${u.pathname}`);
  const known = CLOUD_ALIASES.some((c) => c.aliases.includes(u.hostname)) || direct;
  if (!known) return entraError(req, "invalid_instance", 50049, "Unknown or invalid instance.");
  const metadata = direct
    ? [{ preferred_network: u.host, preferred_cache: u.host, aliases: [u.host] }, ...CLOUD_ALIASES]
    : CLOUD_ALIASES;
  return {
    status: 200,
    body: {
      tenant_discovery_endpoint: `${u.origin}/${tenant}/v2.0/.well-known/openid-configuration`,
      "api-version": req.query.get("api-version") ?? "1.1",
      metadata,
    },
  };
}

export const entraService: SimService = {
  name: "entra",
  matches: (host) => ENTRA_HOSTS.includes(host),
  async handle(req, world) {
    if (req.method === "GET" && req.path === "/common/discovery/instance") return instanceDiscovery(req, world);
    const m = /^\/([^/]+)\/(.+)$/.exec(req.path);
    if (!m) return undefined;
    const [, tenantSegment, rest] = m;
    const tenant = decodeURIComponent(tenantSegment);
    if (req.method === "POST" && (rest === "oauth2/v2.0/token" || rest === "oauth2/token")) {
      return token(req, world, tenant, rest === "oauth2/token");
    }
    if (
      req.method === "GET" &&
      (rest === "v2.0/.well-known/openid-configuration" || rest === ".well-known/openid-configuration")
    ) {
      if (!knownTenants(world).has(tenant.toLowerCase())) return tenantNotFound(req, tenant);
      return { status: 200, body: openIdConfiguration(req.host, tenant.toLowerCase(), req.origin) };
    }
    if (req.method === "GET" && rest === "discovery/v2.0/keys") {
      if (!knownTenants(world).has(tenant.toLowerCase())) return tenantNotFound(req, tenant);
      return { status: 200, body: { keys: [entraSigningKey(world).jwk] } };
    }
    return undefined;
  },
  notFound: () => ({
    status: 404,
    headers: { "content-type": "text/html" },
    body: "<html><body>Not Found</body></html>",
  }),
};
