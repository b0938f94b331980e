// What the SDK in the pod does: which mechanism its default credential chain picks when a container carries both
// IRSA's and Pod Identity's variables, and whether its version reads Pod Identity credentials at all.
import type { Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import type { ContainerLike, EksFacts, PodLike } from "../facts.js";
import { envOf, hasEnv, names, podName, roleArnAnnotation, serviceAccountAssociations, sh } from "../names.js";
import { DEFAULT_CHAIN_ORDER, POD_IDENTITY_MINIMUM_SDK, POD_IDENTITY_SDK_DOC, sdkOfContainer } from "../sdk-support.js";
import { eksCheck, podIdentity } from "./define.js";

const usesPodIdentity = (c: ContainerLike) => hasEnv(c, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
const usesWebIdentity = (c: ContainerLike) => hasEnv(c, "AWS_ROLE_ARN") && hasEnv(c, "AWS_WEB_IDENTITY_TOKEN_FILE");

function containersOf(f: EksFacts): { pod: PodLike; c: ContainerLike }[] {
  const sa = f.serviceAccountName ?? f.target.serviceAccount;
  return (valueOf(f.pods) ?? [])
    .filter((p) => (p.spec?.serviceAccountName || "default") === sa)
    .flatMap((pod) => [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => ({ pod, c })));
}

/** The mechanism a container's SDK uses, by the default chain's order: static keys, web identity, container. */
function servedBy(c: ContainerLike): "static keys" | "IRSA" | "EKS Pod Identity" | undefined {
  if (hasEnv(c, "AWS_ACCESS_KEY_ID") && hasEnv(c, "AWS_SECRET_ACCESS_KEY")) return "static keys";
  if (usesWebIdentity(c)) return "IRSA";
  if (usesPodIdentity(c)) return "EKS Pod Identity";
  return undefined;
}

/** Whether the IRSA path the container would use is known to fail (missing role, refused exchange). */
function irsaBroken(f: EksFacts, roleArn: string | undefined): string | undefined {
  if (!roleArn || roleArn.trim() !== roleArnAnnotation(f)?.trim()) return undefined;
  if (f.irsaRole.status === "ok" && !f.irsaRole.value) return `the role ${roleArn} does not exist`;
  const x = valueOf(f.exchange);
  if (x && !x.ok) return `STS refuses the exchange: ${x.code}`;
  return undefined;
}

export const podIdentityMechanismServed = eksCheck({
  id: "eks.pod-identity-mechanism-served",
  doc: {
    severity: "error (info when the path it gets is not known to fail)",
    meaning:
      "Which mechanism a container's SDK actually uses: static keys, then web identity (`AWS_ROLE_ARN` + `AWS_WEB_IDENTITY_TOKEN_FILE`), then the container provider Pod Identity uses, the order of the JavaScript v3, botocore, Go v2 and Java v2 default chains. A container with both sets gets IRSA, not the association; error when that IRSA path is broken.",
    symptom: "the IRSA role (or its error) instead of the association's",
  },
  severity: "error",
  title: "The pods' SDK uses the mechanism the service account is set up for",
  skippedBecause(f) {
    if (!podIdentity(f)) return "the service account has no Pod Identity association";
    if (f.pods.status !== "ok") return `the pods could not be read: ${f.pods.reason}`;
    return undefined;
  },
  run(f) {
    const findings: Finding[] = [];
    const both = roleArnAnnotation(f) !== undefined;
    for (const { pod, c } of containersOf(f)) {
      const served = servedBy(c);
      // A container with IRSA's variables only predates the association: pod.restart-needed speaks for it.
      if (!served || !usesPodIdentity(c) || (!both && served === "EKS Pod Identity")) continue;
      const roleArn = envOf(c, "AWS_ROLE_ARN");
      const broken = served === "IRSA" ? irsaBroken(f, roleArn) : undefined;
      const shadowed = served !== "EKS Pod Identity" && usesPodIdentity(c);
      findings.push({
        id: this.id,
        // A shadowed association is pod.aws-env-preset's finding; this one adds which path serves and whether it works.
        severity: broken ? "error" : "info",
        title: shadowed
          ? `Container ${c.name} of ${podName(pod)} gets ${served}, not the Pod Identity association: its variables come first in the SDK's default chain${broken ? `, and ${broken}` : ""}`
          : `Container ${c.name} of ${podName(pod)} gets ${served} credentials`,
        evidence: {
          pod: podName(pod),
          container: c.name,
          servedBy: served,
          irsaRoleArn: roleArn,
          podIdentityRoleArn: serviceAccountAssociations(f)[0]?.roleArn,
          podIdentityVariables: usesPodIdentity(c),
          webIdentityVariables: usesWebIdentity(c),
          defaultChainOrder: DEFAULT_CHAIN_ORDER,
          ...(broken ? { irsaProblem: broken } : {}),
        },
        fix: {
          summary: shadowed
            ? "Remove AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE (and any key pair) from the pod template so the SDK falls through to the Pod Identity credentials, then roll the pods."
            : "Nothing to change for this container; remove the configuration it does not use to keep one mechanism.",
          commands: [
            `kubectl get pod ${sh(podName(pod))} -n ${sh(names(f).namespace)} -o jsonpath='{.spec.containers[*].env[*].name}'`,
          ],
        },
      });
    }
    return findings;
  },
});

export const podIdentitySdkTooOld = eksCheck({
  id: "eks.pod-identity-sdk-too-old",
  doc: {
    meaning:
      'A container using Pod Identity runs an SDK older than the first release that reads the agent (AWS CLI 2.15.0 / 1.30.0, boto3 and botocore 1.34.41, JavaScript v3 3.458.0, Java v2 2.21.30, Go v2 release-2023-11-14, …; EKS User Guide, "Use pod identity with the AWS SDK"). Only AWS CLI images state their version in the image tag; for any other image the check is skipped and says the version is unknown.',
    symptom: "the SDK refuses 169.254.170.23 and falls back to the node role, or finds no credentials",
  },
  severity: "error",
  title: "The pod's AWS SDK is new enough to read EKS Pod Identity credentials",
  skippedBecause(f) {
    if (!podIdentity(f)) return "the service account does not use EKS Pod Identity";
    if (f.pods.status !== "ok") return `the pods could not be read: ${f.pods.reason}`;
    const known = containersOf(f).some(({ c }) => usesPodIdentity(c) && sdkOfContainer(c));
    if (!known) {
      return `the pod spec does not reveal its AWS SDK version (only AWS CLI images carry it in their tag); Pod Identity needs at least ${Object.entries(
        POD_IDENTITY_MINIMUM_SDK,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`;
    }
    return undefined;
  },
  run(f) {
    const findings: Finding[] = [];
    for (const { pod, c } of containersOf(f)) {
      const sdk = usesPodIdentity(c) ? sdkOfContainer(c) : undefined;
      if (!sdk || sdk.supported) continue;
      findings.push({
        id: this.id,
        severity: "error",
        title: `Container ${c.name} of ${podName(pod)} runs ${sdk.sdk} ${sdk.version}; EKS Pod Identity needs ${sdk.minimum} or later`,
        evidence: {
          pod: podName(pod),
          container: c.name,
          sdk: sdk.sdk,
          version: sdk.version,
          minimum: sdk.minimum,
          from: sdk.from,
          consequence:
            "an older container credential provider refuses the agent's address (169.254.170.23 is neither loopback nor the ECS address) and does not read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: the SDK fails, or falls through to the node's instance role (IMDS)",
          source: POD_IDENTITY_SDK_DOC,
        },
        fix: {
          summary: `Move the image to ${sdk.sdk} ${sdk.minimum} or later, then roll the pods.`,
          commands: [
            `kubectl get pod ${sh(podName(pod))} -n ${sh(names(f).namespace)} -o jsonpath='{.spec.containers[*].image}'`,
          ],
        },
      });
    }
    return findings;
  },
});
