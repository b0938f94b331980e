// Simulated EKS Auth (REST-JSON): AssumeRoleForPodIdentity, the call the EKS Pod Identity Agent makes with a pod's
// service-account token. It checks the token (signature, issuer, audience, expiry), finds the association for the
// token's service account, and assumes the association's role the way STS would for pods.eks.amazonaws.com (with
// or without session tags), then the target role when the association names one (role chaining, sts:ExternalId).
import { compactVerify, createLocalJWKSet, decodeJwt, type JSONWebKeySet } from "jose";
import type { SimRequest, SimResponse, SimService, SimWorld } from "../world.js";
import { fakeId, jsonError, partitionOf, verifySigV4 } from "./aws-common.js";
import { associationIdOf, externalIdOf } from "./aws-eks.js";
import { findRoleByArn } from "./aws-iam.js";
import { actionAndConditionsHold, like } from "./aws-sts.js";
import { propagating } from "./propagation.js";

export const POD_IDENTITY_AUDIENCE = "pods.eks.amazonaws.com";
const SERVICE = "pods.eks.amazonaws.com";

type Aws = NonNullable<SimWorld["scenario"]["aws"]>;
type Role = Aws["roles"][number];
type Association = Aws["podIdentityAssociations"][number];

function regionOf(host: string): string | undefined {
  return /^eks-auth\.([a-z0-9-]+)\.(api\.aws|api\.amazonwebservices\.com\.cn)$/.exec(host)?.[1];
}

function list(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

const denied = (message: string) => jsonError(400, "AccessDeniedException", message);
const invalidToken = (message: string) => jsonError(400, "InvalidTokenException", message);

interface Caller {
  type: "Service" | "AWS";
  /** The service name, or the calling role's ARN. */
  id: string;
  account?: string;
}

function principalMatches(principal: unknown, caller: Caller): boolean {
  if (principal === "*") return true;
  if (!principal || typeof principal !== "object") return false;
  const values = list((principal as Record<string, unknown>)[caller.type]);
  if (values.includes("*")) return true;
  if (caller.type === "Service") return values.includes(caller.id);
  // A role principal: its ARN, or its account (root ARN or the bare id) which then needs an identity policy too.
  return values.some((v) => v === caller.id || v === caller.account || v === `arn:aws:iam::${caller.account}:root`);
}

function statementApplies(st: Record<string, unknown>, caller: Caller, action: string, ctx: Map<string, string[]>) {
  return principalMatches(st.Principal, caller) && actionAndConditionsHold(st, action, ctx);
}

/** Every action allowed by some statement and denied by none: how STS authorises AssumeRole with tags. */
function policyAllows(doc: unknown, caller: Caller, actions: string[], ctx: Map<string, string[]>): boolean {
  const raw = (doc as { Statement?: unknown })?.Statement;
  const statements = (Array.isArray(raw) ? raw : raw ? [raw] : []) as Record<string, unknown>[];
  return actions.every(
    (action) =>
      !statements.some((st) => st.Effect === "Deny" && statementApplies(st, caller, action, ctx)) &&
      statements.some((st) => st.Effect === "Allow" && statementApplies(st, caller, action, ctx)),
  );
}

/** An identity (permissions) policy: Resource instead of Principal. */
function identityAllows(role: Role, action: string, resource: string): boolean {
  if (role.attachedPolicyArns.some((a) => /:policy\/AdministratorAccess$/.test(a))) return true;
  const statements = Object.values(role.inlinePolicies).flatMap((doc) => {
    const raw = (doc as { Statement?: unknown }).Statement;
    return (Array.isArray(raw) ? raw : raw ? [raw] : []) as Record<string, unknown>[];
  });
  const hits = (st: Record<string, unknown>) =>
    list(st.Action).some((x) => like(x.toLowerCase(), action.toLowerCase())) &&
    list(st.Resource).some((r) => like(r, resource));
  return (
    !statements.some((st) => st.Effect === "Deny" && hits(st)) &&
    statements.some((st) => st.Effect === "Allow" && hits(st))
  );
}

function context(entries: Record<string, string | string[] | undefined>): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) m.set(k.toLowerCase(), list(v));
  return m;
}

