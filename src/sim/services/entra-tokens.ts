// Access tokens as Entra issues them for the client-credentials grant: RS256 JWTs with the v1.0 claims ARM and
// Graph tokens carry (aud, iss, appid, appidacr, idp, idtyp, oid, sub, tid, uti, ver…), signed by a key made
// once per process and published at the tenant's discovery/v2.0/keys.
import { createHash, createSign, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import type { SimWorld } from "../world.js";
import type { DirectoryPrincipal } from "./azure-state.js";

interface EntraKey {
  kid: string;
  privateKey: KeyObject;
  jwk: Record<string, string>;
}

const keys = new WeakMap<SimWorld, EntraKey>();

/** Made once per process and shared by its worlds, like the issuer's keys (src/sim/world.ts): RSA keys are slow to make. */
let entraPair: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
function entraKeyPair() {
  entraPair ??= generateKeyPairSync("rsa", { modulusLength: 2048 });
  return entraPair;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/** The world's Entra signing key, made on first use (key ids are RFC 7638 thumbprints, as for the issuer). */
export function entraSigningKey(world: SimWorld): EntraKey {
  let key = keys.get(world);
  if (!key) {
    const { privateKey, publicKey } = entraKeyPair();
    const { n, e } = publicKey.export({ format: "jwk" }) as { n: string; e: string };
    const kid = b64url(
      createHash("sha256")
        .update(JSON.stringify({ e, kty: "RSA", n }))
        .digest(),
    );
    key = { kid, privateKey, jwk: { kty: "RSA", use: "sig", kid, x5t: kid, n, e } };
    keys.set(world, key);
  }
  return key;
}

export interface AccessTokenClaims {
  tenantId: string;
  audience: string;
  principal: DirectoryPrincipal;
  expiresAt: number;
  /** How the client proved itself: "1" a secret, "2" a certificate or federated assertion. */
  appidacr?: "1" | "2";
}

export function signAccessToken(world: SimWorld, c: AccessTokenClaims): string {
  const key = entraSigningKey(world);
  const now = Math.floor(Date.now() / 1000);
  const sts = `https://sts.windows.net/${c.tenantId}/`;
  const payload: Record<string, unknown> = {
    aud: c.audience,
    iss: sts,
    iat: now,
    nbf: now,
    exp: Math.floor(c.expiresAt / 1000),
    aio: b64url(randomBytes(32)),
    appid: c.principal.clientId,
    appidacr: c.appidacr ?? (c.principal.kind === "managedIdentity" ? "2" : "1"),
    idp: sts,
    idtyp: "app",
    oid: c.principal.objectId,
    rh: `0.${b64url(randomBytes(24))}.`,
    sub: c.principal.objectId,
    tid: c.tenantId,
    uti: b64url(randomBytes(16)),
    ver: "1.0",
    xms_tcdt: 1700000000,
  };
  if (c.principal.kind === "managedIdentity" && c.principal.identity) {
    payload.xms_mirid = `/subscriptions/${c.principal.identity.subscriptionId ?? world.scenario.azure?.subscriptionId}/resourcegroups/${c.principal.identity.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${c.principal.identity.name}`;
  }
  const header = { typ: "JWT", alg: "RS256", x5t: key.kid, kid: key.kid };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = createSign("RSA-SHA256").update(input).sign(key.privateKey);
  return `${input}.${b64url(signature)}`;
}
