// EKS checks of the pods, the webhook and EKS Pod Identity from facts written in code: a healthy world (IRSA or
// Pod Identity) passes, one edit raises the check's finding.
import type { ContainerLike, EksFacts, PodLike } from "../../../src/diagnosis/eks/facts.js";
import type { EksCheckId } from "../../../src/diagnosis/eks/registry.js";
import { ok } from "../../../src/diagnosis/types.js";
import { edit } from "../builders.js";
import { healthyIrsa, healthyPodIdentity, POD_ROLE_ARN, ROLE_ARN } from "../eks-builders.js";
import type { Table } from "../rule-tester.js";

const healthy = healthyIrsa();
const podIdentity = healthyPodIdentity();
const valid = [{ name: "a working IRSA setup", facts: healthy }];
const validPodIdentity = [{ name: "a working Pod Identity setup", facts: podIdentity }];

const pods = (f: EksFacts): PodLike[] => (f.pods.status === "ok" ? f.pods.value : []);
const container = (f: EksFacts): ContainerLike => pods(f)[0].spec!.containers[0];
const setEnv = (f: EksFacts, name: string, value: string) => {
  const c = container(f);
  c.env = [...(c.env ?? []).filter((e) => e.name !== name), { name, value }];
};
const podRole = (f: EksFacts) => {
  const g = f.podIdentityRoles[POD_ROLE_ARN];
  return g.status === "ok" ? g.value : null;
};

