import { z } from "zod";
import { nearMissKeys } from "../diagnosis/aks/checks/service-account.js";
import { WI_CLIENT_ID, WI_TENANT_ID, WI_TOKEN_EXPIRATION, WI_USE_LABEL } from "../diagnosis/aks/names.js";
import { GUID_RE } from "../diagnosis/compare.js";
import { type Gathered, ok, valueOf } from "../diagnosis/types.js";
import { gather } from "../providers/errors.js";
import type { Workload } from "../providers/kubernetes.js";
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

const CHECKS = [
  "sa.not-found",
  "sa.annotation-typo",
  "sa.client-id-missing",
  "sa.client-id-malformed",
  "sa.token-expiration-invalid",
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

export const inspectServiceAccount = defineTool({
  name: "inspect_service_account",
  title: "Inspect a service account",
  description:
    "Use to check the Kubernetes side of the identity link: whether the service account exists, its " +
    "azure.workload.identity/client-id (must be the identity's client id GUID, not a resource id), tenant-id and " +
    "service-account-token-expiration (3600–86400) annotations, annotation keys that are almost right but ignored by the webhook " +
    "(client_id, azure.workload.identity.io/…), and which workloads and pods run as it. Needs no Azure credential. " +
    "Next: list_federated_credentials with the client id, or inspect_workload for a pod that uses it.",
  inputSchema: z.object({
    namespace: namespaceField,
    serviceAccount: k8sName("service account"),
  }),
  outputSchema: z.object({
    namespace: z.string(),
    serviceAccount: z.string(),
    read: SectionSchema.describe("Whether the service account could be read"),
    exists: z.boolean().nullable(),
    annotations: z.object({
      clientId: AnnotationSchema,
      tenantId: AnnotationSchema,
      tokenExpiration: AnnotationSchema,
    }),
    nearMissKeys: z.array(z.object({ key: z.string(), meant: z.string(), value: z.string() })),
    usedBy: z.object({
      workloads: SectionSchema.extend({
        items: z.array(z.object({ kind: z.string(), name: z.string(), podTemplateLabelled: z.boolean() })),
      }),
      pods: SectionSchema.extend({
        items: z.array(z.object({ name: z.string(), phase: z.string().nullable(), labelled: z.boolean() })),
      }),
    }),
    ...stepShape,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(input, ctx) {
    const env = await ctx.env();
    const g = gathererFor(env, ctx.signal);
    const { namespace, serviceAccount } = input;
    const [sa, workloads, pods] = await Promise.all([
      serviceAccountOf(g, namespace, serviceAccount),
      gather<Workload[]>("workloads", () => g.kube.listWorkloads(namespace, g.signal)),
      gather("pods", () => g.kube.listPods(namespace, {}, g.signal)),
    ]);
    const runsAs = (spec: { serviceAccountName?: string } | undefined) =>
      (spec?.serviceAccountName ?? "default") === serviceAccount;
    const ownPods = pods.status === "ok" ? ok(pods.value.filter((p) => runsAs(p.spec))) : pods;

    const facts = partialFacts(
      env,
      { namespace, serviceAccount },
      { serviceAccountName: serviceAccount, serviceAccount: sa, pods: ownPods },
    );
    const result = runAksChecks(facts, CHECKS);

    const account = valueOf(sa);
    const ann = account?.metadata?.annotations ?? {};
    const list = <T, U>(g: Gathered<T[]>, map: (items: T[]) => U[]) => ({
      ...sectionOf(g),
      items: map(valueOf(g) ?? []),
    });
    return {
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
        tokenExpiration: annotation(WI_TOKEN_EXPIRATION, ann[WI_TOKEN_EXPIRATION], false, (v) => {
          const n = Number(v);
          return Number.isInteger(n) && n >= 3600 && n <= 86400
            ? undefined
            : "must be whole seconds from 3600 to 86400";
        }),
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
    const show = (x: z.infer<typeof AnnotationSchema>) => `${x.value ?? "(none)"}${x.problem ? ` — ${x.problem}` : ""}`;
    const lines = [
      out.exists === null ? `could not read: ${out.read.reason}` : out.exists ? "exists" : "does not exist",
      `client-id: ${show(a.clientId)}`,
      `tenant-id: ${show(a.tenantId)}`,
      `token-expiration: ${show(a.tokenExpiration)}`,
      ...out.nearMissKeys.map((k) => `ignored key ${k.key} (meant ${k.meant})`),
      `used by: ${out.usedBy.workloads.items.map((w) => `${w.kind}/${w.name}`).join(", ") || "no workloads"}; ${out.usedBy.pods.items.length} pod(s)`,
    ];
    return renderStep(`Service account ${out.namespace}/${out.serviceAccount}`, lines, out);
  },
});