function sessionTags(clusterArn: string, cluster: string, a: Association): Record<string, string> {
  return {
    "eks-cluster-arn": clusterArn,
    "eks-cluster-name": cluster,
    "kubernetes-namespace": a.namespace,
    "kubernetes-service-account": a.serviceAccount,
    "kubernetes-pod-name": `${a.serviceAccount}-sim`,
    "kubernetes-pod-uid": fakeId("", `${a.namespace}/${a.serviceAccount}/uid`, 32).toLowerCase(),
  };
}

function tagContext(tags: Record<string, string> | undefined): Record<string, string | string[]> {
  if (!tags) return {};
  const out: Record<string, string | string[]> = { "aws:TagKeys": Object.keys(tags) };
  for (const [k, v] of Object.entries(tags)) out[`aws:RequestTag/${k}`] = v;
  return out;
}

/** The roles' decisions, hop by hop; a string is the refusal. */
function assume(world: SimWorld, aws: Aws, clusterArn: string, cluster: string, a: Association): string | Role {
  const tags = a.disableSessionTags ? undefined : sessionTags(clusterArn, cluster, a);
  const actions = tags ? ["sts:AssumeRole", "sts:TagSession"] : ["sts:AssumeRole"];
  const role = findRoleByArn(world, a.roleArn);
  if (!role || propagating(world, role.roleName))
    return `Unable to assume role ${a.roleArn}: the role cannot be assumed by ${SERVICE}`;
  const first = context({ "aws:SourceAccount": aws.accountId, "aws:SourceArn": clusterArn, ...tagContext(tags) });
  if (!policyAllows(role.assumeRolePolicyDocument, { type: "Service", id: SERVICE }, actions, first)) {
    return `Unable to assume role ${a.roleArn}: its trust policy does not allow ${SERVICE} to call ${actions.join(" and ")}`;
  }
  if (!a.targetRoleArn) return role;
  const target = findRoleByArn(world, a.targetRoleArn);
  const sourceAccount = role.accountId ?? aws.accountId;
  const targetAccount = /^arn:[a-z-]+:iam::(\d{12}):/.exec(a.targetRoleArn)?.[1];
  if (!target) return `Unable to assume target role ${a.targetRoleArn} from ${a.roleArn}`;
  const caller: Caller = { type: "AWS", id: a.roleArn, account: sourceAccount };
  const second = context({
    "sts:ExternalId": externalIdOf(a),
    "aws:PrincipalArn": a.roleArn,
    "aws:PrincipalAccount": sourceAccount,
    ...tagContext(tags),
  });
  if (!policyAllows(target.assumeRolePolicyDocument, caller, actions, second)) {
    return `Unable to assume target role ${a.targetRoleArn} from ${a.roleArn}: the target's trust policy does not allow it`;
  }
  // Across accounts (or when the trust names only the account), the source role's own policy must allow the call.
  const raw = (target.assumeRolePolicyDocument as { Statement?: unknown }).Statement;
  const trustNamesRoleArn = ((Array.isArray(raw) ? raw : [raw]) as Record<string, unknown>[]).some(
    (st) =>
      st?.Effect === "Allow" && list((st.Principal as Record<string, unknown> | undefined)?.AWS).includes(a.roleArn),
  );
  if (
    (targetAccount !== sourceAccount || !trustNamesRoleArn) &&
    !actions.every((x) => identityAllows(role, x, a.targetRoleArn!))
  ) {
    return `Unable to assume target role ${a.targetRoleArn}: ${a.roleArn} is not authorized to perform sts:AssumeRole on it`;
  }
  return target;
}

async function verifyToken(
  world: SimWorld,
  token: string,
  issuer: string,
): Promise<SimResponse | ReturnType<typeof decodeJwt>> {
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(token);
  } catch {
    return invalidToken("The token is not a valid JWT.");
  }
  if (claims.iss !== issuer) return invalidToken("The token was not issued by the cluster's service account issuer.");
  if (!list(claims.aud).includes(POD_IDENTITY_AUDIENCE))
    return invalidToken(`The token audience is not ${POD_IDENTITY_AUDIENCE}.`);
  try {
    const discovery = await world.fetchJson(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
    const jwksUri = (discovery.body as { jwks_uri?: unknown })?.jwks_uri;
    const keys = typeof jwksUri === "string" ? await world.fetchJson(jwksUri) : undefined;
    await compactVerify(token, createLocalJWKSet(keys?.body as JSONWebKeySet), { algorithms: ["RS256", "ES256"] });
  } catch {
    return invalidToken("The token's signature could not be verified.");
  }
  if (typeof claims.exp === "number" && claims.exp <= Math.floor(Date.now() / 1000)) {
    return jsonError(400, "ExpiredTokenException", "The token has expired.");
  }
  return claims;
}

