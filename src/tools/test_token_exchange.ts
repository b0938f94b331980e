import { z } from "zod";
import type { AksCheckId, EksCheckId } from "./step.js";
import type { IdentityFacts } from "../diagnosis/aks/facts.js";
import { WI_TENANT_ID } from "../diagnosis/aks/names.js";
import { GUID_RE } from "../diagnosis/compare.js";
import { parseRoleArn } from "../diagnosis/eks/arn.js";
import type { ExchangeFact, PodIdentityExchangeFact, RoleFact, ServiceAccountFact } from "../diagnosis/eks/facts.js";
import { POD_IDENTITY_AUDIENCE, ROLE_ARN_KEY, serviceAccountAssociations } from "../diagnosis/eks/names.js";
import { findEntry } from "../diagnosis/errors/catalogue.js";
import { explainError } from "../diagnosis/errors/explain.js";
import { type Gathered, skipped, valueOf } from "../diagnosis/types.js";
import type { Platform } from "../diagnosis/types.js";
import type { Environment } from "../providers/environment.js";
import {
  audienceOfAccount,
  eksGathererFor,
  issuerOf,
  type MintedEksToken,
  partialEksFacts,
  platformField,
  podIdentityExchangeFacts,
  platformOutput,
  runEksChecks,
} from "./step.js";
import {
  clientIdOf,
  gathererFor,
  guidField,
  identityOf,
  partialFacts,
  renderStep,
  runAksChecks,
  SectionSchema,
  sectionOf,
  serviceAccountOf,
  stepShape,
} from "./step.js";
import { type ToolContext, ToolInputError } from "./define.js";
import { definePlatformTool } from "./platform.js";
import { k8sName, namespaceField } from "./schemas.js";

const CHECKS: readonly AksCheckId[] = ["sa.not-found", "exchange.failed"];
const EKS_CHECKS: readonly EksCheckId[] = ["sa.not-found", "exchange.failed"];
/** The diagnosis's checks of the Pod Identity exchange: the role's trust, the chain, and EKS Auth's answer. */
const POD_IDENTITY_CHECKS: readonly EksCheckId[] = [
  "sa.not-found",
  "eks.pod-identity-trust-invalid",
  "eks.pod-identity-session-tags",
  "eks.pod-identity-source-permission",
  "eks.pod-identity-target-trust",
  "eks.pod-identity-exchange",
];

const Source = z.enum(["input", "annotation", "webhook-config", "identity"]);

const inputSchema = z.object({
  namespace: namespaceField,
  serviceAccount: k8sName("service account"),
  clientId: guidField("AKS: client id (default: the service account's annotation)").optional(),
  tenantId: guidField("AKS: tenant (default: annotation, webhook config, then the identity's)").optional(),
  roleArn: z
    .string()
    .min(20)
    .max(2048)
    .optional()
    .describe(`EKS: role ARN to assume (default: the service account's ${ROLE_ARN_KEY})`),
  mechanism: z.enum(["irsa", "pod-identity"]).optional().describe("EKS (default: irsa with roleArn, else as injected)"),
  platform: platformField,
});

const outputSchema = z.object({
  platform: platformOutput,
  namespace: z.string(),
  serviceAccount: z.string(),
  clientId: z.object({ value: z.string().nullable(), from: Source.nullable() }).optional().describe("AKS"),
  tenantId: z.object({ value: z.string().nullable(), from: Source.nullable() }).optional().describe("AKS"),
  mechanism: z.enum(["irsa", "pod-identity"]).optional(),
  roleArn: z
    .object({ value: z.string().nullable(), from: z.enum(["input", "annotation", "association"]).nullable() })
    .optional()
    .describe("EKS: the role asked for"),
  audience: z.string(),
  exchange: SectionSchema.extend({
    success: z.boolean().nullable().describe("null when the exchange could not be attempted"),
    expiresIn: z.number().nullable().optional().describe("AKS: lifetime of the access token Entra issued, in seconds"),
    assumedRoleArn: z.string().nullable().optional().describe("EKS: the assumed-role session STS returned"),
    expiration: z.string().nullable().optional().describe("EKS: when the temporary credentials expire (not shown)"),
    error: z
      .object({
        httpStatus: z.number().int().nullable(),
        error: z.string().describe("Entra's error, or STS's error code"),
        codes: z.array(z.string()).describe("AADSTS codes, or the STS error code"),
        meaning: z.string().nullable(),
        description: z.string().describe("First line of error_description, or STS's message"),
        traceId: z.string().nullable(),
        correlationId: z.string().nullable(),
      })
      .nullable(),
  }),
  token: SectionSchema.extend({
    iss: z.string().nullable(),
    sub: z.string().nullable(),
  }).describe(
    "Claims of the presented token that Entra matches against federated credentials, or STS against the trust policy",
  ),
  ...stepShape,
});

