// The pods: do they run as the service account, did the webhook inject the credentials, can they read the token.
import type { Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import type { ContainerLike, EksFacts, PodLike } from "../facts.js";
import {
  annotationsOf,
  AUDIENCE_KEY,
  createdAt,
  DEFAULT_AUDIENCE,
  envOf,
  hasEnv,
  injectionOf,
  IRSA_TOKEN_FILE,
  IRSA_VOLUMES,
  mechanismOf,
  mutableContainers,
  names,
  podName,
  roleArnAnnotation,
  sh,
  SKIP_WEBHOOK_LABEL,
  WEBHOOK_MWC,
} from "../names.js";
import { effectiveUser } from "../../rules.js";
import { eksCheck, irsa, somePods, unread } from "./define.js";

const needPods = (f: EksFacts) => {
  if (f.pods.status !== "ok") return `the pods could not be read: ${f.pods.reason}`;
  if (f.pods.value.length === 0) return "no pods to inspect";
  return undefined;
};

function usesServiceAccount(f: EksFacts, p: PodLike): boolean {
  return (p.spec?.serviceAccountName || "default") === (f.serviceAccountName ?? f.target.serviceAccount);
}

function podsOfServiceAccount(f: EksFacts): PodLike[] {
  return (valueOf(f.pods) ?? []).filter((p) => usesServiceAccount(f, p));
}

export const podServiceAccountMismatch = eksCheck({
  id: "pod.service-account-mismatch",
  doc: {
    meaning: "The pods run as another service account (often `default`, because `serviceAccountName` is not set).",
    symptom: "the node role is used; `AccessDenied` on the application's calls",
  },
  severity: "error",
  essential: (f) => unread(f.pods),
  title: "The pods run as the service account that carries the role",
  skippedBecause: (f) =>
    needPods(f) ?? (f.target.serviceAccount ? undefined : "no service account was named, so the pod's own is used"),
  run(f) {
    const n = names(f);
    return (valueOf(f.pods) ?? [])
      .filter((p) => !usesServiceAccount(f, p))
      .map(
        (p): Finding => ({
          id: this.id,
          severity: "error",
          title: `Pod ${podName(p)} runs as "${p.spec?.serviceAccountName || "default"}", not "${n.serviceAccount}"`,
          evidence: {
            pod: podName(p),
            podServiceAccountName: p.spec?.serviceAccountName || "default (not set)",
            expectedServiceAccount: n.serviceAccount,
            namespace: n.namespace,
          },
          fix: {
            summary:
              "Set spec.serviceAccountName in the pod template (same namespace as the service account), then roll out.",
            commands: [
              `kubectl patch deployment <deployment> -n ${sh(n.namespace)} -p ${sh(JSON.stringify({ spec: { template: { spec: { serviceAccountName: n.serviceAccount } } } }))}`,
              `kubectl get pod ${sh(podName(p))} -n ${sh(n.namespace)} -o jsonpath='{.spec.serviceAccountName}'`,
            ],
          },
        }),
      );
  },
});

function irsaMounted(c: ContainerLike): boolean {
  return c.volumeMounts?.some((m) => IRSA_VOLUMES.includes(m.name)) ?? false;
}

type Injection = "injected" | "absent" | "stale" | "preset";

/** The same container in the workload's pod template, when the template is known. */
function templateContainer(f: EksFacts, c: ContainerLike): ContainerLike | undefined {
  const spec = f.podTemplate?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].find((t) => t.name === c.name);
}

/** The container's own spec sets the web-identity variables (the webhook never overwrites them). */
function presetInTemplate(f: EksFacts, c: ContainerLike): boolean {
  const t = templateContainer(f, c);
  return t !== undefined && (hasEnv(t, "AWS_ROLE_ARN") || hasEnv(t, "AWS_WEB_IDENTITY_TOKEN_FILE"));
}

function irsaInjection(f: EksFacts, c: ContainerLike, roleArn: string): Injection {
  const arn = envOf(c, "AWS_ROLE_ARN");
  const file = hasEnv(c, "AWS_WEB_IDENTITY_TOKEN_FILE");
  if (arn === undefined && !file) return "absent";
  if (presetInTemplate(f, c) && arn?.trim() !== roleArn) return "preset";
  // Old webhooks leave a container with either variable alone (no token volume); newer ones mount the volume
  // but keep the container's own values. Either way the webhook always adds both variables together.
  if (!irsaMounted(c) || arn === undefined || !file) return "preset";
  if (arn.trim() !== roleArn) return "stale";
  return "injected";
}