async function handleEksAuth(req: SimRequest, world: SimWorld): Promise<SimResponse | undefined> {
  const parts = req.path.split("/").filter(Boolean).map(decodeURIComponent);
  if (
    req.method !== "POST" ||
    parts.length !== 3 ||
    parts[0] !== "clusters" ||
    parts[2] !== "assume-role-for-pod-identity"
  )
    return undefined;
  const sig = verifySigV4(req);
  if (!sig.ok) {
    const type = sig.code === "SignatureDoesNotMatch" ? "InvalidSignatureException" : "UnrecognizedClientException";
    return jsonError(403, type, sig.message);
  }
  const aws = world.scenario.aws;
  const region = regionOf(req.host) ?? sig.region;
  const cluster = region === aws?.region ? aws?.clusters.find((c) => c.name === parts[1]) : undefined;
  if (!aws || !cluster) return jsonError(404, "ResourceNotFoundException", `No cluster found for name: ${parts[1]}.`);
  let token: unknown;
  try {
    token = (req.json() as { token?: unknown })?.token;
  } catch {
    return jsonError(400, "InvalidParameterException", "The request body is not valid JSON.");
  }
  if (typeof token !== "string" || !/^[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+$/.test(token)) {
    return jsonError(400, "InvalidParameterException", "token: expected a Kubernetes service account token (a JWT).");
  }
  const claims = await verifyToken(world, token, cluster.oidcIssuer);
  if ("status" in claims) return claims as SimResponse;
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(String(claims.sub ?? ""));
  if (!m) return invalidToken("The token's subject is not a Kubernetes service account.");
  const a = aws.podIdentityAssociations.find(
    (x) => x.clusterName === cluster.name && x.namespace === m[1] && x.serviceAccount === m[2],
  );
  if (!a) {
    return jsonError(
      404,
      "ResourceNotFoundException",
      `No Pod Identity association found for service account ${m[1]}/${m[2]} in cluster ${cluster.name}.`,
    );
  }
  const partition = partitionOf(aws.region);
  const clusterArn = `arn:${partition}:eks:${aws.region}:${aws.accountId}:cluster/${cluster.name}`;
  const result = assume(world, aws, clusterArn, cluster.name, a);
  if (typeof result === "string") return denied(result);
  const id = associationIdOf(a);
  const account = result.accountId ?? aws.accountId;
  const now = Math.floor(Date.now() / 1000);
  const session = `eks-${cluster.name}-${a.serviceAccount}-${fakeId("", `${id}/${now}`, 8).toLowerCase()}`.slice(0, 64);
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body: {
      subject: { namespace: a.namespace, serviceAccount: a.serviceAccount },
      audience: POD_IDENTITY_AUDIENCE,
      podIdentityAssociation: {
        associationArn: `arn:${partition}:eks:${aws.region}:${aws.accountId}:podidentityassociation/${cluster.name}/${id}`,
        associationId: id,
      },
      assumedRoleUser: {
        arn: `arn:${partition}:sts::${account}:assumed-role/${result.roleName}/${session}`,
        assumeRoleId: `${fakeId("AROA", `${account}/${result.roleName}`)}:${session}`,
      },
      // Fake values in the real shapes: the simulated world hands out nothing usable.
      credentials: {
        sessionToken: `SIMULATED${fakeId("", `${session}/token`, 40)}`,
        secretAccessKey: fakeId("", `${session}/secret`, 40),
        accessKeyId: fakeId("ASIA", session, 16),
        expiration: now + 6 * 3600,
      },
    },
  };
}

export const eksAuthService: SimService = {
  name: "eks-auth",
  matches: (host) => regionOf(host) !== undefined,
  handle: handleEksAuth,
  notFound: (req) => jsonError(404, "NotFoundException", `No route for ${req.method} ${req.path}`),
};
