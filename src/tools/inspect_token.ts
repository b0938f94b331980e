import { z } from "zod";
import type { AksCheckId, EksCheckId } from "./step.js";
import type { TokenFacts } from "../diagnosis/aks/facts.js";
import { DEFAULT_AUDIENCE } from "../diagnosis/eks/names.js";
import { type Gathered, skipped, valueOf } from "../diagnosis/types.js";
import type { Environment } from "../providers/environment.js";
import {
  audienceOfAccount,
  eksGathererFor,
  issuerOf,
  partialEksFacts,
  platformField,
  platformOutput,
  runEksChecks,
} from "./step.js";
import {
  gathererFor,
  partialFacts,
  renderStep,
  runAksChecks,
  SectionSchema,
  sectionOf,
  serviceAccountOf,
  stepShape,
} from "./step.js";
import type { ToolContext } from "./define.js";
import { definePlatformTool } from "./platform.js";
import { k8sName, namespaceField } from "./schemas.js";

const CHECKS: readonly AksCheckId[] = ["sa.not-found", "issuer.unreachable", "issuer.signing-key-missing"];
const EKS_CHECKS: readonly EksCheckId[] = ["sa.not-found", "eks.oidc-provider-missing", "eks.oidc-audience-missing"];

export const TokenClaimsSchema = z.object({
  iss: z.string().nullable(),
  sub: z.string().nullable(),
  aud: z.array(z.string()),
  exp: z.number().nullable(),
  iat: z.number().nullable(),
  nbf: z.number().nullable(),
});

