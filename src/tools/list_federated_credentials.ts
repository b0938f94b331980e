import { z } from "zod";
import type { AksCheckId } from "./step.js";
import { compareFic, expectedFic, FIC_LIMIT } from "../diagnosis/aks/checks/federated-credentials.js";
import type { FederatedCredentialFacts, IdentityFacts } from "../diagnosis/aks/facts.js";
import { type Gathered, skipped, valueOf } from "../diagnosis/types.js";
import {
  clientIdOf,
  clusterOf,
  gathererFor,
  guidField,
  IdentitySchema,
  type IdentityRef,
  identityOf,
  identityOutput,
  partialFacts,
  renderStep,
  resourceGroupField,
  resourceIdField,
  runAksChecks,
  SectionSchema,
  sectionOf,
  serviceAccountOf,
  stepShape,
} from "./step.js";
import { defineTool, ToolInputError } from "./define.js";
import { envFor } from "./platform.js";
import { k8sName, namespaceField } from "./schemas.js";

const FIC_CHECKS: readonly AksCheckId[] = [
  "fic.none",
  "fic.issuer-mismatch",
  "fic.subject-mismatch",
  "fic.audience-mismatch",
  "fic.limit-reached",
];

const FieldComparison = z.object({
  result: z.enum(["match", "mismatch"]),
  expected: z.string(),
  reason: z
    .string()
    .optional()
    .describe("Why it differs: trailing slash, letter case, namespace or name typo, another cluster's issuer…"),
});

