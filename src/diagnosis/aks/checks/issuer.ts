// Entra fetches the issuer's discovery document and JWKS to verify the token: both must be public and current.
import type { Check } from "../../types.js";
import { valueOf } from "../../types.js";
import type { AksFacts } from "../facts.js";
import { names, sh } from "../names.js";

const needToken = (f: AksFacts) =>
  f.token.status === "ok" ? undefined : `no token could be minted: ${f.token.reason}`;

export const issuerUnreachable: Check<AksFacts> = {
  id: "issuer.unreachable",
  title: "The issuer's discovery document and JWKS are reachable",
  skippedBecause: needToken,
  run(f) {
    const t = valueOf(f.token)!;
    if (t.issuerCheck.status === "ok") return [];
    const n = names(f);
    return [
      {
        id: this.id,
        severity: "error",
        title: "Entra cannot fetch the issuer's discovery document or keys (AADSTS90061)",
        evidence: { issuer: t.claims.iss, problem: t.issuerCheck.reason },
        fix: {
          summary:
            "The issuer URL in the tokens must serve /.well-known/openid-configuration and its JWKS publicly. On AKS, check the OIDC issuer is enabled and the URL is current; for a self-managed issuer, republish the documents.",
          commands: [
            `curl -sf ${sh(`${(t.claims.iss ?? n.issuer).replace(/\/?$/, "/")}.well-known/openid-configuration`)}`,
            `az aks show --resource-group ${sh(n.clusterResourceGroup)} --name ${sh(n.clusterName)} --query oidcIssuerProfile`,
          ],
        },
      },
    ];
  },
};

export const signingKeyMissing: Check<AksFacts> = {
  id: "issuer.signing-key-missing",
  title: "The issuer's JWKS lists the key that signs the tokens",
  skippedBecause: (f) =>
    needToken(f) ?? (valueOf(f.token)?.issuerCheck.status === "ok" ? undefined : "the issuer's JWKS could not be read"),
  run(f) {
    const t = valueOf(f.token)!;
    const check = valueOf(t.issuerCheck)!;
    if (t.kid && !check.jwksKids.includes(t.kid)) {
      const n = names(f);
      return [
        {
          id: this.id,
          severity: "error",
          title: "The token is signed by a key the issuer no longer publishes (AADSTS7000272-style rejection)",
          evidence: { tokenKid: t.kid, publishedKids: check.jwksKids, issuer: t.claims.iss },
          fix: {
            summary:
              "The service-account signing key was rotated but the JWKS was not updated (or the other way round). On AKS, rotate the keys through the API and wait for the JWKS to propagate; self-managed issuers must publish both keys during rotation.",
            commands: [
              `az aks oidc-issuer rotate-signing-keys --resource-group ${sh(n.clusterResourceGroup)} --name ${sh(n.clusterName)}`,
              restartHint(f),
            ],
          },
        },
      ];
    }
    if (!check.signatureValid) {
      return [
        {
          id: this.id,
          severity: "error",
          title: "The token's signature does not verify against the issuer's published keys",
          evidence: { tokenKid: t.kid ?? null, publishedKids: check.jwksKids, problem: check.problem ?? null },
          fix: {
            summary: "Republish the issuer's JWKS from the API server's current signing keys (/openid/v1/jwks).",
            commands: [],
          },
        },
      ];
    }
    return [];
  },
};

function restartHint(f: AksFacts): string {
  return `kubectl rollout restart deployment -n ${sh(f.target.namespace)}   # pods then receive tokens from the new key`;
}
