import type { V1Pod } from "@kubernetes/client-node";
import type { AksCheckId, EksCheckId } from "./step.js";
import { z } from "zod";
import { tokenExpirationProblem } from "../diagnosis/rules.js";
import { nearMissKeys } from "../diagnosis/aks/checks/service-account.js";
import { roleArnProblem } from "../diagnosis/eks/arn.js";
import { nearMissKeys as eksNearMissKeys } from "../diagnosis/eks/checks/service-account.js";
import type { PodLike } from "../diagnosis/eks/facts.js";
import {
  AUDIENCE_KEY,
  DEFAULT_AUDIENCE,
  ROLE_ARN_KEY,
  STS_REGIONAL_KEY,
  TOKEN_EXPIRATION_KEY,
} from "../diagnosis/eks/names.js";
import { WI_CLIENT_ID, WI_TENANT_ID, WI_TOKEN_EXPIRATION, WI_USE_LABEL } from "../diagnosis/aks/names.js";
import { GUID_RE } from "../diagnosis/compare.js";
import { type Gathered, valueOf } from "../diagnosis/types.js";
import type { Environment } from "../providers/environment.js";
import type { Workload } from "../providers/kubernetes.js";
import {
  clusterAndAssociations,
  eksGathererFor,
  partialEksFacts,
  platformField,
  platformOutput,
  runEksChecks,
  gather,
  podsOfServiceAccount,
} from "./step.js";
import {
  gathererFor,
  identityResourceIdOf,
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

const CHECKS: readonly AksCheckId[] = [
  "sa.not-found",
  "sa.annotation-typo",
  "sa.client-id-missing",
  "sa.client-id-malformed",
  "sa.token-expiration-invalid",
];
const EKS_CHECKS: readonly EksCheckId[] = [
  "sa.not-found",
  "sa.annotation-typo",
  "sa.role-arn-missing",
  "sa.role-arn-malformed",
  "sa.annotation-invalid",
  "eks.pod-identity-association-missing",
  "eks.irsa-and-pod-identity",
];

const AnnotationSchema = z.object({
  key: z.string(),
  value: z.string().nullable(),
  valid: z.boolean().describe("Present and well-formed (absent optional annotations count as valid)"),
  problem: z.string().optional(),
});

function annotation(
  key: string,
  value: string | undefined,
  required: boolean,
  problemOf: (v: string) => string | undefined,
) {
  if (value === undefined) {
    return required ? { key, value: null, valid: false, problem: "missing" } : { key, value: null, valid: true };
  }
  const problem = problemOf(value.trim());
  return problem ? { key, value, valid: false, problem } : { key, value, valid: true };
}

const inputSchema = z.object({
  namespace: namespaceField,
  serviceAccount: k8sName("service account"),
  platform: platformField,
});

const outputSchema = z.object({
  platform: platformOutput,
  namespace: z.string(),
  serviceAccount: z.string(),
  read: SectionSchema.describe("Whether the service account could be read"),
  exists: z.boolean().nullable(),
  annotations: z.object({
    clientId: AnnotationSchema.optional().describe(`AKS: ${WI_CLIENT_ID}`),
    tenantId: AnnotationSchema.optional().describe(`AKS: ${WI_TENANT_ID}`),
    tokenExpiration: AnnotationSchema.describe(`${WI_TOKEN_EXPIRATION} (AKS) or ${TOKEN_EXPIRATION_KEY} (EKS)`),
    roleArn: AnnotationSchema.optional().describe(`EKS: ${ROLE_ARN_KEY}`),
    audience: AnnotationSchema.optional().describe(`EKS: ${AUDIENCE_KEY} (default ${DEFAULT_AUDIENCE})`),
    stsRegionalEndpoints: AnnotationSchema.optional().describe(`EKS: ${STS_REGIONAL_KEY}`),
  }),
  nearMissKeys: z.array(z.object({ key: z.string(), meant: z.string(), value: z.string() })),
  usedBy: z.object({
    workloads: SectionSchema.extend({
      items: z.array(
        z.object({
          kind: z.string(),
          name: z.string(),
          podTemplateLabelled: z.boolean().optional().describe(`AKS: ${WI_USE_LABEL}: "true" on the pod template`),
        }),
      ),
    }),
    pods: SectionSchema.extend({
      items: z.array(
        z.object({
          name: z.string(),
          phase: z.string().nullable(),
          labelled: z.boolean().optional().describe(`AKS: ${WI_USE_LABEL}: "true" on the pod`),
          injected: z
            .enum(["irsa", "pod-identity", "none"])
            .optional()
            .describe("EKS: which credentials the webhook put into the pod's containers"),
        }),
      ),
    }),
  }),
  podIdentityAssociations: SectionSchema.extend({
    items: z.array(z.object({ associationId: z.string(), roleArn: z.string().nullable() })),
  })
    .optional()
    .describe("EKS: Pod Identity associations of the cluster for this namespace and service account"),
  ...stepShape,
});

type Output = z.infer<typeof outputSchema>;

export const inspectServiceAccount = definePlatformTool({
  name: "inspect_service_account",
  example: { namespace: "payments", serviceAccount: "payments-api" },
  toolsets: ["aks", "eks"],
  summary: "The service account's annotations (client id, tenant, role ARN), near-miss keys, who uses it.",
  title: "Inspect a service account",
  description:
    "Use to check the Kubernetes side of the identity link (AKS and EKS). Whether the service account exists, its identity annotations (AKS azure.workload.identity/client-id and tenant-id; EKS eks.amazonaws.com/role-arn, audience, token expiration), near-miss keys the webhook ignores, the pods running as it and, on EKS, its Pod Identity associations. Next: list_federated_credentials (AKS), inspect_iam_role (EKS) or inspect_workload.",
  inputSchema,
  outputSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  eks: eksServiceAccount,
  async aks(env, input, ctx) {
    const g = gathererFor(env, ctx.signal);
    const { namespace, serviceAccount } = input;
    const [sa, workloads, ownPods] = await Promise.all([
      serviceAccountOf(g, namespace, serviceAccount),
      gather<Workload[]>("workloads", () => g.kube.listWorkloads(namespace, g.signal)),
      podsOfServiceAccount(g, namespace, serviceAccount),
    ]);
    const runsAs = (spec: { serviceAccountName?: string } | undefined) =>
      (spec?.serviceAccountName ?? "default") === serviceAccount;

    // A client-id annotation holding an identity's resource id: look the identity up, so the fix names its client id.
    const resourceId = identityResourceIdOf(valueOf(sa));
    const identityByResourceId = resourceId ? await g.identityByResourceId(resourceId) : undefined;
    const facts = partialFacts(
      env,
      { namespace, serviceAccount },
      { serviceAccountName: serviceAccount, serviceAccount: sa, pods: ownPods, identityByResourceId },
    );
    const result = runAksChecks(facts, CHECKS);

    const account = valueOf(sa);
    const ann = account?.metadata?.annotations ?? {};
    const list = <T, U>(g: Gathered<T[]>, map: (items: T[]) => U[]) => ({
      ...sectionOf(g),
      items: map(valueOf(g) ?? []),
    });
    return {
      platform: "aks" as const,
      namespace,
      serviceAccount,
      read: sectionOf(sa),
      exists: sa.status === "ok" ? Boolean(sa.value) : null,
      annotations: {
        clientId: annotation(WI_CLIENT_ID, ann[WI_CLIENT_ID], true, (v) =>
          GUID_RE.test(v)
            ? undefined
            : v.toLowerCase().includes("/providers/microsoft.managedidentity/")
              ? "a resource id, not a client id"
              : "not a GUID",
        ),
        tenantId: annotation(WI_TENANT_ID, ann[WI_TENANT_ID], false, (v) =>
          GUID_RE.test(v) ? undefined : "not a GUID",
        ),
        tokenExpiration: annotation(WI_TOKEN_EXPIRATION, ann[WI_TOKEN_EXPIRATION], false, (v) =>
          tokenExpirationProblem("aks", v),
        ),
      },
      nearMissKeys: nearMissKeys(ann).map(({ key, meant }) => ({ key, meant, value: ann[key] })),
      usedBy: {
        workloads: list(workloads, (items) =>
          items
            .filter((w) => runsAs(w.podTemplate.spec))
            .map((w) => ({
              kind: w.kind,
              name: w.name,
              podTemplateLabelled: w.podTemplate.metadata?.labels?.[WI_USE_LABEL] === "true",
            })),
        ),
        pods: list(ownPods, (items) =>
          items.map((p) => ({
            name: p.metadata?.name ?? "",
            phase: p.status?.phase ?? null,
            labelled: p.metadata?.labels?.[WI_USE_LABEL] === "true",
          })),
        ),
      },
      ...result,
    };
  },
  render(out) {
    const a = out.annotations;
    const show = (x: z.infer<typeof AnnotationSchema> | undefined) =>
      x ? `${x.value ?? "(none)"}${x.problem ? ` — ${x.problem}` : ""}` : "(none)";
    const assoc = out.podIdentityAssociations;
    const lines = [
      out.exists === null ? `could not read: ${out.read.reason}` : out.exists ? "exists" : "does not exist",
      ...(out.platform === "eks"
        ? [
            `role-arn: ${show(a.roleArn)}`,
            `audience: ${show(a.audience)}`,
            `sts-regional-endpoints: ${show(a.stsRegionalEndpoints)}`,
            `Pod Identity associations: ${
              assoc?.status !== "ok"
                ? `unknown (${assoc?.reason})`
                : assoc.items.map((x) => `${x.associationId} → ${x.roleArn ?? "?"}`).join(", ") || "none"
            }`,
          ]
        : [`client-id: ${show(a.clientId)}`, `tenant-id: ${show(a.tenantId)}`]),
      `token-expiration: ${show(a.tokenExpiration)}`,
      ...out.nearMissKeys.map((k) => `ignored key ${k.key} (meant ${k.meant})`),
      `used by: ${out.usedBy.workloads.items.map((w) => `${w.kind}/${w.name}`).join(", ") || "no workloads"}; ${out.usedBy.pods.items.length} pod(s)`,
    ];
    return renderStep(`Service account ${out.namespace}/${out.serviceAccount}`, lines, out);
  },
});

/** Which credentials the webhook put into a pod's containers. */
function injectedInto(pod: V1Pod): "irsa" | "pod-identity" | "none" {
  const names = new Set(
    [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].flatMap((c) =>
      (c.env ?? []).map((e) => e.name),
    ),
  );
  if (names.has("AWS_CONTAINER_CREDENTIALS_FULL_URI")) return "pod-identity";
  if (names.has("AWS_WEB_IDENTITY_TOKEN_FILE")) return "irsa";
  return "none";
}

async function eksServiceAccount(
  env: Environment,
  input: z.infer<typeof inputSchema>,
  ctx: ToolContext,
): Promise<Output> {
  const g = eksGathererFor(env, ctx.signal);
  const { namespace, serviceAccount } = input;
  const [sa, workloads, ownPods, agent, accountId, { cluster, associations }] = await Promise.all([
    g.serviceAccount(namespace, serviceAccount),
    gather<Workload[]>("workloads", () => g.kube.listWorkloads(namespace, g.signal)),
    podsOfServiceAccount(g, namespace, serviceAccount),
    g.podIdentityAgent(),
    g.accountId(),
    clusterAndAssociations(g, namespace),
  ]);
  const runsAs = (spec: { serviceAccountName?: string } | undefined) =>
    (spec?.serviceAccountName || "default") === serviceAccount;

  const facts = partialEksFacts(
    { namespace, serviceAccount },
    {
      serviceAccount: sa,
      pods: ownPods as Gathered<PodLike[]>,
      podIdentityAgent: agent,
      associations,
      cluster,
      accountId,
      region: valueOf(cluster)?.region ?? g.region,
    },
  );
  const result = runEksChecks(facts, EKS_CHECKS);

  const ann = valueOf(sa)?.annotations ?? {};
  const ownAssociations = (valueOf(associations) ?? []).filter(
    (a) => a.namespace === namespace && a.serviceAccount === serviceAccount,
  );
  const list = <T, U>(x: Gathered<T[]>, map: (items: T[]) => U[]) => ({
    ...sectionOf(x),
    items: map(valueOf(x) ?? []),
  });
  return {
    platform: "eks",
    namespace,
    serviceAccount,
    read: sectionOf(sa),
    exists: sa.status === "ok" ? Boolean(sa.value) : null,
    annotations: {
      roleArn: annotation(ROLE_ARN_KEY, ann[ROLE_ARN_KEY], ownAssociations.length === 0, () =>
        roleArnProblem(ann[ROLE_ARN_KEY]),
      ),
      audience: annotation(AUDIENCE_KEY, ann[AUDIENCE_KEY], false, (v) => (v ? undefined : "empty")),
      stsRegionalEndpoints: annotation(STS_REGIONAL_KEY, ann[STS_REGIONAL_KEY], false, (v) =>
        ["true", "false"].includes(v.toLowerCase()) ? undefined : 'must be "true" or "false"',
      ),
      tokenExpiration: annotation(TOKEN_EXPIRATION_KEY, ann[TOKEN_EXPIRATION_KEY], false, (v) =>
        tokenExpirationProblem("eks", v),
      ),
    },
    nearMissKeys: eksNearMissKeys(ann).map(({ key, meant }) => ({ key, meant, value: ann[key] })),
    usedBy: {
      workloads: list(workloads, (items) =>
        items.filter((w) => runsAs(w.podTemplate.spec)).map((w) => ({ kind: w.kind, name: w.name })),
      ),
      pods: list(ownPods, (items) =>
        items.map((p) => ({ name: p.metadata?.name ?? "", phase: p.status?.phase ?? null, injected: injectedInto(p) })),
      ),
    },
    podIdentityAssociations: {
      ...sectionOf(associations),
      items: ownAssociations.map((a) => ({ associationId: a.associationId, roleArn: a.roleArn ?? null })),
    },
    ...result,
  };
}