type Output = z.infer<typeof outputSchema>;

export const testTokenExchange = definePlatformTool({
  name: "test_token_exchange",
  example: { namespace: "payments", serviceAccount: "payments-api" },
  toolsets: ["aks", "eks"],
  summary: "Exchanges that token at Entra ID (or STS) and returns success or the decoded error.",
  title: "Test the token exchange at Entra or STS",
  description:
    "Use to prove whether the service account can get cloud credentials now (AKS and EKS). Mints a token as the webhook would and presents it to Entra (annotated client id and tenant), STS (annotated role) or EKS Auth (Pod Identity association). Returns success with the lifetime only, never a credential, or the decoded error (AADSTS or STS code). Refused with --no-exchange. Next on failure: explain_error with the code.",
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async eks(env, input, ctx) {
    refuseWithoutExchange(env, "eks");
    if (input.mechanism === "pod-identity" && input.roleArn !== undefined) {
      throw new ToolInputError("roleArn", "no roleArn with mechanism pod-identity (the association names the role)");
    }
    if (input.mechanism === "irsa" || input.roleArn !== undefined) return eksExchange(env, input, ctx);
    return podIdentityOrIrsa(env, input, ctx);
  },
  async aks(env, input, ctx) {
    refuseWithoutExchange(env, "aks");
    const g = gathererFor(env, ctx.signal);
    const { namespace, serviceAccount } = input;
    const audience = env.azure.cloud.tokenExchangeAudience;
    const sa = await serviceAccountOf(g, namespace, serviceAccount);
    const account = valueOf(sa);
    const annotatedTenant = account?.metadata?.annotations?.[WI_TENANT_ID]?.trim();
    const clientId = input.clientId ?? clientIdOf(account);
    const clientFrom: z.infer<typeof Source> | null = input.clientId ? "input" : clientId ? "annotation" : null;

    const tokenP = account ? g.token(namespace, serviceAccount, audience) : undefined;
    let tenant: { value: string; from: z.infer<typeof Source> } | undefined;
    let identity: Gathered<IdentityFacts | null> | undefined;
    if (input.tenantId) tenant = { value: input.tenantId, from: "input" };
    else if (annotatedTenant && GUID_RE.test(annotatedTenant)) tenant = { value: annotatedTenant, from: "annotation" };
    else {
      const def = await g.defaultTenant();
      if (def) tenant = { value: def, from: "webhook-config" };
      else if (clientId) {
        identity = await identityOf(g, { clientId });
        const t = valueOf(identity)?.tenantId;
        if (t) tenant = { value: t, from: "identity" };
      }
    }

    const minted = tokenP ? await tokenP : undefined;
    const exchange = minted
      ? await g.exchange(minted.raw, clientId, tenant?.value)
      : skipped<never>(
          sa.status === "ok" ? `service account ${namespace}/${serviceAccount} does not exist` : sa.reason,
        );

    const facts = partialFacts(
      env,
      { namespace, serviceAccount },
      {
        serviceAccountName: serviceAccount,
        serviceAccount: sa,
        exchange,
        ...(minted ? { token: minted.facts } : {}),
        ...(identity ? { identity } : {}),
      },
    );
    const result = runAksChecks(facts, CHECKS);

    const x = valueOf(exchange);
    const claims = minted ? valueOf(minted.facts)?.claims : undefined;
    return {
      platform: "aks" as const,
      namespace,
      serviceAccount,
      clientId: { value: clientId ?? null, from: clientFrom },
      tenantId: { value: tenant?.value ?? null, from: tenant?.from ?? null },
      audience,
      exchange: {
        ...sectionOf(exchange),
        success: x ? x.ok : null,
        expiresIn: x?.ok ? (x.expiresIn ?? null) : null,
        error:
          x && !x.ok
            ? {
                httpStatus: x.httpStatus,
                error: x.error,
                codes: x.errorCodes.map((c) => `AADSTS${c}`),
                meaning: x.errorCodes.map((c) => findEntry(`AADSTS${c}`)?.title).find(Boolean) ?? null,
                description: x.description.split(/\r?\n/)[0],
                traceId: x.traceId ?? null,
                correlationId: x.correlationId ?? null,
              }
            : null,
      },
      token: {
        ...(minted ? sectionOf(minted.facts) : { status: "skipped" as const, reason: "no token was minted" }),
        iss: claims?.iss ?? null,
        sub: claims?.sub ?? null,
      },
      ...result,
    };
  },
  render(out) {
    if (out.platform === "eks") return renderEks(out);
    const x = out.exchange;
    const lines = [
      `client id: ${out.clientId?.value ?? "(none)"}${out.clientId?.from ? ` (from ${out.clientId.from})` : ""}`,
      `tenant: ${out.tenantId?.value ?? "(unknown)"}${out.tenantId?.from ? ` (from ${out.tenantId.from})` : ""}`,
      x.success === true
        ? `exchange: succeeded; the access token lives ${x.expiresIn ?? "?"} s (not shown)`
        : x.error
          ? `exchange: failed ${x.error.codes.join(", ")} (HTTP ${x.error.httpStatus}): ${x.error.description}`
          : `exchange: not attempted (${x.reason})`,
    ];
    if (x.error?.traceId) lines.push(`trace id: ${x.error.traceId}  correlation id: ${x.error.correlationId ?? "-"}`);
    return renderStep(`Token exchange for ${out.namespace}/${out.serviceAccount}`, lines, out);
  },
});

