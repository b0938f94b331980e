// Simulated STS: GetCallerIdentity (signed) and AssumeRoleWithWebIdentity (unsigned), which checks the
// token, the account's OIDC provider and the role's trust policy the way the real service does.
import { wildcardMatches } from "../../diagnosis/wildcard.js";
import { compactVerify, createLocalJWKSet, decodeJwt, type JSONWebKeySet } from "jose";
import type { SimRequest, SimResponse, SimService, SimWorld } from "../world.js";
import { el, fakeId, querySuccess, queryError, simProviderArn, simProviderUrl, verifySigV4 } from "./aws-common.js";
import { findRole } from "./aws-iam.js";
import { propagating } from "./propagation.js";

const NS = "https://sts.amazonaws.com/doc/2011-06-15/";

const invalidToken = (message: string) => queryError(400, NS, "InvalidIdentityToken", message);
const accessDenied = () =>
  queryError(403, NS, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");

/** Issuers AWS hosts are verified through public CAs; the thumbprint only matters for the rest. */
function thumbprintIsUsed(issuer: string): boolean {
  const host = new URL(issuer).hostname;
  return (
    !/^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(host) && !/\.s3[.-]([a-z0-9-]+\.)?amazonaws\.com$/.test(host)
  );
}

function list(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

/** IAM's "*" and "?" wildcards, matched in linear time. */
export function like(pattern: string, value: string): boolean {
  return wildcardMatches(pattern, value, { question: true });
}

/** One condition block entry under IAM's rules for string operators. */
export function conditionHolds(op: string, expected: string[], actual: string[] | undefined): boolean {
  let name = op;
  let qualifier = "";
  const colon = name.indexOf(":");
  if (colon > 0) {
    qualifier = name.slice(0, colon);
    name = name.slice(colon + 1);
  }
  const ifExists = name.endsWith("IfExists");
  if (ifExists) name = name.slice(0, -8);
  if (name === "Null") return expected.includes("true") ? actual === undefined : actual !== undefined;
  const negate = /^String(Not)/.test(name);
  const cmp: Record<string, (e: string, a: string) => boolean> = {
    StringEquals: (e, a) => e === a,
    StringNotEquals: (e, a) => e === a,
    StringEqualsIgnoreCase: (e, a) => e.toLowerCase() === a.toLowerCase(),
    StringNotEqualsIgnoreCase: (e, a) => e.toLowerCase() === a.toLowerCase(),
    StringLike: like,
    StringNotLike: like,
  };
  const f = cmp[name];
  if (!f) return false;
  if (actual === undefined) {
    if (ifExists) return true;
    if (qualifier === "ForAllValues") return true;
    if (qualifier === "ForAnyValue") return false;
    return negate;
  }
  const hit = (a: string) => expected.some((e) => f(e, a));
  if (qualifier === "ForAllValues") return actual.every((a) => (negate ? !hit(a) : hit(a)));
  if (qualifier === "ForAnyValue") return actual.some((a) => (negate ? !hit(a) : hit(a)));
  return negate ? !actual.some(hit) : actual.some(hit);
}

function statementApplies(st: Record<string, unknown>, providerArn: string, ctx: Map<string, string[]>): boolean {
  const principal = st.Principal;
  let principalOk = principal === "*";
  if (!principalOk && principal && typeof principal === "object") {
    const fed = list((principal as Record<string, unknown>).Federated);
    principalOk = fed.includes(providerArn) || fed.includes("*");
  }
  if (!principalOk) return false;
  return actionAndConditionsHold(st, "sts:AssumeRoleWithWebIdentity", ctx);
}

/** A statement's Action/NotAction covers the action and every Condition holds on the request context. */
export function actionAndConditionsHold(st: Record<string, unknown>, action: string, ctx: Map<string, string[]>) {
  const a = action.toLowerCase();
  const actionOk =
    st.Action !== undefined
      ? list(st.Action).some((x) => like(x.toLowerCase(), a))
      : st.NotAction !== undefined && !list(st.NotAction).some((x) => like(x.toLowerCase(), a));
  if (!actionOk) return false;
  const cond = (st.Condition ?? {}) as Record<string, Record<string, unknown>>;
  for (const [op, block] of Object.entries(cond)) {
    for (const [key, value] of Object.entries(block ?? {})) {
      if (!conditionHolds(op, list(value), ctx.get(key.toLowerCase()))) return false;
    }
  }
  return true;
}

export function trustAllows(doc: unknown, providerArn: string, providerUrl: string, sub: string, aud: string): boolean {
  const ctx = new Map<string, string[]>([
    [`${providerUrl}:sub`.toLowerCase(), [sub]],
    [`${providerUrl}:aud`.toLowerCase(), [aud]],
  ]);
  const raw = (doc as { Statement?: unknown })?.Statement;
  const statements = (Array.isArray(raw) ? raw : raw ? [raw] : []) as Record<string, unknown>[];
  if (statements.some((st) => st.Effect === "Deny" && statementApplies(st, providerArn, ctx))) return false;
  return statements.some((st) => st.Effect === "Allow" && statementApplies(st, providerArn, ctx));
}

/**
 * STS's own validation of RoleSessionName: required, 2 to 64 characters, pattern [\w+=,.@-]*, every failed
 * constraint listed in one message as the AWS validation layer words it.
 */
export function roleSessionNameProblem(value: string | null): string | undefined {
  if (value === null) {
    return "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null";
  }
  const errors: string[] = [];
  const prefix = `Value '${value}' at 'roleSessionName' failed to satisfy constraint: Member must`;
  if (value.length < 2) errors.push(`${prefix} have length greater than or equal to 2`);
  if (value.length > 64) errors.push(`${prefix} have length less than or equal to 64`);
  if (!/^[\w+=,.@-]*$/.test(value)) errors.push(`${prefix} satisfy regular expression pattern: [\\w+=,.@-]*`);
  if (errors.length === 0) return undefined;
  const n = errors.length;
  return `${n} validation error${n > 1 ? "s" : ""} detected: ${errors.join("; ")}`;
}

async function assumeRoleWithWebIdentity(req: SimRequest, world: SimWorld): Promise<SimResponse> {
  const form = req.form();
  const roleArn = form.get("RoleArn") ?? "";
  const sessionName = form.get("RoleSessionName") ?? "";
  const token = form.get("WebIdentityToken") ?? "";
  const duration = Number(form.get("DurationSeconds") ?? "3600");
  const sessionProblem = roleSessionNameProblem(form.get("RoleSessionName"));
  if (sessionProblem) return queryError(400, NS, "ValidationError", sessionProblem);
  if (token.length < 4) {
    return queryError(
      400,
      NS,
      "ValidationError",
      "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4",
    );
  }
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(token);
  } catch {
    return invalidToken("The ID token provided could not be parsed as a JWT.");
  }
  const aws = world.scenario.aws;
  const iss = typeof claims.iss === "string" ? claims.iss : "";
  const provider = aws?.oidcProviders.find((p) => simProviderUrl(p.url) === iss.replace(/^https:\/\//, ""));
  if (!aws || !provider) return invalidToken(`No OpenIDConnect provider found in your account for ${iss}`);
  const audiences = list(claims.aud);
  const aud = audiences.find((a) => provider.clientIDList.includes(a));
  if (!aud) return invalidToken("Incorrect token audience");

  let jwks: JSONWebKeySet;
  try {
    const discovery = await world.fetchJson(`${iss.replace(/\/$/, "")}/.well-known/openid-configuration`);
    const jwksUri = (discovery.body as { jwks_uri?: unknown })?.jwks_uri;
    if (discovery.status !== 200 || typeof jwksUri !== "string") throw new Error("no discovery document");
    const keys = await world.fetchJson(jwksUri);
    if (keys.status !== 200 || !Array.isArray((keys.body as JSONWebKeySet)?.keys)) throw new Error("no JWKS");
    jwks = keys.body as JSONWebKeySet;
  } catch {
    return queryError(
      400,
      NS,
      "IDPCommunicationError",
      "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
    );
  }
  if (!provider.thumbprintMatches && thumbprintIsUsed(iss)) {
    return invalidToken("OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint");
  }
  try {
    await compactVerify(token, createLocalJWKSet(jwks), { algorithms: ["RS256", "ES256"] });
  } catch {
    return invalidToken(
      "The web identity token's signature could not be verified with any key from the provider's JWKS.",
    );
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp === "number" && claims.exp <= now) {
    return queryError(
      400,
      NS,
      "ExpiredTokenException",
      `Token expired: current date/time ${now} must be before the expiration date/time ${claims.exp}`,
    );
  }
  const m = /^arn:[a-z-]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  const role = m && m[1] === aws.accountId ? findRole(world, m[2]) : undefined;
  const providerArn = simProviderArn(world, provider.url);
  const sub = typeof claims.sub === "string" ? claims.sub : "";
  if (
    !role ||
    propagating(world, role.roleName) ||
    !trustAllows(role.assumeRolePolicyDocument, providerArn, simProviderUrl(provider.url), sub, aud)
  ) {
    return accessDenied();
  }
  if (duration > role.maxSessionDuration) {
    return queryError(
      400,
      NS,
      "ValidationError",
      "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
  }
  const expiration = new Date((now + duration) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const roleId = fakeId("AROA", `${aws.accountId}/${role.roleName}`);
  const partition = roleArn.split(":")[1];
  return querySuccess(
    "AssumeRoleWithWebIdentity",
    NS,
    el("SubjectFromWebIdentityToken", sub) +
      el("Audience", aud) +
      "<AssumedRoleUser>" +
      el("Arn", `arn:${partition}:sts::${aws.accountId}:assumed-role/${role.roleName}/${sessionName}`) +
      el("AssumedRoleId", `${roleId}:${sessionName}`) +
      "</AssumedRoleUser>" +
      "<Credentials>" +
      // Fake values in the real shapes: the simulated world hands out nothing usable.
      el("SessionToken", `SIMULATED${fakeId("", `${sessionName}/${now}`, 40)}`) +
      el("SecretAccessKey", fakeId("", `secret/${sessionName}/${now}`, 40)) +
      el("Expiration", expiration) +
      el("AccessKeyId", fakeId("ASIA", `${sessionName}/${now}`, 16)) +
      "</Credentials>" +
      el("Provider", iss) +
      el("PackedPolicySize", 0),
  );
}

function getCallerIdentity(req: SimRequest, world: SimWorld): SimResponse {
  const sig = verifySigV4(req);
  if (!sig.ok) return queryError(403, NS, sig.code, sig.message);
  const aws = world.scenario.aws;
  if (!aws)
    return queryError(403, NS, "InvalidClientTokenId", "The security token included in the request is invalid.");
  const partition = aws.region.startsWith("cn-") ? "aws-cn" : aws.region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
  return querySuccess(
    "GetCallerIdentity",
    NS,
    el("Arn", `arn:${partition}:iam::${aws.accountId}:user/wi-doctor-operator`) +
      el("UserId", fakeId("AIDA", `${aws.accountId}/operator`)) +
      el("Account", aws.accountId),
  );
}

export const stsService: SimService = {
  name: "sts",
  matches: (host) => /^sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$/.test(host),
  async handle(req, world) {
    // The query protocol comes as a form POST or as a GET with the parameters in the query string.
    if (req.method !== "POST" && req.method !== "GET")
      return queryError(400, NS, "InvalidAction", "STS accepts GET or POST requests with an Action parameter.");
    const action = req.form().get("Action");
    if (action === "AssumeRoleWithWebIdentity") return assumeRoleWithWebIdentity(req, world);
    if (action === "GetCallerIdentity") return getCallerIdentity(req, world);
    return queryError(400, NS, "InvalidAction", `Could not find operation ${action} for version 2011-06-15`);
  },
  notFound: () => queryError(404, NS, "NotFound", "Unknown STS route"),
};