/** The audience the webhook projected the IRSA token volume for, when the pod has that volume and it says. */
function projectedIrsaAudience(p: PodLike): string | undefined {
  const volume = (p.spec?.volumes ?? []).find((v) => IRSA_VOLUMES.includes(v.name));
  return volume?.projected?.sources?.find((s) => s.serviceAccountToken)?.serviceAccountToken?.audience;
}

function podIdentityInjected(c: ContainerLike): boolean {
  return hasEnv(c, "AWS_CONTAINER_CREDENTIALS_FULL_URI") && hasEnv(c, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
}

/** Every pod in scope was injected (IRSA or Pod Identity) when it was created: the webhook worked then. */
export function podsAlreadyInjected(f: EksFacts): boolean {
  const pods = valueOf(f.pods) ?? [];
  return (
    pods.length > 0 &&
    pods.every((p) =>
      (p.spec?.containers ?? []).some(
        (c) => irsaMounted(c as ContainerLike) || podIdentityInjected(c as ContainerLike),
      ),
    )
  );
}

export const podAwsEnvPreset = eksCheck({
  id: "pod.aws-env-preset",
  doc: {
    severity: "error (warning for `AWS_PROFILE` or a lone key variable)",
    meaning:
      "The pod spec sets `AWS_ROLE_ARN` or `AWS_WEB_IDENTITY_TOKEN_FILE` itself. Older webhooks then skip the container (no token volume); current ones mount the volume but keep the container's values and never add the missing one, so a restart does not help. Seen from the pod: only one of the two variables, or a value the workload's template sets. With Pod Identity, the two variables make the SDK try web identity before the container credentials. A complete `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` pair is used before anything injected, so the role is never assumed.",
    symptom: "wrong identity, or token file missing",
  },
  severity: "error",
  essential: somePods,
  title: "No AWS_* variables set in the pod spec pre-empt the injected credentials",
  skippedBecause: needPods,
  run(f) {
    const n = names(f);
    const roleArn = roleArnAnnotation(f)?.trim();
    const findings: Finding[] = [];
    for (const p of podsOfServiceAccount(f)) {
      for (const c of mutableContainers(p, annotationsOf(f))) {
        const mech = mechanismOf(f);
        const preset =
          (mech === "irsa" && roleArn !== undefined && irsaInjection(f, c, roleArn) === "preset") ||
          // Web identity comes before container credentials in every SDK's default chain.
          // (Pods the webhook gave IRSA before the association existed are not preset: they need a restart.)
          (mech === "pod-identity" &&
            hasEnv(c, "AWS_ROLE_ARN") &&
            hasEnv(c, "AWS_WEB_IDENTITY_TOKEN_FILE") &&
            (presetInTemplate(f, c) || !irsaMounted(c)));
        const staticKeys = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"].filter((k) => hasEnv(c, k));
        // A complete key pair is used before anything the webhook injects: the role is never assumed.
        const keyPair = hasEnv(c, "AWS_ACCESS_KEY_ID") && hasEnv(c, "AWS_SECRET_ACCESS_KEY");
        if (!preset && staticKeys.length === 0) continue;
        findings.push({
          id: this.id,
          severity: preset || keyPair ? "error" : "warning",
          title: preset
            ? mech === "pod-identity"
              ? `Container ${c.name} of ${podName(p)} sets AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE: the SDK tries web identity before the Pod Identity credentials`
              : `Container ${c.name} of ${podName(p)} sets AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE itself, so the webhook does not inject its own`
            : `Container ${c.name} of ${podName(p)} sets ${staticKeys.join(", ")}: those credentials come first in the SDK's chain`,
          evidence: {
            pod: podName(p),
            container: c.name,
            AWS_ROLE_ARN: envOf(c, "AWS_ROLE_ARN"),
            AWS_WEB_IDENTITY_TOKEN_FILE: envOf(c, "AWS_WEB_IDENTITY_TOKEN_FILE"),
            annotatedRoleArn: roleArn,
            tokenVolumeMounted: irsaMounted(c),
            staticCredentialVariables: staticKeys,
            credentialChainOrder:
              "environment keys → shared config/profile → web identity (IRSA) → container credentials (Pod Identity) → instance metadata",
          },
          fix: {
            summary:
              "Remove the AWS_* credential variables from the pod template and let the webhook inject them, then roll out.",
            commands: [
              `kubectl set env deployment/<deployment> -n ${sh(n.namespace)} -c ${sh(c.name)} ${[...(preset ? ["AWS_ROLE_ARN-", "AWS_WEB_IDENTITY_TOKEN_FILE-"] : []), ...staticKeys.map((k) => `${k}-`)].join(" ")}`,
            ],
          },
        });
      }
    }
    return findings;
  },
});

function notMutatedOrStale(f: EksFacts, want: "not-mutated" | "restart-needed"): Finding[] {
  const n = names(f);
  const mech = injectionOf(f);
  if (mech === "none") return [];
  // Without the service account no pod can be admitted or injected; sa.not-found says it all.
  if (f.serviceAccount.status === "ok" && !f.serviceAccount.value) return [];
  const roleArn = roleArnAnnotation(f)?.trim() ?? "";
  const sa = valueOf(f.serviceAccount);
  const saChanged = sa?.lastModified ? Date.parse(sa.lastModified) : undefined;
  const webhook = valueOf(f.webhook);
  const findings: Finding[] = [];
  for (const p of podsOfServiceAccount(f)) {
    const containers = mutableContainers(p, annotationsOf(f));
    if (containers.length === 0) continue;
    const born = createdAt(p.metadata);
    let state: "ok" | "absent" | "stale";
    const details: Record<string, unknown> = {};
    if (mech === "pod-identity") {
      // IRSA variables the webhook injected mean the pod started before the association existed.
      const irsaInjected = containers.some((c) => irsaMounted(c) && !presetInTemplate(f, c));
      state = containers.some(podIdentityInjected) ? "ok" : irsaInjected ? "stale" : "absent";
      if (state === "stale") details.injectedRoleArn = containers.map((c) => envOf(c, "AWS_ROLE_ARN")).find(Boolean);
      details.expectedVariables = ["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"];
    } else {
      const states = containers.map((c) => irsaInjection(f, c, roleArn));
      if (states.includes("stale")) {
        state = "stale";
        details.injectedRoleArn = containers.map((c) => envOf(c, "AWS_ROLE_ARN")).find((v) => v && v !== roleArn);
        details.annotatedRoleArn = roleArn;
      } else if (states.every((s) => s === "absent")) state = "absent";
      else state = "ok";
      // The token volume is projected once, at admission: a changed audience annotation reaches new pods only.
      const projected = projectedIrsaAudience(p);
      const audience = sa?.annotations[AUDIENCE_KEY] || DEFAULT_AUDIENCE;
      if (state === "ok" && projected !== undefined && projected !== audience) {
        state = "stale";
        details.projectedAudience = projected;
        details.annotatedAudience = audience;
      }
      details.expectedVariables = ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"];
      details.expectedVolume = `${IRSA_VOLUMES[0]} → ${IRSA_TOKEN_FILE}`;
    }
    if (state === "ok") continue;
    const predates = born !== undefined && saChanged !== undefined && born < saChanged;
    const kind = state === "stale" || predates ? "restart-needed" : "not-mutated";
    if (kind !== want) continue;
    const skipLabel = p.metadata?.labels?.[SKIP_WEBHOOK_LABEL];
    findings.push({
      id: `pod.${kind}`,
      severity: "error",
      title:
        kind === "restart-needed"
          ? state === "stale"
            ? mech === "pod-identity"
              ? `Pod ${podName(p)} still has IRSA credentials: it started before the Pod Identity association existed`
              : details.projectedAudience !== undefined
                ? `Pod ${podName(p)} still presents tokens for audience ${details.projectedAudience}, not ${details.annotatedAudience}: it started before the audience changed`
                : `Pod ${podName(p)} still carries the old role ARN: it started before the annotation changed`
            : `Pod ${podName(p)} started before the service account was configured and was never injected`
          : `Pod ${podName(p)} was not injected with AWS credentials by the webhook`,
      evidence: {
        pod: podName(p),
        podCreated: born ? new Date(born).toISOString() : undefined,
        serviceAccountChanged: saChanged ? new Date(saChanged).toISOString() : undefined,
        mechanism: mech === "irsa" ? "IRSA" : "EKS Pod Identity",
        ...details,
        ...(kind === "not-mutated"
          ? {
              webhook: webhook
                ? `${webhook.name} (failurePolicy ${webhook.failurePolicy ?? "Fail"})`
                : `${WEBHOOK_MWC} not found`,
              ...(webhook?.failurePolicy === "Ignore"
                ? {
                    note: "failurePolicy Ignore: when the webhook is unreachable, pods are admitted without injection and nothing says so",
                  }
                : {}),
              ...(skipLabel ? { skipLabel: `${SKIP_WEBHOOK_LABEL}=${skipLabel}` } : {}),
            }
          : {}),
      },
      fix: {
        summary:
          kind === "restart-needed"
            ? "The webhook only mutates pods when they are created: restart the workload."
            : "Make sure the pod-identity-webhook is present and reachable, then recreate the pods.",
        commands: [
          `kubectl rollout restart deployment -n ${sh(n.namespace)} <deployment>`,
          `kubectl get pod ${sh(podName(p))} -n ${sh(n.namespace)} -o jsonpath='{.spec.containers[*].env[*].name}'`,
          ...(kind === "not-mutated" ? [`kubectl get mutatingwebhookconfiguration ${WEBHOOK_MWC} -o yaml`] : []),
        ],
      },
    });
  }
  return findings;
}

export const podRestartNeeded = eksCheck({
  id: "pod.restart-needed",
  doc: {
    meaning:
      "The pod predates the service account's current configuration (its `AWS_ROLE_ARN` is an older role, it was created before the annotation, or it still has IRSA's variables although an association now exists). The webhook only mutates pods at creation.",
    symptom: "the old role is used",
  },
  severity: "error",
  confirms: ["irsa_sa_annotation_missing"],
  essential: somePods,
  title: "The pods were created after the service account's current configuration",
  skippedBecause: needPods,
  run: (f) => notMutatedOrStale(f, "restart-needed"),
});

export const podNotMutated = eksCheck({
  id: "pod.not-mutated",
  doc: {
    meaning:
      "The pod should have been injected but was not (webhook missing or unreachable with `failurePolicy: Ignore`, or the skip label).",
    symptom: "missing variables and token volume (`aws-iam-token`; the webhook README calls it `aws-token`)",
  },
  severity: "error",
  confirms: ["irsa_sa_annotation_missing"],
  essential: somePods,
  title: "The webhook injected the credential variables and token volume",
  skippedBecause: needPods,
  run: (f) => notMutatedOrStale(f, "not-mutated"),
});

/** Kubernetes ≥ 1.19 makes projected tokens readable by non-root users (KEP 1598); before, 0600 root-owned. */
export function tokenReadableRule(version: string | undefined): "legacy-0600" | "kep-1598" | "unknown" {
  const m = /^v?(\d+)\.(\d+)/.exec(version ?? "");
  if (!m) return "unknown";
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 1 || minor >= 19 ? "kep-1598" : "legacy-0600";
}

export const podTokenUnreadable = eksCheck({
  id: "pod.token-unreadable",
  doc: {
    meaning:
      "On Kubernetes before 1.19 the projected token is `0600` and owned by root: a non-root container without `fsGroup` cannot read it. From 1.19 the kubelet makes it readable (fsGroup, a shared `runAsUser`, or mode `0644`), so this is not raised there.",
    symptom: "`permission denied` on `/var/run/secrets/eks.amazonaws.com/serviceaccount/token`",
  },
  severity: "error",
  confirms: ["token_file_unreadable"],
  essential: (f) => irsa(f) && somePods(f),
  title: "Non-root containers can read the projected token",
  skippedBecause: (f) =>
    needPods(f) ?? (mechanismOf(f) === "irsa" ? undefined : "the service account does not use IRSA"),
  run(f) {
    const rule = tokenReadableRule(f.kubernetesVersion);
    if (rule !== "legacy-0600") return [];
    const n = names(f);
    const findings: Finding[] = [];
    for (const p of podsOfServiceAccount(f)) {
      const fsGroup = p.spec?.securityContext?.fsGroup;
      if (fsGroup !== undefined) continue;
      for (const c of mutableContainers(p, annotationsOf(f))) {
        const u = effectiveUser(p, c);
        if (!u.nonRoot) continue;
        findings.push({
          id: this.id,
          severity: "error",
          title: `Container ${c.name} of ${podName(p)} runs as non-root without fsGroup and cannot read ${IRSA_TOKEN_FILE}`,
          evidence: {
            pod: podName(p),
            container: c.name,
            runAsUser: u.uid ?? "not set (runAsNonRoot: true)",
            podFsGroup: "not set",
            kubernetesVersion: f.kubernetesVersion,
            rule: "Before Kubernetes 1.19 the projected token is written 0600 and owned by root; only fsGroup makes it group-readable. From 1.19 the kubelet makes it readable (fsGroup, a shared runAsUser, or mode 0644).",
          },
          fix: {
            summary:
              "Set spec.securityContext.fsGroup (any group id) in the pod template, or upgrade the cluster to 1.19 or later.",
            commands: [
              `kubectl patch deployment <deployment> -n ${sh(n.namespace)} -p '{"spec":{"template":{"spec":{"securityContext":{"fsGroup":65534}}}}}'`,
            ],
          },
        });
      }
    }
    return findings;
  },
});
