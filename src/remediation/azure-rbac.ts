// Plan for an Azure role assignment (ARM PUT {scope}/providers/Microsoft.Authorization/roleAssignments/{guid}),
// the write `az role assignment create` makes. The assignment's name is a GUID derived from the scope, the principal
// and the role, so a dry run and its apply plan the same request, and a second apply finds the assignment in place.
import { createHash } from "node:crypto";
import { cmd } from "../diagnosis/command.js";
import { ProviderError } from "../providers/errors.js";
import {
  azureProvider,
  createRoleAssignment,
  deleteRoleAssignment,
  findRoleDefinitionId,
} from "../providers/writes/azure.js";
import { contentVersion, type PlanContext, type WritePlan } from "./contract.js";
import { armMayWrite } from "./permissions.js";

export interface RoleAssignmentArgs {
  principalId: string;
  role: string;
  scope: string;
  principalType?: "ServicePrincipal" | "User" | "Group";
  /** Delete the assignment of the role to the principal at exactly this scope instead. */
  remove?: boolean;
  /** The workload whose diagnosis is re-run after the write. */
  namespace?: string;
  serviceAccount?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const lower = (s: string) => s.toLowerCase();
const trimScope = (s: string) => s.replace(/\/+$/, "") || "/";

/** A name-based GUID (RFC 4122 version 5 layout) of the assignment's scope, principal and role. */
export function assignmentName(scope: string, principalId: string, roleId: string): string {
  const h = createHash("sha1")
    .update(`${lower(trimScope(scope))}|${lower(principalId)}|${lower(roleId)}`)
    .digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The scope is at or below the assignment's scope (an assignment is inherited by everything under it). */
function covers(assignmentScope: string, scope: string): boolean {
  const a = lower(trimScope(assignmentScope));
  const s = lower(trimScope(scope));
  return a === "/" || s === a || s.startsWith(`${a}/`);
}

export async function planRoleAssignment(args: RoleAssignmentArgs, ctx: PlanContext): Promise<WritePlan> {
  const provider = azureProvider(ctx.env);
  const scope = trimScope(args.scope);
  const principalType = args.principalType ?? "ServicePrincipal";
  const roleDefinitionId = GUID.test(args.role)
    ? `/subscriptions/${/^\/subscriptions\/([^/]+)/i.exec(scope)?.[1] ?? ""}/providers/Microsoft.Authorization/roleDefinitions/${lower(args.role)}`
    : await findRoleDefinitionId(provider, args.role, scope, ctx.signal);
  if (!roleDefinitionId)
    throw new ProviderError("not-found", `no role definition named "${args.role}" at ${scope}`, 404);
  const roleId = lower(roleDefinitionId.split("/").pop() ?? "");
  const assignments = await provider.listRoleAssignments(args.principalId, ctx.signal);
  const held = assignments.find(
    (a) => lower(a.roleDefinitionId.split("/").pop() ?? "") === roleId && covers(a.scope, scope),
  );
  if (args.remove) {
    const exact = assignments.find(
      (a) => lower(a.roleDefinitionId.split("/").pop() ?? "") === roleId && lower(trimScope(a.scope)) === lower(scope),
    );
    return planRemoval(args, { provider, scope, roleDefinitionId, principalType, exact, assignments });
  }
  const name = assignmentName(scope, args.principalId, roleId);
  const url = `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
  const body = { properties: { roleDefinitionId, principalId: args.principalId, principalType } };
  const after = { role: args.role, roleDefinitionId, principalId: args.principalId, scope: held?.scope ?? scope };
  const create = cmd`az role assignment create --assignee-object-id ${args.principalId} --assignee-principal-type ${principalType} --role ${args.role} --scope ${scope}`;
  return {
    target: url,
    action: held ? "none" : "create",
    summary: held
      ? `keep: ${args.principalId} already holds ${args.role} at ${held.scope}, which covers ${scope}`
      : `assign ${args.role} to principal ${args.principalId} at ${scope}`,
    // Role assignments carry no ETag: the version is a hash of the principal's assignments.
    version: contentVersion(assignments.map((a) => [lower(a.id), lower(a.scope), lower(a.roleDefinitionId)]).sort()),
    change: { api: "arm", method: "PUT", url, body },
    before: held ? after : null,
    after,
    commands: held ? [] : [create],
    undo: held
      ? { commands: [] }
      : {
          tool: "create_role_assignment",
          arguments: { principalId: args.principalId, role: args.role, scope, remove: true },
          commands: [
            cmd`az role assignment delete --assignee ${args.principalId} --role ${args.role} --scope ${scope}`,
          ],
          note: "deleting the assignment removes the access it granted",
        },
    permission: `Microsoft.Authorization/roleAssignments/write on ${scope} (e.g. User Access Administrator or Role Based Access Control Administrator)`,
    mayWrite: (signal) => armMayWrite(provider, scope, "Microsoft.Authorization/roleAssignments/write", signal),
    apply: (signal) => createRoleAssignment(provider, url, body, signal),
    // Entra and the data plane see a new role assignment after a while (up to minutes).
    propagates: true,
    ...(args.namespace && args.serviceAccount
      ? {
          verify: {
            target: { namespace: args.namespace, serviceAccount: args.serviceAccount },
            fixes: ["rbac.role-missing"],
          },
        }
      : {}),
  };
}

/** `remove: true`: DELETE the assignment of the role at exactly this scope (one inherited from above stays). */
function planRemoval(
  args: RoleAssignmentArgs,
  p: {
    provider: ReturnType<typeof azureProvider>;
    scope: string;
    roleDefinitionId: string;
    principalType: string;
    exact?: { id: string; scope: string };
    assignments: { id: string; scope: string; roleDefinitionId: string }[];
  },
): WritePlan {
  const before = p.exact
    ? { role: args.role, roleDefinitionId: p.roleDefinitionId, principalId: args.principalId, scope: p.exact.scope }
    : null;
  const id = p.exact?.id ?? `${p.scope}/providers/Microsoft.Authorization/roleAssignments/<none>`;
  return {
    target: id,
    action: p.exact ? "delete" : "none",
    summary: p.exact
      ? `remove ${args.role} from principal ${args.principalId} at ${p.scope}`
      : `keep: principal ${args.principalId} holds no ${args.role} assignment at exactly ${p.scope}`,
    version: contentVersion(p.assignments.map((a) => [lower(a.id), lower(a.scope), lower(a.roleDefinitionId)]).sort()),
    change: { api: "arm", method: "DELETE", url: id },
    before,
    after: null,
    commands: p.exact
      ? [cmd`az role assignment delete --assignee ${args.principalId} --role ${args.role} --scope ${p.scope}`]
      : [],
    undo: p.exact
      ? {
          tool: "create_role_assignment",
          arguments: { principalId: args.principalId, role: args.role, scope: p.scope, principalType: p.principalType },
          commands: [
            cmd`az role assignment create --assignee-object-id ${args.principalId} --assignee-principal-type ${p.principalType} --role ${args.role} --scope ${p.scope}`,
          ],
        }
      : { commands: [] },
    permission: `Microsoft.Authorization/roleAssignments/delete on ${p.scope}`,
    mayWrite: (signal) => armMayWrite(p.provider, p.scope, "Microsoft.Authorization/roleAssignments/delete", signal),
    apply: (signal) => deleteRoleAssignment(p.provider, id, signal),
  };
}
