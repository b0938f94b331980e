import { z } from "zod";
import { actionMatches, SECRET_GET_DATA_ACTION, scopeCovers } from "../diagnosis/aks/checks/access.js";
import type { IdentityFacts, RoleAssignmentFacts } from "../diagnosis/aks/facts.js";
import { sh } from "../diagnosis/aks/names.js";
import { type Check, type Gathered, runChecks, skipped, valueOf } from "../diagnosis/types.js";
import {
  clientIdOf,
  gathererFor,
  guidField,
  IdentitySchema,
  identityOf,
  identityOutput,
  renderStep,
  resourceIdField,
  SectionSchema,
  sectionOf,
  serviceAccountOf,
  stepShape,
} from "./step.js";
import { defineTool, ToolInputError } from "./define.js";
import { envFor } from "./platform.js";
import { k8sName, namespaceField } from "./schemas.js";

/** Built-in roles that carry a common data action, for a ready-to-paste fix. */
const ROLE_FOR_DATA_ACTION: Record<string, string> = {
  [SECRET_GET_DATA_ACTION.toLowerCase()]: "Key Vault Secrets User",
  "microsoft.storage/storageaccounts/blobservices/containers/blobs/read": "Storage Blob Data Reader",
  "microsoft.storage/storageaccounts/blobservices/containers/blobs/write": "Storage Blob Data Contributor",
};

interface Query {
  scope: string;
  role?: string;
  action?: string;
  dataAction?: string;
}

interface Verdict {
  granted: boolean;
  grantedBy: RoleAssignmentFacts[];
  excludedBy: { assignment: RoleAssignmentFacts; pattern: string }[];
}

/** Whether the assignments grant the role, action or data action at the scope (inherited from parents too). */
function evaluate(assignments: RoleAssignmentFacts[], q: Query): Verdict {
  const covering = assignments.filter((a) => scopeCovers(a.scope, q.scope));
  if (q.role) {
    const byName = covering.filter((a) => a.roleName.toLowerCase() === q.role!.toLowerCase());
    return { granted: byName.length > 0, grantedBy: byName, excludedBy: [] };
  }
  const data = q.dataAction !== undefined;
  const wanted = (q.dataAction ?? q.action)!;
  const grantedBy: RoleAssignmentFacts[] = [];
  const excludedBy: Verdict["excludedBy"] = [];
  for (const a of covering) {
    const allow = data ? a.dataActions : a.actions;
    const deny = (data ? a.notDataActions : a.notActions) ?? [];
    if (!allow.some((p) => actionMatches(p, wanted))) continue;
    const excluding = deny.find((p) => actionMatches(p, wanted));
    if (excluding) excludedBy.push({ assignment: a, pattern: excluding });
    else grantedBy.push(a);
  }
  return { granted: grantedBy.length > 0, grantedBy, excludedBy };
}

function queryCheck(q: Query, principalId: string, assignments: RoleAssignmentFacts[], v: Verdict): Check<null> {
  const asked = q.role ? `role "${q.role}"` : q.dataAction ? `data action ${q.dataAction}` : `action ${q.action}`;
  return {
    id: "rbac.role-missing",
    title: `The identity holds ${asked} at the scope`,
    run() {
      if (v.granted) return [];
      const role = q.role ?? ROLE_FOR_DATA_ACTION[(q.dataAction ?? q.action ?? "").toLowerCase()];
      return [
        {
          id: "rbac.role-missing",
          severity: "error",
          title: v.excludedBy.length
            ? `${asked} is excluded at ${q.scope} by ${v.excludedBy.map((e) => `${e.assignment.roleName}'s NotActions ${e.pattern}`).join(", ")}`
            : `No role assignment grants ${asked} at ${q.scope} or a parent scope (403 after a successful sign-in)`,
          evidence: {
            principalId,
            scope: q.scope,
            needs: q.role ?? q.dataAction ?? q.action,
            assignments: assignments.map((a) => `${a.roleName} @ ${a.scope}`),
            excludedBy: v.excludedBy.map((e) => `${e.assignment.roleName} @ ${e.assignment.scope}: ${e.pattern}`),
          },
          fix: {
            summary: `Assign ${role ? `"${role}"` : "a role that includes it"} on the scope to the identity's principal id.`,
            commands: [
              `az role assignment create --assignee-object-id ${sh(principalId)} --assignee-principal-type ServicePrincipal --role ${sh(role ?? "<role-name>")} --scope ${sh(q.scope)}`,
            ],
          },
        },
      ];
    },
  };
}

