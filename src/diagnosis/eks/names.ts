// EKS names: annotation keys, injected variables, and the real names that go into fix commands.
import { valueOf } from "../types.js";
import { parseRoleArn, partitionForRegion, providerArnFor, providerUrlOf, serviceAccountSubject } from "./arn.js";
import type { EksFacts, PodLike } from "./facts.js";
import { evaluateIrsaTrust, type TrustEvaluation } from "./trust-policy.js";

export const ROLE_ARN_KEY = "eks.amazonaws.com/role-arn";
export const AUDIENCE_KEY = "eks.amazonaws.com/audience";
export const STS_REGIONAL_KEY = "eks.amazonaws.com/sts-regional-endpoints";
export const TOKEN_EXPIRATION_KEY = "eks.amazonaws.com/token-expiration";
export const SKIP_CONTAINERS_KEY = "eks.amazonaws.com/skip-containers";
export const SKIP_WEBHOOK_LABEL = "eks.amazonaws.com/skip-pod-identity-webhook";
export const KNOWN_SA_KEYS = [ROLE_ARN_KEY, AUDIENCE_KEY, STS_REGIONAL_KEY, TOKEN_EXPIRATION_KEY, SKIP_CONTAINERS_KEY];

export const DEFAULT_AUDIENCE = "sts.amazonaws.com";
export const WEBHOOK_MWC = "pod-identity-webhook";
export const AGENT_DAEMONSET = "eks-pod-identity-agent";
export const AGENT_NAMESPACE = "kube-system";
export const IRSA_TOKEN_DIR = "/var/run/secrets/eks.amazonaws.com/serviceaccount";
export const IRSA_TOKEN_FILE = `${IRSA_TOKEN_DIR}/token`;
/** The webhook's code names the volume aws-iam-token; its README shows aws-token. Both are seen in the wild. */
export const IRSA_VOLUMES = ["aws-iam-token", "aws-token"];
export const POD_IDENTITY_URI = "http://169.254.170.23/v1/credentials";
export const POD_IDENTITY_TOKEN_FILE = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token";
export const POD_IDENTITY_AUDIENCE = "pods.eks.amazonaws.com";

import { sh } from "../command.js";
export { sh };

export function annotationsOf(f: EksFacts): Record<string, string> {
  return valueOf(f.serviceAccount)?.annotations ?? {};
}

export function roleArnAnnotation(f: EksFacts): string | undefined {
  return annotationsOf(f)[ROLE_ARN_KEY];
}

export function audienceOf(f: EksFacts): string {
  return annotationsOf(f)[AUDIENCE_KEY] || DEFAULT_AUDIENCE;
}

/** The audience annotation when it asks for something other than the platform's default, else undefined. */
export function customAudience(f: EksFacts): string | undefined {
  const v = annotationsOf(f)[AUDIENCE_KEY];
  return v && v !== DEFAULT_AUDIENCE ? v : undefined;
}

/**
 * The fix for an audience the AWS side does not expect when the annotation deviates from the default: the
 * annotation is what is wrong (nobody configured the custom value elsewhere), so removing it comes first; making
 * the AWS side accept the custom value is the alternative.
 */
export function customAudienceFix(f: EksFacts, awsSide: { summary: string; commands: string[] }) {
  const n = names(f);
  const custom = customAudience(f) ?? "";
  return {
    summary: `Remove the service account's ${AUDIENCE_KEY} annotation ("${custom}"): the token then carries the default audience ${DEFAULT_AUDIENCE}, which the AWS side expects. Then restart the pods.`,
    commands: [`kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${AUDIENCE_KEY}-`],
    alternatives: [{ summary: `Or, if "${custom}" is intended: ${awsSide.summary}`, commands: awsSide.commands }],
  };
}

/**
 * Which mechanism the pods of the service account get. With both an annotation and an association the webhook
 * injects only the Pod Identity variables, so the IRSA path is never used and its checks would speak of nothing.
 */
