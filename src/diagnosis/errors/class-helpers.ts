// What the cause classes' explanations and fixes share: tool arguments and command values from the error text.
import { type CommandValue, cmd, placeholder, raw, sh } from "../command.js";
import type { ErrorPlatform, Extracted } from "./vocabulary.js";

/** A value for a command, or a <placeholder> for the user to fill in when the error text did not hold it. */
export const ph = (value: string | undefined, what: string): CommandValue => value ?? placeholder(what);
export const subjectText = (x: Extracted) =>
  x.subject ?? `system:serviceaccount:${x.namespace ?? "<namespace>"}:${x.serviceAccount ?? "<service-account>"}`;
/** The subject as one shell word: quoted when known, with <placeholders> for the parts that are not. */
export const subjectArg = (x: Extracted): CommandValue =>
  x.subject ??
  (x.namespace && x.serviceAccount
    ? `system:serviceaccount:${x.namespace}:${x.serviceAccount}`
    : raw(
        `system:serviceaccount:${x.namespace ? sh(x.namespace) : "<namespace>"}:${x.serviceAccount ? sh(x.serviceAccount) : "<service-account>"}`,
      ));
export const roleNameOf = (x: Extracted): CommandValue =>
  x.roleArn ? x.roleArn.slice(x.roleArn.lastIndexOf("/") + 1) : placeholder("role-name");
export const discoveryUrl = (x: Extracted): CommandValue => {
  const base = x.issuer ?? x.providerUrl;
  if (!base) return raw("<issuer-url>/.well-known/openid-configuration");
  return `${/^https:\/\//.test(base) ? "" : "https://"}${base.replace(/\/$/, "")}/.well-known/openid-configuration`;
};
export const isAws = (p: ErrorPlatform) => p === "eks-irsa" || p === "eks-pod-identity";

/** Tool arguments with the values we know; required ones we do not know become <placeholders>. */
export function args(
  x: Extracted,
  required: (keyof Extracted)[],
  optional: (keyof Extracted)[] = [],
): Record<string, string> {
  const out: Record<string, string> = {};
  const names: Partial<Record<keyof Extracted, string>> = { vault: "vaultName" };
  for (const k of required) out[names[k] ?? k] = x[k] ?? `<${k}>`;
  for (const k of optional) if (x[k]) out[names[k] ?? k] = x[k] as string;
  return out;
}

export const restartWorkload = (x: Extracted) =>
  cmd`kubectl rollout restart deployment/<deployment> -n ${ph(x.namespace, "namespace")}`;

/**
 * A user-assigned identity's ARM resource id, split: the subject the AKS identity binding proxy presents to Entra
 * (and the subject of the credential aks-identity-binding AKS keeps for it).
 */
export function identityResourceId(value: string | undefined) {
  const m =
    value &&
    /^\/subscriptions\/([0-9a-fA-F-]{36})\/resourceGroups\/([A-Za-z0-9._()-]{1,90})\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/([A-Za-z0-9][A-Za-z0-9_-]{0,127})$/i.exec(
      value,
    );
  return m ? { subscription: m[1], resourceGroup: m[2], name: m[3] } : undefined;
}
