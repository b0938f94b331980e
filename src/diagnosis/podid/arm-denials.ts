// ARM's authorization refusals as MIC logs them when it updates a scale set's identities: what was refused,
// at which scope, for which principal, and the built-in role that grants it. Pure text reading, no I/O.
import { ASSIGN_ACTION } from "./roles.js";

export const SUBNET_JOIN_ACTION = "Microsoft.Network/virtualNetworks/subnets/join/action";

export interface ArmDenial {
  code: "AuthorizationFailed" | "LinkedAuthorizationFailed";
  /** The action refused. */
  action?: string;
  /** The scope it was refused at: the linked resource (identity, subnet) or the resource itself. */
  scope?: string;
  /** The resource MIC was writing, when ARM names it (LinkedAuthorizationFailed). */
  writing?: string;
  clientId?: string;
  objectId?: string;
  /** LinkedAuthorizationFailed across tenants: the subscription the caller's tenant may not reach. */
  linkedSubscription?: string;
  /** The MIC log line it was read from (the pod's name first). */
  line: string;
}

/** One single-quoted value, as ARM's messages quote actions, scopes and ids. */
const Q = "'([^']+)'";
const CLIENT = new RegExp(`client ${Q} with object id ${Q}`);
const LINKED = new RegExp(
  `has permission to perform action ${Q} on scope ${Q}; however, it does not have permission to perform action ${Q} on the linked scope\\(s\\) ${Q}`,
);
const LINKED_TENANT = /is not authorized to access linked subscription '([^']+)'/;
const DENIED = new RegExp(`does not have authorization to perform action ${Q} over scope ${Q}`);

/** Every ARM refusal in these log lines, one per (action, scope), first occurrence kept. */
export function readDenials(lines: string[]): ArmDenial[] {
  const out: ArmDenial[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const client = CLIENT.exec(line);
    const who = client ? { clientId: client[1], objectId: client[2] } : {};
    const found: ArmDenial[] = [];
    if (/LinkedAuthorizationFailed/.test(line)) {
      const m = LINKED.exec(line);
      const tenant = LINKED_TENANT.exec(line);
      if (m) {
        for (const scope of m[4]
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean))
          found.push({ code: "LinkedAuthorizationFailed", writing: m[2], action: m[3], scope, ...who, line });
      } else if (tenant) {
        found.push({ code: "LinkedAuthorizationFailed", linkedSubscription: tenant[1], ...who, line });
      }
    } else if (/AuthorizationFailed/.test(line)) {
      const m = DENIED.exec(line);
      if (m) found.push({ code: "AuthorizationFailed", action: m[1], scope: m[2], ...who, line });
    }
    for (const d of found) {
      const key = `${d.code} ${d.action ?? ""} ${(d.scope ?? d.linkedSubscription ?? "").toLowerCase()}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(d);
    }
  }
  return out;
}

/** The built-in role aad-pod-identity's documentation (and ARM's role definitions) name for a refused action. */
export function roleFor(action: string | undefined): string | undefined {
  if (!action) return undefined;
  const a = action.toLowerCase();
  if (a === ASSIGN_ACTION.toLowerCase()) return "Managed Identity Operator";
  if (a.startsWith("microsoft.compute/virtualmachinescalesets/") || a.startsWith("microsoft.compute/virtualmachines/"))
    return "Virtual Machine Contributor";
  if (a === SUBNET_JOIN_ACTION.toLowerCase()) return "Network Contributor";
  return undefined;
}

/** What kind of thing a scope is, in words. */
export function scopeKind(scope: string): string {
  const s = scope.toLowerCase();
  if (s.includes("/providers/microsoft.managedidentity/userassignedidentities/")) return "user-assigned identity";
  if (s.includes("/subnets/")) return "subnet";
  if (s.includes("/providers/microsoft.compute/virtualmachinescalesets/")) return "VM scale set";
  if (/\/resourcegroups\/[^/]+$/.test(s)) return "resource group";
  return "scope";
}

/** The resource group a scope lies in ("" for a subscription scope). */
export function resourceGroupOf(scope: string): string {
  return /\/resourcegroups\/([^/]+)/i.exec(scope)?.[1] ?? "";
}
