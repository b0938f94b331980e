import { z } from "zod";
import type { AksCheckId, EksCheckId } from "./step.js";
import { partitionForRegion, providerArnFor } from "../diagnosis/eks/arn.js";
import { thumbprintRelied } from "../diagnosis/eks/checks/cluster.js";
import type { EksClusterFact, ServiceAccountFact } from "../diagnosis/eks/facts.js";
import { DEFAULT_AUDIENCE } from "../diagnosis/eks/names.js";
import { issuerDifference } from "../diagnosis/compare.js";
import { type Gathered, ok, skipped, valueOf } from "../diagnosis/types.js";
import type { Environment } from "../providers/environment.js";
import {
  anyIrsaAccount,
  audienceOfAccount,
  eksGathererFor,
  issuerOf,
  partialEksFacts,
  platformField,
  platformOutput,
  runEksChecks,
  gather,
} from "./step.js";
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
} from "./step.js";
import { type ToolContext, ToolInputError } from "./define.js";
import { definePlatformTool } from "./platform.js";
import { k8sName, namespaceField } from "./schemas.js";

const CHECKS: readonly AksCheckId[] = [
  "cluster.oidc-issuer-disabled",
  "cluster.workload-identity-disabled",
  "cluster.issuer-disagreement",
];
const EKS_CHECKS: readonly EksCheckId[] = [
  "eks.oidc-provider-missing",
  "eks.oidc-audience-missing",
  "eks.thumbprint-mismatch",
];

const inputSchema = z.object({
  clusterName: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_-]*$/, {
      message: "expected an AKS or EKS cluster name (letters, digits, '-' and '_', starting with a letter or digit)",
    })
    .optional()
    .describe("AKS or EKS cluster name (default: the cluster behind the kube context)"),
  resourceGroup: resourceGroupField.optional().describe("AKS: resource group of the cluster (with clusterName)"),
  subscriptionId: guidField("AKS: subscription of the cluster (default: every visible one)").optional(),
  namespace: namespaceField.optional().describe("EKS: namespace of serviceAccount"),
  serviceAccount: k8sName("service account")
    .optional()
    .describe("EKS: judge the OIDC provider for this service account's audience"),
  audience: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe(`EKS: audience the provider must list (default: the service account's, else ${DEFAULT_AUDIENCE})`),
  platform: platformField,
});

const outputSchema = z.object({
  platform: platformOutput,
  cluster: SectionSchema.extend({
    name: z.string().optional(),
    resourceGroup: z.string().optional().describe("AKS"),
    subscriptionId: z.string().optional().describe("AKS"),
    id: z.string().optional().describe("AKS: the ARM resource id"),
    fqdn: z.string().optional().describe("AKS"),
    arn: z.string().optional().describe("EKS: the cluster ARN"),
    region: z.string().optional().describe("EKS"),
    endpoint: z.string().optional().describe("EKS: the API server endpoint"),
    version: z.string().optional().describe("EKS: the Kubernetes version"),
    issuer: z.string().nullable().optional().describe("EKS: DescribeCluster's identity.oidc.issuer"),
  }).describe("Which cluster the cloud returned, or why it could not be read"),
  arm: z
    .object({
      oidcIssuerEnabled: z.boolean().describe("oidcIssuerProfile.enabled"),
      issuerURL: z.string().nullable().describe("oidcIssuerProfile.issuerURL"),
      workloadIdentityEnabled: z.boolean().describe("securityProfile.workloadIdentity.enabled"),
    })
    .nullable()
    .optional()
    .describe("AKS only"),
  apiServer: SectionSchema.extend({
    issuer: z.string().nullable().describe("issuer in the API server's /.well-known/openid-configuration"),
  }),
  agree: z
    .boolean()
    .nullable()
    .describe(
      "The cloud's issuer URL (ARM or DescribeCluster) equals the API server's issuer; null when one is unknown",
    ),
  difference: z.string().nullable().describe("How the two issuers differ"),
  iamOidcProvider: SectionSchema.extend({
    accountId: z
      .string()
      .nullable()
      .describe("The account the credential belongs to, where the provider was looked for"),
    expectedArn: z.string().nullable().describe("The provider ARN the cluster's issuer calls for"),
    exists: z.boolean().nullable(),
    arn: z.string().nullable(),
    url: z.string().nullable(),
    clientIdList: z.array(z.string()),
    audience: z.string().describe("The audience the provider must list"),
    audienceFrom: z.enum(["input", "service-account", "default"]),
    audienceListed: z.boolean().nullable(),
    thumbprints: z.array(z.string()),
    thumbprintUsedByAws: z
      .boolean()
      .nullable()
      .describe("false for issuers AWS hosts: STS verifies them through trusted root CAs and ignores the list"),
    thumbprintNote: z.string().nullable(),
    providersInAccount: z.array(z.string()).describe("Every IAM OIDC provider ARN in the account (first 50)"),
  })
    .optional()
    .describe("EKS only: the account's IAM OIDC provider for the cluster's issuer"),
  ...stepShape,
});

