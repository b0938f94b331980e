// What the simulated Entra, ARM and Graph share: the directory (who exists in which tenant) and the
// access tokens the simulated Entra issued, so ARM and Graph accept exactly those and nothing else.
import { createHash, randomBytes } from "node:crypto";
import type { Scenario } from "../scenario.js";
import type { SimWorld } from "../world.js";
import { SIM_OPERATOR_CLIENT_ID } from "../constants.js";
import { signAccessToken } from "./entra-tokens.js";

/** Object id of the simulated operator's service principal (appears in ARM's AuthorizationFailed message). */
export const SIM_OPERATOR_OBJECT_ID = "5f0c8a1e-0000-4000-8000-0000000b1ec7";

export type ScenarioAzure = NonNullable<Scenario["azure"]>;
export type ScenarioIdentity = ScenarioAzure["userAssignedIdentities"][number];
export type ScenarioApplication = ScenarioAzure["applications"][number];

/** A principal that can sign in: the operator, a user-assigned identity, or an app registration. */
export interface DirectoryPrincipal {
  kind: "operator" | "managedIdentity" | "application";
  tenantId: string;
  /** appId of the app registration or the managed identity. */
  clientId: string;
  /** Object id of the service principal. */
  objectId: string;
  displayName: string;
  identity?: ScenarioIdentity;
  application?: ScenarioApplication;
}

export const ARM_HOSTS = ["management.azure.com", "management.usgovcloudapi.net", "management.chinacloudapi.cn"];
export const ENTRA_HOSTS = [
  "login.microsoftonline.com",
  "login.windows.net",
  "login.microsoftonline.us",
  "login.chinacloudapi.cn",
];
export const GRAPH_HOSTS = ["graph.microsoft.com", "graph.microsoft.us", "microsoftgraph.chinacloudapi.cn"];

const lower = (s: string) => s.toLowerCase();

export function azureOf(world: SimWorld): ScenarioAzure | undefined {
  return world.scenario.azure;
}

export function identityTenant(world: SimWorld, identity: ScenarioIdentity): string {
  return lower(identity.tenantId ?? world.scenario.azure?.tenantId ?? "");
}

export function identitySubscription(world: SimWorld, identity: ScenarioIdentity): string {
  return lower(identity.subscriptionId ?? world.scenario.azure?.subscriptionId ?? "");
}

export function applicationTenant(world: SimWorld, app: ScenarioApplication): string {
  return lower(app.tenantId ?? world.scenario.azure?.tenantId ?? "");
}

/** A service principal object id for an app registration that has none in the scenario (stable per app). */
export function applicationPrincipalId(app: ScenarioApplication): string {
  return app.servicePrincipalObjectId ?? stableGuid("sp", app.appId);
}

/** Every tenant that exists in the simulated world. */
export function knownTenants(world: SimWorld): Set<string> {
  const azure = world.scenario.azure;
  const tenants = new Set<string>();
  if (!azure) return tenants;
  tenants.add(lower(azure.tenantId));
  for (const t of azure.otherTenants) tenants.add(lower(t));
  for (const i of azure.userAssignedIdentities) tenants.add(identityTenant(world, i));
  for (const a of azure.applications) tenants.add(applicationTenant(world, a));
  return tenants;
}

/** Every subscription that exists: the scenario's, plus those identities live in. */
export function knownSubscriptions(world: SimWorld): string[] {
  const azure = world.scenario.azure;
  if (!azure) return [];
  const subs = new Set<string>([lower(azure.subscriptionId)]);
  for (const i of azure.userAssignedIdentities) subs.add(identitySubscription(world, i));
  return [...subs];
}