export const eksPodTables: Partial<Record<EksCheckId, Table<EksFacts>>> = {
  "webhook.missing": {
    valid: [...valid, ...validPodIdentity],
    invalid: [
      {
        name: "no configuration, and the running pods were injected before it went",
        facts: edit(healthy, (f) => (f.webhook = ok(null))),
        findings: [{ severity: "warning", evidence: { runningPodsInjected: true } }],
      },
      {
        name: "no configuration and no injected pod",
        facts: edit(healthy, (f) => {
          f.webhook = ok(null);
          f.pods = ok([]);
        }),
        findings: [{ severity: "error", evidence: { found: "none" } }],
      },
    ],
  },
  "pod.aws-env-preset": {
    valid: [...valid, ...validPodIdentity],
    invalid: [
      {
        name: "the container sets a static key pair",
        facts: edit(healthy, (f) => {
          setEnv(f, "AWS_ACCESS_KEY_ID", "AKIAEXAMPLE");
          setEnv(f, "AWS_SECRET_ACCESS_KEY", "example");
        }),
        findings: [
          {
            severity: "error",
            evidence: { staticCredentialVariables: ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] },
          },
        ],
      },
      {
        name: "the container sets AWS_PROFILE only",
        facts: edit(healthy, (f) => setEnv(f, "AWS_PROFILE", "dev")),
        findings: [{ severity: "warning", evidence: { staticCredentialVariables: ["AWS_PROFILE"] } }],
      },
    ],
  },
  "pod.restart-needed": {
    valid: [...valid, ...validPodIdentity],
    invalid: [
      {
        name: "the pod carries the role ARN the annotation named before",
        facts: edit(healthy, (f) => setEnv(f, "AWS_ROLE_ARN", ROLE_ARN.replace("orders-api", "orders-api-old"))),
        findings: [{ evidence: { annotatedRoleArn: ROLE_ARN, mechanism: "IRSA" } }],
      },
      {
        name: "the audience annotation was removed, but the pod's token volume is still projected for the old audience",
        facts: edit(healthy, (f) => {
          const source = pods(f)[0].spec!.volumes!.find((v) => v.name === "aws-iam-token")!.projected!.sources![0];
          source.serviceAccountToken!.audience = "orders-api";
        }),
        findings: [
          {
            evidence: { projectedAudience: "orders-api", annotatedAudience: "sts.amazonaws.com", mechanism: "IRSA" },
          },
        ],
      },
      {
        name: "a Pod Identity pod still has the IRSA variables it got before the association",
        facts: edit(podIdentity, (f) => (f.pods = ok([structuredClone(pods(healthy)[0])]))),
        findings: [{ evidence: { mechanism: "EKS Pod Identity", injectedRoleArn: ROLE_ARN } }],
      },
    ],
    skipped: [{ name: "no pods", facts: edit(healthy, (f) => (f.pods = ok([]))), reason: /no pods/ }],
  },
  "pod.not-mutated": {
    valid: [...valid, ...validPodIdentity],
    invalid: [
      {
        name: "a pod created after the annotation has neither the variables nor the volume",
        facts: edit(healthy, (f) => {
          const c = container(f);
          c.env = (c.env ?? []).filter((e) => !e.name.startsWith("AWS_ROLE") && !e.name.startsWith("AWS_WEB"));
          c.volumeMounts = [];
        }),
        findings: [
          { evidence: { mechanism: "IRSA", expectedVariables: ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"] } },
        ],
      },
    ],
  },
  "pod.token-unreadable": {
    valid: [
      ...valid,
      {
        name: "Kubernetes 1.18, non-root, with an fsGroup",
        facts: edit(healthy, (f) => {
          f.kubernetesVersion = "v1.18.20";
          pods(f)[0].spec!.securityContext = { runAsUser: 1000, fsGroup: 65534 };
        }),
      },
    ],
    invalid: [
      {
        name: "Kubernetes 1.18, non-root, no fsGroup",
        facts: edit(healthy, (f) => {
          f.kubernetesVersion = "v1.18.20";
          pods(f)[0].spec!.securityContext = { runAsUser: 1000 };
        }),
        findings: [{ evidence: { runAsUser: 1000, podFsGroup: "not set" } }],
      },
    ],
  },
  "eks.pod-identity-association-missing": {
    valid: validPodIdentity,
    invalid: [
      {
        name: "the agent runs but the service account has neither an association nor an annotation",
        facts: edit(podIdentity, (f) => (f.associations = ok([]))),
        findings: [{ evidence: { namespace: "orders", serviceAccount: "orders-api" } }],
      },
    ],
    skipped: [{ name: "the account uses IRSA", facts: healthy, reason: /uses IRSA/ }],
  },
  "eks.pod-identity-agent-missing": {
    valid: validPodIdentity,
    invalid: [
      {
        name: "the add-on is not installed",
        facts: edit(podIdentity, (f) => (f.podIdentityAgent = ok(null))),
        findings: [{ severity: "error", evidence: { found: "none" } }],
      },
      {
        name: "one of two agent pods is ready",
        facts: edit(podIdentity, (f) => {
          if (f.podIdentityAgent.status === "ok" && f.podIdentityAgent.value) f.podIdentityAgent.value.ready = 1;
        }),
        findings: [{ severity: "warning", evidence: { found: { desired: 2, ready: 1 } } }],
      },
    ],
    skipped: [{ name: "the account uses IRSA", facts: healthy, reason: /does not use EKS Pod Identity/ }],
  },
  "eks.pod-identity-trust-invalid": {
    valid: validPodIdentity,
    invalid: [
      {
        name: "the role trusts the agent for sts:AssumeRole only",
        facts: edit(podIdentity, (f) => {
          podRole(f)!.trustPolicy!.Statement = [
            { Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: "sts:AssumeRole" },
          ];
        }),
        findings: [{ evidence: { roleArn: POD_ROLE_ARN } }],
      },
      {
        name: "the association's role does not exist",
        facts: edit(podIdentity, (f) => (f.podIdentityRoles[POD_ROLE_ARN] = ok(null))),
        findings: [{ title: /does not exist/, evidence: { roleArn: POD_ROLE_ARN } }],
      },
    ],
    skipped: [{ name: "no association", facts: healthy, reason: /no Pod Identity association/ }],
  },
  "eks.irsa-and-pod-identity": {
    valid: [...valid, ...validPodIdentity],
    invalid: [
      {
        name: "an IRSA annotation for another role next to the association",
        facts: edit(podIdentity, (f) => {
          if (f.serviceAccount.status === "ok" && f.serviceAccount.value)
            f.serviceAccount.value.annotations["eks.amazonaws.com/role-arn"] = ROLE_ARN;
        }),
        findings: [{ severity: "warning", evidence: { irsaRoleArn: ROLE_ARN, podIdentityRoleArn: POD_ROLE_ARN } }],
      },
    ],
  },
};
