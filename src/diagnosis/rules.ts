// Domain rules more than one part of the house reads (the checks, the gatherers, the step tools), written once.
// Pure: no I/O.
import type { Platform } from "./types.js";

/**
 * The service-account token lifetimes the mutating webhooks accept, in seconds: Azure Workload Identity's
 * azure.workload.identity/service-account-token-expiration and the EKS pod identity webhook's
 * eks.amazonaws.com/token-expiration.
 */
export const TOKEN_EXPIRATION_RANGE: Record<Platform, { min: number; max: number }> = {
  aks: { min: 3600, max: 86400 },
  eks: { min: 600, max: 86400 },
};

/** Whether an annotation value is a whole number of seconds the platform's webhook accepts. */
export function tokenExpirationValid(platform: Platform, raw: string): boolean {
  const { min, max } = TOKEN_EXPIRATION_RANGE[platform];
  // As the checks read them: AKS takes any integer-valued number, EKS whole digits only.
  const n = Number(raw);
  if (platform === "eks" ? !/^\d+$/.test(raw.trim()) : !Number.isInteger(n)) return false;
  return n >= min && n <= max;
}

/** Why an expiration annotation is refused, or undefined when it is accepted. */
export function tokenExpirationProblem(platform: Platform, raw: string): string | undefined {
  const { min, max } = TOKEN_EXPIRATION_RANGE[platform];
  return tokenExpirationValid(platform, raw) ? undefined : `must be whole seconds from ${min} to ${max}`;
}

interface SecurityContextLike {
  runAsUser?: number;
  runAsNonRoot?: boolean;
}

/**
 * The user a container runs as (its runAsUser, else the pod's) and whether that is a non-root user: the uid is not
 * 0, or runAsNonRoot is set without naming a user (the kubelet then refuses images that would run as root).
 */
export function effectiveUser(
  pod: { spec?: { securityContext?: SecurityContextLike } },
  container: { securityContext?: SecurityContextLike },
): { uid?: number; nonRoot: boolean } {
  const uid = container.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
  const nonRoot = container.securityContext?.runAsNonRoot ?? pod.spec?.securityContext?.runAsNonRoot ?? false;
  return { uid, nonRoot: (uid !== undefined && uid !== 0) || (uid === undefined && nonRoot) };
}

/** Whether a container runs as a non-root user (effectiveUser). */
export function runsAsNonRoot(
  pod: { spec?: { securityContext?: SecurityContextLike } },
  container: { securityContext?: SecurityContextLike },
): boolean {
  return effectiveUser(pod, container).nonRoot;
}