type Output = z.infer<typeof outputSchema>;

export const showClusterOidc = definePlatformTool({
  name: "show_cluster_oidc",
  example: {},
  toolsets: ["aks", "eks"],
  summary: "Is the OIDC issuer on, what is its URL, do ARM and the API server agree (EKS: the IAM OIDC provider).",
  title: "Show the cluster's OIDC issuer",
  description:
    "Use to confirm a cluster supports workload identity (AKS and EKS). AKS: OIDC issuer and workload identity enabled in ARM, and ARM's issuer URL against the API server's. EKS: the cluster's issuer, the account's IAM OIDC provider for it, its ClientIDList (the audience) and thumbprints. Next: list_federated_credentials (AKS), inspect_iam_role (EKS) or inspect_token.",
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  eks: eksClusterOidc,
  async aks(env, input, ctx) {
    if (Boolean(input.clusterName) !== Boolean(input.resourceGroup)) {
      throw new ToolInputError(
        input.clusterName ? "resourceGroup" : "clusterName",
        "clusterName and resourceGroup together (or neither, for the cluster behind the kube context)",
      );
    }
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
      platform: "aks" as const,
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
    if (out.platform === "eks") return renderEks(out);
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

async function eksClusterOidc(env: Environment, input: z.infer<typeof inputSchema>, ctx: ToolContext): Promise<Output> {
  if (Boolean(input.namespace) !== Boolean(input.serviceAccount)) {
    throw new ToolInputError("namespace + serviceAccount", "both, or neither");
  }
  if (input.serviceAccount && input.audience) {
    throw new ToolInputError("audience", "no audience when a service account is named: its annotation says which");
  }
  const g = eksGathererFor(env, ctx.signal);
  const namespace = input.namespace ?? "default";
  const clusterP: Promise<Gathered<EksClusterFact | null>> = input.clusterName
    ? gather("EKS cluster", () => g.aws.describeCluster(input.clusterName!, { signal: g.signal }))
    : g.cluster();
  const saP: Promise<Gathered<ServiceAccountFact | null>> = input.serviceAccount
    ? g.serviceAccount(namespace, input.serviceAccount)
    : Promise.resolve(skipped("no service account named"));
  const [cluster, apiServerIssuer, accountId, arns, sa] = await Promise.all([
    clusterP,
    g.apiServerIssuer(),
    g.accountId(),
    g.oidcProviderArns(),
    saP,
  ]);
  // A named cluster other than the context's speaks for itself; the API server's issuer is the context's.
  const issuer = input.clusterName
    ? issuerOf(cluster, skipped("the named cluster reports no issuer"))
    : issuerOf(cluster, apiServerIssuer);
  const provider = await g.oidcProvider(arns, issuer);

  const named = valueOf(sa);
  const audience = input.audience ?? audienceOfAccount(named);
  const audienceFrom = input.audience
    ? "input"
    : named && audienceOfAccount(named) !== DEFAULT_AUDIENCE
      ? "service-account"
      : "default";
  const facts = partialEksFacts(
    { namespace, serviceAccount: input.serviceAccount },
    {
      accountId,
      cluster,
      issuer,
      oidcProviderArns: arns,
      oidcProvider: provider,
      serviceAccount: input.serviceAccount ? sa : ok(anyIrsaAccount(namespace, audience)),
      region: valueOf(cluster)?.region ?? g.region,
    },
  );
  const result = runEksChecks(facts, EKS_CHECKS);

  const c = valueOf(cluster) ?? undefined;
  const fromCluster = c?.issuer;
  const apiIssuer = valueOf(apiServerIssuer);
  const bothKnown = Boolean(fromCluster && apiIssuer) && !input.clusterName;
  const p = valueOf(provider) ?? undefined;
  const iss = valueOf(issuer);
  const account = valueOf(accountId);
  const region = c?.region ?? g.region;
  const relied = iss ? thumbprintRelied(iss) : undefined;
  return {
    platform: "eks",
    cluster: {
      ...sectionOf(cluster),
      ...(cluster.status === "ok" && !c
        ? { reason: "the API server is not an EKS endpoint this credential can see (see the checks)" }
        : {}),
      ...(c
        ? {
            name: c.name,
            arn: c.arn,
            region: c.region,
            endpoint: c.endpoint,
            version: c.version,
            issuer: c.issuer ?? null,
          }
        : {}),
    },
    apiServer: { ...sectionOf(apiServerIssuer), issuer: apiIssuer ?? null },
    agree: bothKnown ? fromCluster === apiIssuer : null,
    difference: bothKnown ? (issuerDifference(apiIssuer!, fromCluster!) ?? null) : null,
    iamOidcProvider: {
      ...sectionOf(provider),
      accountId: account ?? null,
      expectedArn: iss && account ? providerArnFor(account, iss, partitionForRegion(region)) : null,
      exists: provider.status === "ok" ? Boolean(p) : null,
      arn: p?.arn ?? null,
      url: p?.url ?? null,
      clientIdList: p?.clientIds ?? [],
      audience,
      audienceFrom,
      audienceListed: p ? p.clientIds.includes(audience) : null,
      thumbprints: p?.thumbprints ?? [],
      thumbprintUsedByAws: p && relied !== undefined ? relied : null,
      thumbprintNote:
        p && relied !== undefined
          ? relied
            ? "The issuer is not hosted by AWS: STS trusts its certificate when it chains to a CA AWS trusts, else when the top intermediate CA's SHA-1 thumbprint is in this list."
            : "AWS hosts this issuer and verifies it through its own trusted root CAs; the thumbprint list is kept but not used."
          : null,
      providersInAccount: (valueOf(arns) ?? []).slice(0, 50),
    },
    ...result,
  };
}

function renderEks(out: Output): string {
  const p = out.iamOidcProvider;
  const lines = [
    `DescribeCluster issuer: ${out.cluster.issuer ?? out.cluster.reason ?? "(unknown)"}`,
    `API server issuer: ${out.apiServer.issuer ?? out.apiServer.reason ?? "(unknown)"}`,
    `agree: ${out.agree === null ? "unknown" : out.agree ? "yes" : `no (${out.difference})`}`,
  ];
  if (p) {
    if (p.exists === null) lines.push(`IAM OIDC provider: ${p.reason ?? "unknown"}`);
    else if (!p.exists)
      lines.push(`IAM OIDC provider: none in account ${p.accountId ?? "?"} (expected ${p.expectedArn ?? "?"})`);
    else {
      lines.push(
        `IAM OIDC provider: ${p.arn}`,
        `  ClientIDList: ${p.clientIdList.join(", ") || "(empty)"}; ${p.audience} ${p.audienceListed ? "listed" : "NOT listed"}`,
        `  thumbprints: ${p.thumbprints.join(", ") || "(none)"}${p.thumbprintUsedByAws === false ? " (not used by AWS for this issuer)" : ""}`,
      );
    }
  }
  return renderStep(`Cluster OIDC issuer of ${out.cluster.name ?? "the kube context's cluster"} (EKS)`, lines, out);
}
