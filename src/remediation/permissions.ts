// Before a cloud write: may the operator make it? ARM answers the caller's effective permissions at a scope
// (GET {scope}/providers/Microsoft.Authorization/permissions: actions minus notActions, per role, wildcards
// allowed); IAM simulates the caller's policies for an action on a resource (sts:GetCallerIdentity, then
// iam:SimulatePrincipalPolicy). When the question itself cannot be answered, the write is not blocked: the API
// refuses it then, and the refusal names the permission.
import { wildcardMatches } from "../diagnosis/wildcard.js";
import type { AzureProvider } from "../providers/azure.js";
import type { Environment } from "../providers/environment.js";
import { simulateOperator } from "../providers/writes/aws.js";

export interface MayWrite {
  allowed: boolean;
  /** The permission found missing, or why it could not be told. */
  reason?: string;
}

export interface ArmPermission {
  actions?: string[];
  notActions?: string[];
}

const AUTHORIZATION_API = "2022-04-01";

/** ARM's evaluation: some permission's actions match the action and the same permission's notActions do not. */
export function armActionPermitted(permissions: readonly ArmPermission[], action: string): boolean {
  const m = (p: string) => wildcardMatches(p, action, { ignoreCase: true, slashStarSlashOptional: true });
  return permissions.some((p) => (p.actions ?? []).some(m) && !(p.notActions ?? []).some(m));
}

export async function armMayWrite(
  provider: AzureProvider,
  scope: string,
  action: string,
  signal: AbortSignal,
): Promise<MayWrite> {
  const path = `${scope.replace(/\/+$/, "")}/providers/Microsoft.Authorization/permissions?api-version=${AUTHORIZATION_API}`;
  let page: { value?: ArmPermission[] } | null;
  try {
    page = (await provider.armRequest(
      "roleAssignments.read",
      `read the operator's permissions at ${scope}`,
      path,
      { method: "GET" },
      signal,
    )) as { value?: ArmPermission[] } | null;
  } catch (err) {
    return { allowed: true, reason: `the permissions at ${scope} could not be read (${(err as Error).message})` };
  }
  if (!page?.value) return { allowed: true, reason: `the permissions at ${scope} could not be read` };
  return armActionPermitted(page.value, action)
    ? { allowed: true }
    : { allowed: false, reason: `missing ${action} at ${scope}: no role of the operator grants it there` };
}

/** The IAM principal a caller ARN stands for: an assumed role's session is simulated as the role. */
export function simulationSource(callerArn: string): string | undefined {
  const assumed = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  if (assumed) return `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}`;
  // The account root is allowed everything and cannot be simulated.
  if (/:root$/.test(callerArn)) return undefined;
  return /^arn:aws[a-z-]*:iam::\d{12}:(user|role)\//.test(callerArn) ? callerArn : undefined;
}

export async function iamMayWrite(
  env: Environment,
  checks: { action: string; resource: string }[],
  signal: AbortSignal,
): Promise<MayWrite> {
  try {
    const results = await simulateOperator(env, checks, simulationSource, signal);
    if (!results) return { allowed: true };
    const denied = results.filter((r) => r.decision !== "allowed");
    return denied.length
      ? {
          allowed: false,
          reason: `missing ${denied.map((d) => `${d.action} on ${d.resource} (${d.decision})`).join(", ")}`,
        }
      : { allowed: true };
  } catch (err) {
    return {
      allowed: true,
      reason: `the operator's IAM permissions could not be simulated (${(err as Error).message})`,
    };
  }
}