/** Find who signs in with `clientId` in `tenantId` (the operator exists in every tenant it is used with). */
export function findClient(world: SimWorld, tenantId: string, clientId: string): DirectoryPrincipal | undefined {
  const azure = world.scenario.azure;
  if (!azure) return undefined;
  const t = lower(tenantId);
  const c = lower(clientId);
  if (c === lower(SIM_OPERATOR_CLIENT_ID)) {
    return {
      kind: "operator",
      tenantId: t,
      clientId: SIM_OPERATOR_CLIENT_ID,
      objectId: SIM_OPERATOR_OBJECT_ID,
      displayName: "wi-doctor operator",
    };
  }
  const identity = azure.userAssignedIdentities.find((i) => lower(i.clientId) === c && identityTenant(world, i) === t);
  if (identity) {
    return {
      kind: "managedIdentity",
      tenantId: t,
      clientId: identity.clientId,
      objectId: identity.principalId,
      displayName: identity.name,
      identity,
    };
  }
  const application = azure.applications.find((a) => lower(a.appId) === c && applicationTenant(world, a) === t);
  if (application) {
    return {
      kind: "application",
      tenantId: t,
      clientId: application.appId,
      objectId: applicationPrincipalId(application),
      displayName: application.displayName,
      application,
    };
  }
  return undefined;
}

/** A GUID derived from its inputs, so generated ids stay the same from run to run. */
export function stableGuid(...parts: string[]): string {
  const h = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  const variant = ((Number.parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** "https://management.azure.com/.default" → "https://management.azure.com". */
export function resourceOfScope(scope: string): string | undefined {
  const first = scope.split(/\s+/).find((s) => s.endsWith("/.default"));
  return first ? first.slice(0, -"/.default".length) : undefined;
}

const normalizeAudience = (aud: string) => aud.replace(/\/+$/, "").toLowerCase();

export interface AccessGrant {
  tenantId: string;
  /** The resource the token is for, e.g. https://management.azure.com. */
  audience: string;
  principal: DirectoryPrincipal;
  expiresAt: number;
}

const grantsByWorld = new WeakMap<SimWorld, Map<string, AccessGrant>>();

/** Issue an access token (a signed JWT, as Entra's) and remember what it grants. */
export function issueAccessToken(world: SimWorld, grant: AccessGrant): string {
  let grants = grantsByWorld.get(world);
  if (!grants) {
    grants = new Map();
    grantsByWorld.set(world, grants);
  }
  const token = signAccessToken(world, grant);
  grants.set(token, grant);
  return token;
}

export type BearerCheck =
  | { status: "missing" }
  | { status: "invalid" }
  | { status: "expired"; grant: AccessGrant }
  | { status: "wrong-audience"; grant: AccessGrant }
  | { status: "ok"; grant: AccessGrant };

/** Check an Authorization header against the tokens this world issued and the audiences a service accepts. */
export function checkBearer(
  world: SimWorld,
  authorization: string | undefined,
  audiences: string[],
  now = Date.now(),
): BearerCheck {
  if (!authorization) return { status: "missing" };
  const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!m) return { status: "invalid" };
  const grant = grantsByWorld.get(world)?.get(m[1]);
  if (!grant) return { status: "invalid" };
  if (grant.expiresAt <= now) return { status: "expired", grant };
  const accepted = new Set(audiences.map(normalizeAudience));
  if (!accepted.has(normalizeAudience(grant.audience))) return { status: "wrong-audience", grant };
  return { status: "ok", grant };
}

/** Does `scope` lie at or under `parent` (ARM ids compare case-insensitively, segment by segment)? */
export function isAtOrUnder(scope: string, parent: string): boolean {
  const s = trimScope(scope);
  const p = trimScope(parent);
  if (p === "") return true;
  return s === p || s.startsWith(`${p}/`);
}

/** "/Subscriptions/X/" → "/subscriptions/x"; the root scope "/" → "". */
export function trimScope(scope: string): string {
  const t = scope
    .trim()
    .replace(/\/{2,}/g, "/")
    .replace(/\/+$/, "")
    .toLowerCase();
  return t === "" ? "" : t.startsWith("/") ? t : `/${t}`;
}

export function newTraceId(): string {
  return stableGuid("trace", randomBytes(16).toString("hex"));
}