const AssignmentSchema = z.object({
  roleName: z.string(),
  scope: z.string(),
  roleDefinitionId: z.string().nullable(),
  actions: z.array(z.string()),
  dataActions: z.array(z.string()),
  notActions: z.array(z.string()),
  notDataActions: z.array(z.string()),
  coversScope: z.boolean().optional().describe("Applies at the asked scope (at it, or inherited from a parent)"),
  inherited: z.boolean().optional().describe("Assigned at a parent of the asked scope"),
});

export const checkRoleAssignments = defineTool({
  name: "check_role_assignments",
  example: { namespace: "payments", serviceAccount: "payments-api" },
  toolsets: ["aks"],
  summary: "The identity's roles and whether a role or action is granted at a resource.",
  title: "Check an identity's role assignments",
  description:
    "Use when the token exchange works but the workload gets 403 from an Azure resource. Name the identity by clientId, principalId, or namespace + serviceAccount. Returns its Azure RBAC role assignments (role, scope, actions, data actions). Give scope (a resource id) plus role, action or dataAction to learn whether it is granted there; a missing grant comes with the command that assigns it. Next: check_keyvault_access for a Key Vault.",
  inputSchema: z.object({
    clientId: guidField("Client id of the managed identity or app registration").optional(),
    principalId: guidField("Object id of the identity's service principal").optional(),
    namespace: namespaceField.optional().describe("Namespace of the service account whose identity to check"),
    serviceAccount: k8sName("service account")
      .optional()
      .describe("Service account whose client id names the identity"),
    scope: resourceIdField("Resource id to check access at, e.g. a Key Vault's id").optional(),
    role: z.string().min(1).max(256).optional().describe('Role name, e.g. "Key Vault Secrets User"'),
    action: z.string().min(1).max(512).optional().describe("Control-plane action, e.g. Microsoft.KeyVault/vaults/read"),
    dataAction: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe("Data action, e.g. Microsoft.KeyVault/vaults/secrets/getSecret/action"),
  }),
  outputSchema: z.object({
    principalId: z.string().nullable(),
    identity: SectionSchema.extend({ value: IdentitySchema.nullable() }),
    assignments: SectionSchema.extend({ items: z.array(AssignmentSchema) }),
    query: z
      .object({
        scope: z.string(),
        role: z.string().optional(),
        action: z.string().optional(),
        dataAction: z.string().optional(),
        granted: z.boolean().nullable().describe("null when the assignments could not be read"),
        grantedBy: z.array(z.object({ roleName: z.string(), scope: z.string(), inherited: z.boolean() })),
        excludedBy: z.array(z.object({ roleName: z.string(), scope: z.string(), notAction: z.string() })),
      })
      .nullable(),
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
    const selectors = [
      input.clientId && "clientId",
      input.principalId && "principalId",
      input.serviceAccount && "namespace + serviceAccount",
    ].filter((s): s is string => Boolean(s));
    if (selectors.length !== 1) {
      throw new ToolInputError(
        "clientId | principalId | namespace + serviceAccount",
        selectors.length ? "only one way to name the identity" : "one way to name the identity",
        selectors.length ? selectors : undefined,
      );
    }
    const asks = [input.role && "role", input.action && "action", input.dataAction && "dataAction"].filter(
      (s): s is string => Boolean(s),
    );
    if (asks.length > 1) throw new ToolInputError(asks.join(" | "), "one of role, action or dataAction per call", asks);
    if (asks.length && !input.scope) throw new ToolInputError("scope", `the resource id to check ${asks[0]} at`);

    const env = await envFor(ctx, "check_role_assignments", "aks");
    const g = gathererFor(env, ctx.signal);
    let identity: Gathered<IdentityFacts | null> = skipped("named by principal id");
    let principalId = input.principalId;
    if (!principalId) {
      let clientId = input.clientId;
      if (!clientId) {
        const sa = await serviceAccountOf(g, input.namespace!, input.serviceAccount!);
        clientId = clientIdOf(valueOf(sa));
        if (!clientId) {
          identity = skipped(
            sa.status !== "ok"
              ? sa.reason
              : sa.value
                ? `service account ${input.namespace}/${input.serviceAccount} names no valid client id`
                : `service account ${input.namespace}/${input.serviceAccount} does not exist`,
          );
        }
      }
      if (clientId) identity = await identityOf(g, { clientId });
      principalId = valueOf(identity)?.principalId || undefined;
    }
    const assignments: Gathered<RoleAssignmentFacts[]> = principalId
      ? await g.roleAssignments(principalId)
      : skipped(identity.status === "ok" ? "the identity was not found" : identity.reason);

    const list = valueOf(assignments);
    const q: Query | undefined = input.scope
      ? { scope: input.scope, role: input.role, action: input.action, dataAction: input.dataAction }
      : undefined;
    const asked = Boolean(q && asks.length);
    const verdict = asked && list ? evaluate(list, q!) : undefined;
    const result =
      verdict && principalId
        ? runChecks([queryCheck(q!, principalId, list!, verdict)], null)
        : {
            findings: [],
            checks: asked
              ? [
                  {
                    id: "rbac.role-missing",
                    status: "skipped" as const,
                    detail: assignments.status === "ok" ? "no assignments" : assignments.reason,
                  },
                ]
              : [],
          };

    const same = (a: string, b: string) => a.toLowerCase().replace(/\/$/, "") === b.toLowerCase().replace(/\/$/, "");
    const id = valueOf(identity);
    return {
      principalId: principalId ?? null,
      identity: { ...sectionOf(identity), value: id ? identityOutput(id) : null },
      assignments: {
        ...sectionOf(assignments),
        items: (list ?? []).map((a) => ({
          roleName: a.roleName,
          scope: a.scope,
          roleDefinitionId: a.roleDefinitionId ?? null,
          actions: a.actions,
          dataActions: a.dataActions,
          notActions: a.notActions ?? [],
          notDataActions: a.notDataActions ?? [],
          ...(q
            ? {
                coversScope: scopeCovers(a.scope, q.scope),
                inherited: scopeCovers(a.scope, q.scope) && !same(a.scope, q.scope),
              }
            : {}),
        })),
      },
      query: q
        ? {
            ...q,
            granted: verdict ? verdict.granted : null,
            grantedBy: (verdict?.grantedBy ?? []).map((a) => ({
              roleName: a.roleName,
              scope: a.scope,
              inherited: !same(a.scope, q.scope),
            })),
            excludedBy: (verdict?.excludedBy ?? []).map((e) => ({
              roleName: e.assignment.roleName,
              scope: e.assignment.scope,
              notAction: e.pattern,
            })),
          }
        : null,
      ...result,
    };
  },
  render(out) {
    const lines: string[] = [];
    if (!out.principalId) lines.push(`identity: ${out.identity.reason ?? "not found"}`);
    if (out.assignments.status !== "ok") lines.push(`assignments: ${out.assignments.reason}`);
    for (const a of out.assignments.items) lines.push(`${a.roleName} @ ${a.scope}${a.inherited ? " (inherited)" : ""}`);
    if (out.assignments.status === "ok" && !out.assignments.items.length) lines.push("no role assignments");
    const q = out.query;
    if (q && (q.role || q.action || q.dataAction)) {
      const what = q.role ?? q.dataAction ?? q.action;
      lines.push(
        `${what} at ${q.scope}: ${q.granted === null ? "unknown" : q.granted ? `granted by ${q.grantedBy.map((g) => g.roleName).join(", ")}` : "NOT granted"}`,
      );
    }
    const who = out.identity.value?.name ?? out.principalId ?? "the identity";
    return renderStep(`Role assignments of ${who}`, lines, out);
  },
});
