import { z } from "zod";
import type { IdentityFacts } from "../diagnosis/aks/facts.js";
import { WI_TENANT_ID } from "../diagnosis/aks/names.js";
import { GUID_RE } from "../diagnosis/compare.js";
import { findEntry } from "../diagnosis/errors/catalogue.js";
import { type Gathered, skipped, valueOf } from "../diagnosis/types.js";
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
} from "../gather/steps.js";
import { defineTool } from "./define.js";
import { k8sName, namespaceField } from "./schemas.js";

const CHECKS = ["sa.not-found", "exchange.failed"];

const Source = z.enum(["input", "annotation", "webhook-config", "identity"]);

export const testTokenExchange = defineTool({
  name: "test_token_exchange",
  title: "Test the token exchange at Entra",
  description:
    "Use to prove whether the service account can get an Entra token right now: mints a token for it (as the webhook would) and presents " +
    "it at the Entra token endpoint with the service account's client id and tenant (from its annotations, else the webhook's default tenant " +
    "or the identity's; clientId/tenantId override). Returns success with the token's lifetime only — never the access token — or Entra's " +
    "decoded error: AADSTS codes, the first line of the description, trace and correlation ids. Contacts Entra; refused when the server " +
    "runs with --no-exchange. Next: on failure, list_federated_credentials (700211/700212/700213/70021) or explain_error with the code.",
  inputSchema: z.object({
    namespace: namespaceField,
    serviceAccount: k8sName("service account"),
    clientId: guidField("Client id to exchange for (default: the service account's annotation)").optional(),
    tenantId: guidField("Tenant to exchange in (default: annotation, webhook config, then the identity's)").optional(),
  }),
  outputSchema: z.object({
    namespace: z.string(),
    serviceAccount: z.string(),
    clientId: z.object({ value: z.string().nullable(), from: Source.nullable() }),
    tenantId: z.object({ value: z.string().nullable(), from: Source.nullable() }),
    audience: z.string(),
    exchange: SectionSchema.extend({
      success: z.boolean().nullable().describe("null when the exchange could not be attempted"),
      expiresIn: z.number().nullable().describe("Lifetime of the access token Entra issued, in seconds"),
      error: z
        .object({
          httpStatus: z.number().int(),
          error: z.string(),
          codes: z.array(z.string()).describe("AADSTS codes"),
          meaning: z.string().nullable(),
          description: z.string().describe("First line of error_description"),
          traceId: z.string().nullable(),
          correlationId: z.string().nullable(),
        })
        .nullable(),
    }),
    token: SectionSchema.extend({
      iss: z.string().nullable(),
      sub: z.string().nullable(),
    }).describe("Claims of the presented token that Entra matches against federated credentials"),
    ...stepShape,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(input, ctx) {
    const env = await ctx.env();
    if (!env.allowExchange) {
      throw new Error(
        "the token exchange is disabled (the server runs with --no-exchange), so Entra was not contacted. " +
          "Compare the values offline instead: inspect_token for the token's claims, list_federated_credentials for the credentials.",
      );
    }
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
    const x = out.exchange;
    const lines = [
      `client id: ${out.clientId.value ?? "(none)"}${out.clientId.from ? ` (from ${out.clientId.from})` : ""}`,
      `tenant: ${out.tenantId.value ?? "(unknown)"}${out.tenantId.from ? ` (from ${out.tenantId.from})` : ""}`,
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