export const listFederatedCredentials = defineTool({
  name: "list_federated_credentials",
  example: {
    clientId: "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f",
    namespace: "payments",
    serviceAccount: "payments-api",
  },
  toolsets: ["aks"],
  summary: "An identity's federated credentials, each field marked match or mismatch with the reason.",
  title: "List federated credentials",
  description:
    "Use to see which service accounts an Azure identity trusts (AKS). Name it by identityName + resourceGroup, resourceId, clientId (managed identity) or appId (app registration), or give namespace + serviceAccount to use its annotated client id. Returns each federated credential (issuer, subject, audiences), marked match or mismatch against the cluster's tokens when a service account is named, with fixes. Next: inspect_token or test_token_exchange.",
  inputSchema: z.object({
    identityName: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]*$/, {
        message: "expected a managed identity name (letters, digits, '-' and '_', starting with a letter or digit)",
      })
      .optional()
      .describe("User-assigned managed identity name (with resourceGroup)"),
    resourceGroup: resourceGroupField.optional().describe("Resource group of the managed identity (with identityName)"),
    subscriptionId: guidField("Subscription of the managed identity (default: every visible subscription)").optional(),
    resourceId: resourceIdField("Resource id of the user-assigned managed identity").optional(),
    clientId: guidField("Client id of the managed identity (searched across subscriptions)").optional(),
    appId: guidField("Application (client) id of an app registration").optional(),
    namespace: namespaceField.optional().describe("Namespace of the service account the credentials should match"),
    serviceAccount: k8sName("service account").optional().describe("Service account the credentials should match"),
  }),
  outputSchema: z.object({
    identity: SectionSchema.extend({ value: IdentitySchema.nullable() }),
    expected: z
      .object({ issuer: z.string().nullable(), subject: z.string(), audience: z.string() })
      .nullable()
      .describe("What a matching credential must carry (only with namespace + serviceAccount)"),
    issuerSource: z.enum(["apiServer", "arm"]).nullable().describe("Where the expected issuer was read"),
    credentials: SectionSchema.extend({
      count: z.number().int(),
      limit: z.number().int().describe("Federated credentials allowed per identity"),
      items: z.array(
        z.object({
          name: z.string(),
          issuer: z.string(),
          subject: z.string(),
          audiences: z.array(z.string()),
          comparison: z
            .object({
              matches: z.boolean().describe("issuer, subject and audience all match"),
              issuer: FieldComparison,
              subject: FieldComparison,
              audience: FieldComparison,
            })
            .optional(),
        }),
      ),
    }),
    ...stepShape,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(input, ctx) {
    if (Boolean(input.namespace) !== Boolean(input.serviceAccount)) {
      throw new ToolInputError(
        input.namespace ? "serviceAccount" : "namespace",
        "namespace and serviceAccount together",
      );
    }
    if (Boolean(input.identityName) !== Boolean(input.resourceGroup)) {
      throw new ToolInputError(
        input.identityName ? "resourceGroup" : "identityName",
        "identityName and resourceGroup together",
      );
    }
    const selectors = [
      input.identityName && "identityName",
      input.resourceId && "resourceId",
      input.clientId && "clientId",
      input.appId && "appId",
    ].filter((s): s is string => Boolean(s));
    if (selectors.length > 1) {
      throw new ToolInputError(selectors.join(" | "), "one way to name the identity, not several", selectors);
    }
    if (!selectors.length && !input.serviceAccount) {
      throw new ToolInputError(
        "identityName | resourceId | clientId | appId",
        "one of them (or namespace + serviceAccount, to use the client id on the service account)",
      );
    }

    const env = await envFor(ctx, "list_federated_credentials", "aks");
    const g = gathererFor(env, ctx.signal);
    const ns = input.namespace;
    const saName = input.serviceAccount;
    const issuerP = saName ? g.apiServerIssuer() : undefined;

    let ref: IdentityRef | undefined;
    let sa: Awaited<ReturnType<typeof serviceAccountOf>> | undefined;
    if (input.identityName && input.resourceGroup) {
      ref = { name: input.identityName, resourceGroup: input.resourceGroup, subscriptionId: input.subscriptionId };
    } else if (input.resourceId) ref = { resourceId: input.resourceId };
    else if (input.clientId ?? input.appId) ref = { clientId: (input.clientId ?? input.appId)! };
    else {
      sa = await serviceAccountOf(g, ns!, saName!);
      const clientId = clientIdOf(valueOf(sa));
      if (clientId) ref = { clientId };
    }
    const identity: Gathered<IdentityFacts | null> = ref
      ? await identityOf(g, ref)
      : skipped(
          sa?.status !== "ok"
            ? sa!.reason
            : sa.value
              ? "the service account names no valid client id"
              : `service account ${ns}/${saName} does not exist`,
        );
    const id = valueOf(identity);
    const fics: Gathered<FederatedCredentialFacts[]> = id
      ? await g.federatedCredentials(id)
      : skipped(identity.status === "ok" ? "the identity was not found" : identity.reason);

    const apiServerIssuer = issuerP ? await issuerP : skipped<string>("not needed without a service account");
    // ARM's issuer URL only stands in when the API server's discovery document cannot be read.
    const cluster = saName && apiServerIssuer.status !== "ok" ? await clusterOf(g) : skipped<null>("not needed");

    const facts = partialFacts(
      env,
      { namespace: ns ?? "default", serviceAccount: saName },
      {
        serviceAccountName: saName,
        identity,
        federatedCredentials: fics,
        apiServerIssuer,
        cluster,
        ...(sa ? { serviceAccount: sa } : {}),
      },
    );
    const checkIds: AksCheckId[] = saName
      ? [...FIC_CHECKS, ...(sa ? (["identity.not-found"] as const) : [])]
      : ["fic.none"];
    const result = runAksChecks(facts, checkIds);

    const exp = saName ? expectedFic(facts) : undefined;
    const creds = valueOf(fics) ?? [];
    const items = creds.map((cred) => {
      if (!exp) return { ...cred };
      const cmp = compareFic(cred, exp);
      const field = (reason: string | undefined, expected: string) =>
        reason === undefined
          ? { result: "match" as const, expected }
          : { result: "mismatch" as const, expected, reason };
      return {
        ...cred,
        comparison: {
          matches: cmp.score === 3 && Boolean(exp.issuer),
          issuer: exp.issuer
            ? field(cmp.issuer, exp.issuer)
            : { result: "mismatch" as const, expected: "", reason: "the cluster's issuer is not known" },
          subject: field(cmp.subject, exp.subject),
          audience: field(cmp.audience, exp.audience),
        },
      };
    });
    return {
      identity: { ...sectionOf(identity), value: id ? identityOutput(id) : null },
      expected: exp ? { issuer: exp.issuer ?? null, subject: exp.subject, audience: exp.audience } : null,
      issuerSource: !exp?.issuer ? null : valueOf(apiServerIssuer) ? ("apiServer" as const) : ("arm" as const),
      credentials: { ...sectionOf(fics), count: creds.length, limit: FIC_LIMIT, items },
      ...result,
    };
  },
  render(out) {
    const who = out.identity.value
      ? `${out.identity.value.kind === "application" ? "app registration" : "managed identity"} ${out.identity.value.name} (client id ${out.identity.value.clientId})`
      : "the identity";
    const lines: string[] = [];
    if (!out.identity.value) lines.push(`identity: ${out.identity.reason ?? "not found"}`);
    if (out.expected)
      lines.push(
        `expected: issuer=${out.expected.issuer ?? "?"} subject=${out.expected.subject} audience=${out.expected.audience}`,
      );
    lines.push(
      `${out.credentials.count} of ${out.credentials.limit} federated credentials${out.credentials.reason ? ` (${out.credentials.reason})` : ""}`,
    );
    for (const c of out.credentials.items) {
      const mark = c.comparison ? (c.comparison.matches ? "✓ " : "✗ ") : "- ";
      lines.push(`${mark}${c.name}: issuer=${c.issuer} subject=${c.subject} audiences=${c.audiences.join(",")}`);
      if (c.comparison && !c.comparison.matches) {
        for (const k of ["issuer", "subject", "audience"] as const) {
          const cmp = c.comparison[k];
          if (cmp.result === "mismatch") lines.push(`    ${k}: ${cmp.reason}`);
        }
      }
    }
    return renderStep(`Federated credentials of ${who}`, lines, out);
  },
});
