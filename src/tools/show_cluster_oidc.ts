import { z } from "zod";
import { issuerDifference } from "../diagnosis/compare.js";
import { valueOf } from "../diagnosis/types.js";
import {
  clusterOf,
  gathererFor,
  guidField,
  partialFacts,
  renderStep,
  resourceGroupField,
  runAksChecks,
  SectionSchema,
  sectionOf,
  stepShape,
} from "../gather/steps.js";
import { defineTool, ToolInputError } from "./define.js";

const CHECKS = ["cluster.oidc-issuer-disabled", "cluster.workload-identity-disabled", "cluster.issuer-disagreement"];

export const showClusterOidc = defineTool({
  name: "show_cluster_oidc",
  title: "Show the cluster's OIDC issuer",
  description:
    "Use to confirm an AKS cluster can take part in workload identity at all: whether the OIDC issuer and the workload identity add-on " +
    "are enabled (from ARM), the issuer URL ARM reports, and the issuer the API server itself announces in its discovery document " +
    "(read through the kube context, so it works without an Azure credential), and whether the two agree. " +
    "Defaults to the cluster behind the current kube context; name clusterName + resourceGroup to look at another one. " +
    "Federated credentials must carry the API server's issuer exactly. " +
    "Next: list_federated_credentials to compare the credentials' issuer with it, or inspect_token to see the issuer in a real token.",
  inputSchema: z.object({
    clusterName: z
      .string()
      .min(1)
      .max(63)
      .optional()
      .describe("AKS cluster name (default: the cluster behind the kube context)"),
    resourceGroup: resourceGroupField.optional().describe("Resource group of the cluster (with clusterName)"),
    subscriptionId: guidField(
      "Subscription of the cluster (default: every subscription the credential can see)",
    ).optional(),
  }),
  outputSchema: z.object({
    cluster: SectionSchema.extend({
      name: z.string().optional(),
      resourceGroup: z.string().optional(),
      subscriptionId: z.string().optional(),
      id: z.string().optional(),
      fqdn: z.string().optional(),
    }).describe("Which AKS cluster ARM returned, or why it could not be read"),
    arm: z
      .object({
        oidcIssuerEnabled: z.boolean().describe("oidcIssuerProfile.enabled"),
        issuerURL: z.string().nullable().describe("oidcIssuerProfile.issuerURL"),
        workloadIdentityEnabled: z.boolean().describe("securityProfile.workloadIdentity.enabled"),
      })
      .nullable(),
    apiServer: SectionSchema.extend({
      issuer: z.string().nullable().describe("issuer in the API server's /.well-known/openid-configuration"),
    }),
    agree: z.boolean().nullable().describe("ARM's issuer URL equals the API server's issuer; null when one is unknown"),
    difference: z.string().nullable().describe("How the two issuers differ"),
    ...stepShape,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(input, ctx) {
    if (Boolean(input.clusterName) !== Boolean(input.resourceGroup)) {
      throw new ToolInputError(
        input.clusterName ? "resourceGroup" : "clusterName",
        "clusterName and resourceGroup together (or neither, for the cluster behind the kube context)",
      );
    }
    const env = await ctx.env();
    const g = gathererFor(env, ctx.signal);
    // The webhook tells a self-managed installation apart from a missing add-on.
    const [cluster, apiServerIssuer, webhook] = await Promise.all([
      clusterOf(g, input),
      g.apiServerIssuer(),
      g.webhook("kube-system"),
    ]);
    const facts = partialFacts(env, { namespace: "default" }, { cluster, apiServerIssuer, webhook });
    const result = runAksChecks(facts, CHECKS);

    const c = valueOf(cluster) ?? undefined;
    const armIssuer = c?.issuerUrl;
    const apiIssuer = valueOf(apiServerIssuer);
    const bothKnown = Boolean(armIssuer && apiIssuer);
    return {
      cluster: {
        ...sectionOf(cluster),
        ...(cluster.status === "ok" && !c
          ? { reason: "no AKS cluster in the visible subscriptions matches (see the checks)" }
          : {}),
        ...(c
          ? { name: c.name, resourceGroup: c.resourceGroup, subscriptionId: c.subscriptionId, id: c.id, fqdn: c.fqdn }
          : {}),
      },
      arm: c
        ? {
            oidcIssuerEnabled: c.oidcIssuerEnabled,
            issuerURL: armIssuer ?? null,
            workloadIdentityEnabled: c.workloadIdentityEnabled,
          }
        : null,
      apiServer: { ...sectionOf(apiServerIssuer), issuer: apiIssuer ?? null },
      agree: bothKnown ? armIssuer === apiIssuer : null,
      difference: bothKnown ? (issuerDifference(apiIssuer!, armIssuer!) ?? null) : null,
      ...result,
    };
  },
  render(out) {
    const lines = [
      out.arm
        ? `ARM: oidcIssuerProfile.enabled=${out.arm.oidcIssuerEnabled} issuerURL=${out.arm.issuerURL ?? "(none)"} workloadIdentity.enabled=${out.arm.workloadIdentityEnabled}`
        : `ARM: ${out.cluster.reason ?? "cluster not found"}`,
      `API server issuer: ${out.apiServer.issuer ?? out.apiServer.reason ?? "(unknown)"}`,
      `agree: ${out.agree === null ? "unknown" : out.agree ? "yes" : `no (${out.difference})`}`,
    ];
    const name = out.cluster.name ? `${out.cluster.resourceGroup}/${out.cluster.name}` : "the kube context's cluster";
    return renderStep(`Cluster OIDC issuer of ${name}`, lines, out);
  },
});