/** The first sentence of what the error catalogue says the STS error means. */
function stsMeaning(code: string, message: string): string | null {
  const cause = explainError(`${code}: ${message}`).causes[0];
  const first = cause?.explanation.split(/(?<=\.)\s/)[0];
  return first ?? findEntry(code)?.title ?? null;
}

type Input = z.infer<typeof inputSchema>;

async function eksExchange(
  env: Environment,
  input: Input,
  ctx: ToolContext,
  known?: { g: ReturnType<typeof eksGathererFor>; sa: Gathered<ServiceAccountFact | null> },
): Promise<Output> {
  const explicit = input.roleArn?.trim();
  if (explicit && !parseRoleArn(explicit)) {
    throw new ToolInputError("roleArn", "arn:aws:iam::<12-digit-account>:role/<name>", input.roleArn);
  }
  const g = known?.g ?? eksGathererFor(env, ctx.signal);
  const { namespace, serviceAccount } = input;
  const clusterP = g.cluster();
  const apiP = g.apiServerIssuer();
  const arnsP = g.oidcProviderArns();
  const accountP = g.accountId();
  for (const p of [clusterP, apiP, arnsP, accountP]) p.catch(() => undefined);
  const sa = known?.sa ?? (await g.serviceAccount(namespace, serviceAccount));
  const account = valueOf(sa);
  const annotated = account?.annotations[ROLE_ARN_KEY];
  const roleArn = explicit ?? annotated?.trim();
  const roleFrom = explicit ? ("input" as const) : annotated !== undefined ? ("annotation" as const) : null;
  const audience = audienceOfAccount(account);

  const minted: MintedEksToken | undefined = account
    ? await g.mintToken(namespace, serviceAccount, audience)
    : undefined;
  const roleP: Promise<Gathered<RoleFact | null>> =
    roleArn && parseRoleArn(roleArn)
      ? accountP.then((acct) => g.role(roleArn, valueOf(acct)))
      : Promise.resolve(skipped("no usable role ARN"));
  let exchange: Gathered<ExchangeFact>;
  if (!account) {
    exchange = skipped(
      sa.status === "ok" ? `service account ${namespace}/${serviceAccount} does not exist` : sa.reason,
    );
  } else if (roleArn === undefined) {
    exchange = skipped(`the service account has no ${ROLE_ARN_KEY} annotation and no roleArn was given`);
  } else if (!parseRoleArn(roleArn)) {
    exchange = skipped("the role ARN annotation is malformed");
  } else if (!minted?.token) {
    exchange = skipped(minted?.claims.status === "ok" ? "no token" : (minted?.claims.reason ?? "no token"));
  } else {
    exchange = await g.exchange(roleArn, minted.token);
  }
  const [cluster, apiIssuer, arns, accountId, role] = await Promise.all([clusterP, apiP, arnsP, accountP, roleP]);
  const issuer = issuerOf(cluster, apiIssuer);
  const provider = await g.oidcProvider(arns, issuer);

  // The role, provider and issuer let exchange.failed say what the configuration predicted, as the diagnosis does.
  const facts = partialEksFacts(
    { namespace, serviceAccount },
    {
      serviceAccount: sa,
      token: minted?.claims ?? skipped("no token was minted"),
      exchange,
      irsaRole: role,
      cluster,
      issuer,
      oidcProviderArns: arns,
      oidcProvider: provider,
      accountId,
      region: valueOf(cluster)?.region ?? g.region,
    },
  );
  const result = runEksChecks(facts, EKS_CHECKS);

  const claims = minted ? valueOf(minted.claims) : undefined;
  return {
    platform: "eks",
    namespace,
    serviceAccount,
    mechanism: "irsa",
    roleArn: { value: roleArn ?? null, from: roleFrom },
    audience,
    exchange: awsExchangeSection(exchange, (x) => stsMeaning(x.code, x.message)),
    token: {
      ...(minted ? sectionOf(minted.claims) : { status: "skipped" as const, reason: "no token was minted" }),
      iss: claims?.iss ?? null,
      sub: claims?.sub ?? null,
    },
    ...result,
  };
}

