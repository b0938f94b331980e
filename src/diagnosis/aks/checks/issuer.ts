import { valueOf } from "../../types.js";
import type { AksFacts } from "../facts.js";
import { names, sh } from "../names.js";
import { aksCheck } from "./define.js";

const needToken = (f: AksFacts) =>
  f.token.status === "ok" ? undefined : `no token could be minted: ${f.token.reason}`;

/** The HTTP status the issuer answered our fetch with, when it answered at all. */
function answeredStatus(reason: string): number | undefined {
  const m = /\bHTTP (\d{3})\b/.exec(reason);
  return m ? Number(m[1]) : undefined;
}

/** Entra's own answer about the issuer: AADSTS90061 means Entra could not fetch its documents. */
const entraCouldNotFetch = (f: AksFacts) => {
  const x = valueOf(f.exchange);
  return Boolean(x && !x.ok && x.errorCodes.includes(90061));
};
const exchangeSucceeded = (f: AksFacts) => valueOf(f.exchange)?.ok === true;

/**
 * Our fetch failed in a way that says nothing about Entra's view (5xx, timeout, reset, no route, a 401/403 from a
 * proxy): only Entra's own answer can settle it. A 404 is the issuer saying the document is not published.
 */
function unreachableFromHereOnly(f: AksFacts): string | undefined {
  const t = valueOf(f.token);
  if (!t || t.issuerCheck.status === "ok") return undefined;
  if (entraCouldNotFetch(f) || exchangeSucceeded(f)) return undefined;
  if (answeredStatus(t.issuerCheck.reason) === 404) return undefined;
  return `the issuer could not be fetched from here (${t.issuerCheck.reason}); whether Entra can fetch it is unknown: a token exchange (test_token_exchange, or diagnose without --no-exchange) or a fetch from a public network settles it`;
}

export const issuerUnreachable = aksCheck({
  id: "issuer.unreachable",
  doc: {
    severity: "error (info when only wi-doctor's own fetch failed and the exchange succeeded)",
    meaning:
      'The token\'s issuer does not serve `/.well-known/openid-configuration` or its JWKS over public HTTPS: Entra answered AADSTS90061, or the issuer answered 404. A fetch that failed only from here (5xx, timeout, reset) is not this finding: see "Verdict".',
    symptom: "AADSTS90061",
  },
  supersedes: ["exchange.failed"],
  severity: "error",
  confirms: ["issuer_unreachable"],
  essential: true,
  title: "The issuer's discovery document and JWKS are reachable",
  skippedBecause: (f) => needToken(f) ?? unreachableFromHereOnly(f),
  run(f) {
    const t = valueOf(f.token)!;
    if (t.issuerCheck.status === "ok") return [];
    const n = names(f);
    const iss = t.claims.iss ?? n.issuer;
    const commands = [
      `curl -sf ${sh(`${iss.replace(/\/?$/, "/")}.well-known/openid-configuration`)}`,
      `az aks show --resource-group ${sh(n.clusterResourceGroup)} --name ${sh(n.clusterName)} --query oidcIssuerProfile`,
    ];
    if (exchangeSucceeded(f)) {
      // Entra fetched the documents (the exchange succeeded): only this machine's network cannot.
      return [
        {
          id: this.id,
          severity: "info",
          title: "The issuer could not be fetched from here, but Entra fetched it: the token exchange succeeded",
          evidence: { issuer: iss, problem: t.issuerCheck.reason, exchange: "succeeded" },
          fix: {
            summary:
              "Nothing to fix for the workload. A proxy or firewall on this machine's network blocks the issuer.",
            commands: [],
          },
        },
      ];
    }
    // Entra said so (AADSTS90061), or the issuer itself answered 404: the documents are not published.
    return [
      {
        id: this.id,
        severity: "error",
        title: "Entra cannot fetch the issuer's discovery document or keys (AADSTS90061)",
        evidence: { issuer: iss, problem: t.issuerCheck.reason },
        fix: {
          summary:
            "The issuer URL in the tokens must serve /.well-known/openid-configuration and its JWKS publicly. On AKS, check the OIDC issuer is enabled and the URL is current; for a self-managed issuer, republish the documents.",
          commands,
        },
      },
    ];
  },
});

export const signingKeyMissing = aksCheck({
  id: "issuer.signing-key-missing",
  doc: {
    meaning:
      "The token's `kid` is not in the issuer's JWKS (key rotated without republishing), or the signature does not verify.",
    symptom: "AADSTS7000272, AADSTS700027",
  },
  supersedes: ["exchange.failed"],
  severity: "error",
  confirms: ["issuer_key_missing"],
  essential: true,
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
});

function restartHint(f: AksFacts): string {
  return `kubectl rollout restart deployment -n ${sh(f.target.namespace)}   # pods then receive tokens from the new key`;
}