export function mechanismOf(f: EksFacts): "irsa" | "pod-identity" | "none" {
  if (serviceAccountAssociations(f).length) return "pod-identity";
  if (roleArnAnnotation(f) !== undefined) return "irsa";
  return "none";
}

/** What the webhook injects into new pods: with an association, Pod Identity wins over the annotation. */
export function injectionOf(f: EksFacts): "irsa" | "pod-identity" | "none" {
  return mechanismOf(f);
}

/** Pod Identity associations for exactly this namespace and service account. */
export function serviceAccountAssociations(f: EksFacts) {
  const sa = f.serviceAccountName ?? f.target.serviceAccount;
  return (valueOf(f.associations) ?? []).filter((a) => a.namespace === f.target.namespace && a.serviceAccount === sa);
}

export function names(f: EksFacts) {
  const cluster = valueOf(f.cluster) ?? undefined;
  const ns = f.target.namespace;
  const sa = f.serviceAccountName ?? f.target.serviceAccount ?? "<service-account>";
  const region = cluster?.region ?? f.region ?? "<region>";
  const accountId = valueOf(f.accountId) ?? "<account-id>";
  const issuer = valueOf(f.token)?.iss ?? valueOf(f.issuer) ?? cluster?.issuer ?? "<cluster-oidc-issuer>";
  const roleArn = roleArnAnnotation(f);
  const role = roleArn ? parseRoleArn(roleArn.trim()) : undefined;
  const partition = role?.partition ?? partitionForRegion(cluster?.region ?? f.region);
  return {
    namespace: ns,
    serviceAccount: sa,
    subject: serviceAccountSubject(ns, sa),
    clusterName: cluster?.name ?? "<cluster-name>",
    clusterArn: cluster?.arn,
    region,
    accountId,
    issuer,
    providerUrl: providerUrlOf(issuer),
    /** STS looks the provider up in the role's account. */
    providerArn: providerArnFor(role?.account ?? accountId, issuer, partition),
    roleArn: roleArn ?? `arn:${partition}:iam::${accountId}:role/<role-name>`,
    roleName: role?.roleName ?? "<role-name>",
    roleAccount: role?.account,
    audience: audienceOf(f),
  };
}

const evaluations = new WeakMap<EksFacts, TrustEvaluation | undefined>();

/** The IRSA role's trust policy evaluated for this service account's token (memoised per facts). */
export function irsaEvaluation(f: EksFacts): TrustEvaluation | undefined {
  if (evaluations.has(f)) return evaluations.get(f);
  const role = valueOf(f.irsaRole);
  let result: TrustEvaluation | undefined;
  if (role?.trustPolicy) {
    const n = names(f);
    const token = valueOf(f.token);
    const provider = valueOf(f.oidcProvider);
    const aud = token?.aud.find((a) => provider?.clientIds.includes(a)) ?? token?.aud[0] ?? n.audience;
    result = evaluateIrsaTrust(role.trustPolicy, {
      providerArn: n.providerArn,
      claims: { iss: n.issuer, sub: token?.sub ?? n.subject, aud },
    });
  }
  evaluations.set(f, result);
  return result;
}

export function podName(p: PodLike): string {
  return p.metadata?.name ?? "<pod>";
}

export function createdAt(p: { creationTimestamp?: Date | string } | undefined): number | undefined {
  const t = p?.creationTimestamp;
  if (!t) return undefined;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

export function envOf(c: { env?: { name: string; value?: string }[] }, name: string): string | undefined {
  return c.env?.find((e) => e.name === name)?.value;
}

export function hasEnv(c: { env?: { name: string }[] }, name: string): boolean {
  return c.env?.some((e) => e.name === name) ?? false;
}

/** Containers the webhook mutates: all, minus those named in the skip-containers annotation. */
export function mutableContainers(p: PodLike, saAnnotations: Record<string, string>) {
  const skip = new Set(
    (p.metadata?.annotations?.[SKIP_CONTAINERS_KEY] ?? saAnnotations[SKIP_CONTAINERS_KEY] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );
  return [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].filter((c) => !skip.has(c.name));
}
