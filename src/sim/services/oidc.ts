// OIDC issuers: the discovery document and JWKS that Entra and STS fetch to verify a service-account token.
import type { SimService, SimWorld } from "../world.js";
import { bindingIssuers } from "./arm-identity-bindings.js";

/** Every issuer URL the scenario mentions (the cluster's, plus EKS clusters'). */
export function issuerUrls(world: SimWorld): string[] {
  const s = world.scenario;
  const urls = [s.kubernetes.issuer];
  for (const c of s.aws?.clusters ?? []) urls.push(c.oidcIssuer);
  // AKS identity bindings: the per-identity issuer whose tokens the binding proxy presents to Entra.
  urls.push(...bindingIssuers(world));
  return urls;
}

/** The JWKS path a platform publishes under its issuer: AKS and the API server use openid/v1/jwks, EKS uses keys. */
export function jwksUriFor(issuer: string): string {
  const base = issuer.endsWith("/") ? issuer : `${issuer}/`;
  return /\.eks\.[a-z0-9-]+\.amazonaws\.com/i.test(issuer) ? `${base}keys` : `${base}openid/v1/jwks`;
}

export function discoveryDocument(issuer: string) {
  return {
    issuer,
    jwks_uri: jwksUriFor(issuer),
    response_types_supported: ["id_token"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: ["RS256"],
  };
}

export function jwksDocument(world: SimWorld) {
  return { keys: world.issuerKeys.published.map((k) => k.publicJwk) };
}

export const oidcService: SimService = {
  name: "oidc",
  matches(host, world) {
    if (host === world.apiServerHost) return false;
    return issuerUrls(world).some((u) => {
      try {
        return new URL(u).hostname.toLowerCase() === host;
      } catch {
        return false;
      }
    });
  },
  handle(req, world) {
    const issuer = issuerUrls(world).find((u) => {
      const url = new URL(u);
      const prefix = url.pathname.replace(/\/$/, "");
      return url.hostname.toLowerCase() === req.host && (req.path === prefix || req.path.startsWith(`${prefix}/`));
    });
    if (!issuer) return undefined;
    if (!world.scenario.kubernetes.issuerReachable) {
      // An issuer whose documents are gone (deleted storage account, disabled issuer) answers 404.
      return { status: 404, headers: { "content-type": "text/plain" }, body: "The specified resource does not exist." };
    }
    const base = issuer.replace(/\/$/, "");
    if (req.path === `${base.replace(/^https:\/\/[^/]+/, "")}/.well-known/openid-configuration`) {
      return { status: 200, body: discoveryDocument(issuer) };
    }
    if (`https://${req.host}${req.path}` === jwksUriFor(issuer)) {
      return { status: 200, body: jwksDocument(world) };
    }
    return undefined;
  },
  notFound: () => ({
    status: 404,
    headers: { "content-type": "text/plain" },
    body: "The specified resource does not exist.",
  }),
};