/** STS's or EKS Auth's answer as the output carries it: the assumed role and expiry, or the refusal; never credentials. */
function awsExchangeSection(
  exchange: Gathered<ExchangeFact | PodIdentityExchangeFact>,
  meaning: (refusal: { code: string; message: string }) => string | null,
): Output["exchange"] {
  const x = valueOf(exchange);
  return {
    ...sectionOf(exchange),
    success: x ? x.ok : null,
    assumedRoleArn: x?.ok ? x.assumedRoleArn : null,
    expiration: x?.ok ? (x.expiration ?? null) : null,
    error:
      x && !x.ok
        ? {
            httpStatus: x.httpStatus ?? null,
            error: x.code,
            codes: [x.code],
            meaning: meaning(x),
            description: x.message.split(/\r?\n/)[0],
            traceId: null,
            correlationId: null,
          }
        : null,
  };
}

function renderEks(out: Output): string {
  const x = out.exchange;
  const podId = out.mechanism === "pod-identity";
  const lines = [
    `role: ${out.roleArn?.value ?? "(none)"}${out.roleArn?.from ? ` (from ${out.roleArn.from})` : ""}`,
    `audience: ${out.audience}`,
    x.success === true
      ? `exchange: succeeded as ${x.assumedRoleArn}; credentials expire ${x.expiration ?? "?"} (not shown)`
      : x.error
        ? `exchange: ${podId ? "EKS Auth" : "STS"} refused: ${x.error.error}: ${x.error.description}${x.error.meaning ? ` (${x.error.meaning})` : ""}`
        : `exchange: not attempted (${x.reason})`,
  ];
  const call = podId ? "EKS Auth AssumeRoleForPodIdentity" : "STS AssumeRoleWithWebIdentity";
  return renderStep(`${call} for ${out.namespace}/${out.serviceAccount}`, lines, out);
}

/**
 * Without a roleArn or a chosen mechanism: what the webhook would inject. A service account with a Pod Identity
 * association gets the agent's credentials (even when also annotated for IRSA), so EKS Auth is asked; else STS.
 */
async function podIdentityOrIrsa(env: Environment, input: Input, ctx: ToolContext): Promise<Output> {
  const g = eksGathererFor(env, ctx.signal);
  const { namespace, serviceAccount } = input;
  const sa = await g.serviceAccount(namespace, serviceAccount);
  const gathered = await podIdentityExchangeFacts(g, namespace, serviceAccount, sa);
  const facts = partialEksFacts({ namespace, serviceAccount }, gathered.facts);
  const associations = serviceAccountAssociations(facts);
  if (input.mechanism !== "pod-identity" && !associations.length) return eksExchange(env, input, ctx, { g, sa });
  const result = runEksChecks(facts, POD_IDENTITY_CHECKS);
  const cluster = valueOf(facts.cluster);
  const exchange: Gathered<PodIdentityExchangeFact> =
    facts.podIdentityExchange ??
    skipped(
      !valueOf(sa)
        ? sa.status === "ok"
          ? `service account ${namespace}/${serviceAccount} does not exist`
          : sa.reason
        : facts.associations.status !== "ok"
          ? facts.associations.reason
          : `no Pod Identity association for ${namespace}/${serviceAccount} in cluster ${cluster?.name ?? "(unknown)"}`,
    );
  const role = associations[0];
  const claims = valueOf(gathered.token);
  return {
    platform: "eks",
    namespace,
    serviceAccount,
    mechanism: "pod-identity",
    roleArn: { value: role?.targetRoleArn ?? role?.roleArn ?? null, from: role ? "association" : null },
    audience: POD_IDENTITY_AUDIENCE,
    exchange: awsExchangeSection(exchange, (x) => findEntry(x.code)?.title ?? null),
    token: { ...sectionOf(gathered.token), iss: claims?.iss ?? null, sub: claims?.sub ?? null },
    ...result,
  };
}

/** The exchange contacts the cloud: refused, naming the offline tools, when the server runs with --no-exchange. */
function refuseWithoutExchange(env: Environment, platform: Platform): void {
  if (env.allowExchange) return;
  throw new Error(
    platform === "eks"
      ? "the token exchange is disabled (the server runs with --no-exchange), so STS was not contacted. " +
          "Compare the values offline instead: inspect_token for the token's claims, inspect_iam_role for the trust policy."
      : "the token exchange is disabled (the server runs with --no-exchange), so Entra was not contacted. " +
          "Compare the values offline instead: inspect_token for the token's claims, list_federated_credentials for the credentials.",
  );
}