export function claimsOutput(t: Pick<TokenFacts, "claims">): z.infer<typeof TokenClaimsSchema> {
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

const inputSchema = z.object({
  namespace: namespaceField,
  serviceAccount: k8sName("service account"),
  audience: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe(
      `Token audience (default: AKS api://AzureADTokenExchange; EKS the annotated audience, else ${DEFAULT_AUDIENCE})`,
    ),
  expirationSeconds: z
    .number()
    .int()
    .min(600)
    .max(86400)
    .optional()
    .describe("Requested lifetime in seconds (600–86400, default 3600)"),
  platform: platformField,
});

const outputSchema = z.object({
  platform: platformOutput,
  namespace: z.string(),
  serviceAccount: z.string(),
  token: SectionSchema.extend({
    claims: TokenClaimsSchema.nullable(),
    kid: z.string().nullable(),
    audienceRequested: z.string(),
    audienceFrom: z
      .enum(["input", "service-account", "default"])
      .optional()
      .describe("EKS: where the audience came from"),
    expiresAt: z.string().nullable(),
    subjectExpected: z.string(),
  }),
  issuer: SectionSchema.extend({
    discoveryIssuer: z.string().nullable().describe("issuer in the discovery document Entra or STS fetches"),
    jwksUri: z.string().nullable(),
    jwksKids: z.array(z.string()),
    kidPublished: z.boolean().nullable(),
    signatureValid: z.boolean().nullable(),
    problem: z.string().nullable(),
  }),
  oidcProvider: SectionSchema.extend({
    arn: z.string().nullable().describe("The account's IAM OIDC provider for the cluster's issuer; null when none"),
    clientIdList: z.array(z.string()),
    tokenAudienceListed: z.boolean().nullable().describe("One of the token's audiences is in the ClientIDList"),
  })
    .optional()
    .describe("EKS: what STS will look the token up by"),
  ...stepShape,
});

type Output = z.infer<typeof outputSchema>;

export const inspectToken = definePlatformTool({
  name: "inspect_token",
  example: { namespace: "payments", serviceAccount: "payments-api" },
  toolsets: ["aks", "eks"],
  summary: "Mints a short-lived token and shows its claims (never the token); verifies it against the issuer's JWKS.",
  title: "Inspect a service-account token",
  description:
    "Use to see what Entra (AKS) or STS (EKS) will be shown. Mints a short-lived service account token and returns its claims (iss, sub, aud, exp) and key id, never the token; verifies it against the issuer's public discovery document and JWKS. Next: compare with list_federated_credentials (AKS) or inspect_iam_role (EKS).",
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  eks: eksToken,
  async aks(env, input, ctx) {
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
      platform: "aks" as const,
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
    const p = out.oidcProvider;
    if (p) {
      lines.push(
        p.status !== "ok"
          ? `IAM OIDC provider: ${p.reason}`
          : p.arn
            ? `IAM OIDC provider: ${p.arn}; token audience ${p.tokenAudienceListed ? "listed" : "NOT listed"} in [${p.clientIdList.join(", ")}]`
            : "IAM OIDC provider: none for this issuer in the account",
      );
    }
    return renderStep(`Token for ${out.namespace}/${out.serviceAccount} (claims only)`, lines, out);
  },
});

async function eksToken(env: Environment, input: z.infer<typeof inputSchema>, ctx: ToolContext): Promise<Output> {
  const g = eksGathererFor(env, ctx.signal);
  const { namespace, serviceAccount } = input;
  const clusterP = g.cluster();
  const apiP = g.apiServerIssuer();
  const arnsP = g.oidcProviderArns();
  const accountP = g.accountId();
  for (const p of [clusterP, apiP, arnsP, accountP]) p.catch(() => undefined);
  const sa = await g.serviceAccount(namespace, serviceAccount);
  const account = valueOf(sa);
  const audience = input.audience ?? audienceOfAccount(account);
  const audienceFrom = input.audience
    ? ("input" as const)
    : audience !== DEFAULT_AUDIENCE
      ? ("service-account" as const)
      : ("default" as const);
  // TokenRequest for a missing account fails anyway; say so plainly instead.
  const minted =
    sa.status === "ok" && !sa.value
      ? undefined
      : await g.mintToken(namespace, serviceAccount, audience, {
          expirationSeconds: input.expirationSeconds ?? 3600,
          verify: true,
        });
  const token = minted?.claims ?? skipped(`service account ${namespace}/${serviceAccount} does not exist`);
  const [cluster, apiIssuer, arns, accountId] = await Promise.all([clusterP, apiP, arnsP, accountP]);
  const issuer = issuerOf(cluster, apiIssuer);
  const provider = await g.oidcProvider(arns, issuer);

  const facts = partialEksFacts(
    { namespace, serviceAccount },
    {
      serviceAccount: sa,
      token,
      cluster,
      issuer,
      oidcProviderArns: arns,
      oidcProvider: provider,
      accountId,
      region: valueOf(cluster)?.region ?? g.region,
    },
  );
  const result = runEksChecks(facts, EKS_CHECKS);

  const raw = minted?.raw;
  const check = minted?.issuerCheck;
  const v = valueOf(check);
  const claims = valueOf(token);
  const p = valueOf(provider) ?? undefined;
  return {
    platform: "eks",
    namespace,
    serviceAccount,
    token: {
      ...sectionOf(token),
      claims: raw && claims ? claimsOutput({ claims: raw }) : null,
      kid: minted?.kid ?? null,
      audienceRequested: audience,
      audienceFrom,
      expiresAt: raw?.exp ? new Date(raw.exp * 1000).toISOString() : null,
      subjectExpected: `system:serviceaccount:${namespace}:${serviceAccount}`,
    },
    issuer: {
      ...(check ? sectionOf(check) : { status: "skipped" as const, reason: "no token was minted" }),
      discoveryIssuer: v?.discoveryIssuer ?? null,
      jwksUri: v?.jwksUri ?? null,
      jwksKids: v?.jwksKids ?? [],
      kidPublished: v && minted?.kid ? v.jwksKids.includes(minted.kid) : null,
      signatureValid: v ? v.signatureValid : null,
      problem: v?.problem ?? null,
    },
    oidcProvider: {
      ...sectionOf(provider),
      arn: p?.arn ?? null,
      clientIdList: p?.clientIds ?? [],
      tokenAudienceListed: p && claims ? claims.aud.some((a) => p.clientIds.includes(a)) : null,
    },
    ...result,
  };
}
