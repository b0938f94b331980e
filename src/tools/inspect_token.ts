import { z } from "zod";
import type { TokenFacts } from "../diagnosis/aks/facts.js";
import { type Gathered, skipped, valueOf } from "../diagnosis/types.js";
import {
  gathererFor,
  partialFacts,
  renderStep,
  runAksChecks,
  SectionSchema,
  sectionOf,
  serviceAccountOf,
  stepShape,
} from "../gather/steps.js";
import { defineTool } from "./define.js";
import { k8sName, namespaceField } from "./schemas.js";

const CHECKS = ["sa.not-found", "issuer.unreachable", "issuer.signing-key-missing"];

export const TokenClaimsSchema = z.object({
  iss: z.string().nullable(),
  sub: z.string().nullable(),
  aud: z.array(z.string()),
  exp: z.number().nullable(),
  iat: z.number().nullable(),
  nbf: z.number().nullable(),
});

export function claimsOutput(t: TokenFacts): z.infer<typeof TokenClaimsSchema> {
  const { iss, sub, aud, exp, iat, nbf } = t.claims;
  return {
    iss: iss ?? null,
    sub: sub ?? null,
    aud: aud === undefined ? [] : Array.isArray(aud) ? aud : [aud],
    exp: exp ?? null,
    iat: iat ?? null,
    nbf: nbf ?? null,
  };
}

export const inspectToken = defineTool({
  name: "inspect_token",
  title: "Inspect a service-account token",
  description:
    "Use to see exactly what Entra will be shown: mints a short-lived token for the service account by TokenRequest (audience " +
    "api://AzureADTokenExchange unless told otherwise), returns its claims (iss, sub, aud, exp, iat) and key id — never the token — " +
    "then fetches the issuer's discovery document and JWKS over public HTTPS as Entra does and verifies the signature. " +
    "An unreachable issuer predicts AADSTS90061; a key id missing from the JWKS predicts AADSTS7000272-style rejections. " +
    "Needs permission to create serviceaccounts/token; no Azure credential. " +
    "Next: list_federated_credentials with this namespace and service account to compare iss/sub/aud, or test_token_exchange.",
  inputSchema: z.object({
    namespace: namespaceField,
    serviceAccount: k8sName("service account"),
    audience: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe("Token audience (default: the cloud's api://AzureADTokenExchange)"),
    expirationSeconds: z
      .number()
      .int()
      .min(600)
      .max(86400)
      .optional()
      .describe("Requested lifetime in seconds (600–86400, default 3600)"),
  }),
  outputSchema: z.object({
    namespace: z.string(),
    serviceAccount: z.string(),
    token: SectionSchema.extend({
      claims: TokenClaimsSchema.nullable(),
      kid: z.string().nullable(),
      audienceRequested: z.string(),
      expiresAt: z.string().nullable(),
      subjectExpected: z.string(),
    }),
    issuer: SectionSchema.extend({
      discoveryIssuer: z.string().nullable().describe("issuer in the discovery document Entra fetches"),
      jwksUri: z.string().nullable(),
      jwksKids: z.array(z.string()),
      kidPublished: z.boolean().nullable(),
      signatureValid: z.boolean().nullable(),
      problem: z.string().nullable(),
    }),
    ...stepShape,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(input, ctx) {
    const env = await ctx.env();
    const g = gathererFor(env, ctx.signal);
    const { namespace, serviceAccount } = input;
    const audience = input.audience ?? env.azure.cloud.tokenExchangeAudience;
    // The cluster only names the resource group and cluster in the fix commands.
    const clusterP = g.cluster();
    const sa = await serviceAccountOf(g, namespace, serviceAccount);
    // TokenRequest for a missing account fails anyway; say so plainly instead.
    const token: Gathered<TokenFacts> =
      sa.status === "ok" && !sa.value
        ? skipped(`service account ${namespace}/${serviceAccount} does not exist`)
        : (await g.token(namespace, serviceAccount, audience, input.expirationSeconds ?? 3600)).facts;

    const facts = partialFacts(
      env,
      { namespace, serviceAccount },
      { serviceAccountName: serviceAccount, serviceAccount: sa, token, cluster: await clusterP },
    );
    const result = runAksChecks(facts, CHECKS);

    const t = valueOf(token);
    const check = t?.issuerCheck;
    const v = valueOf(check);
    return {
      namespace,
      serviceAccount,
      token: {
        ...sectionOf(token),
        claims: t ? claimsOutput(t) : null,
        kid: t?.kid ?? null,
        audienceRequested: audience,
        expiresAt: t?.claims.exp ? new Date(t.claims.exp * 1000).toISOString() : null,
        subjectExpected: `system:serviceaccount:${namespace}:${serviceAccount}`,
      },
      issuer: {
        ...(check ? sectionOf(check) : { status: "skipped" as const, reason: "no token was minted" }),
        discoveryIssuer: v?.discoveryIssuer ?? null,
        jwksUri: v?.jwksUri ?? null,
        jwksKids: v?.jwksKids ?? [],
        kidPublished: v && t?.kid ? v.jwksKids.includes(t.kid) : null,
        signatureValid: v ? v.signatureValid : null,
        problem: v?.problem ?? null,
      },
      ...result,
    };
  },
  render(out) {
    const c = out.token.claims;
    const lines = c
      ? [
          `iss: ${c.iss}`,
          `sub: ${c.sub}${c.sub !== out.token.subjectExpected ? ` (expected ${out.token.subjectExpected})` : ""}`,
          `aud: ${c.aud.join(", ")}`,
          `exp: ${out.token.expiresAt}  kid: ${out.token.kid ?? "(none)"}`,
          out.issuer.status === "ok"
            ? `issuer: discovery ok, JWKS kids [${out.issuer.jwksKids.join(", ")}], kid published=${out.issuer.kidPublished}, signature valid=${out.issuer.signatureValid}`
            : `issuer: ${out.issuer.reason}`,
        ]
      : [`no token: ${out.token.reason}`];
    return renderStep(`Token for ${out.namespace}/${out.serviceAccount} (claims only)`, lines, out);
  },
});
