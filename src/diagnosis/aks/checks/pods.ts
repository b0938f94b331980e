// The webhook mutates a pod at creation: the label must be on the pod (template), and the pod must be recreated
// after the service account changes.
import type { V1Container, V1Pod, V1PodSpec } from "@kubernetes/client-node";
import type { Check, Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import type { AksFacts } from "../facts.js";
import { names, restartCommand, sh, WI_CLIENT_ID, WI_SKIP_CONTAINERS, WI_USE_LABEL } from "../names.js";

export const INJECTED_ENV = [
  "AZURE_CLIENT_ID",
  "AZURE_TENANT_ID",
  "AZURE_FEDERATED_TOKEN_FILE",
  "AZURE_AUTHORITY_HOST",
];
export const TOKEN_PATH_V15 = "/var/run/secrets/azure/tokens/azure-identity-token";
export const TOKEN_PATH_V16 = "/var/run/secrets/azure/wi/token/azure-identity-token";

export interface ContainerInjection {
  container: string;
  skipped: boolean;
  env: Record<string, string | undefined>;
  missingEnv: string[];
  tokenMount?: string;
}

export interface PodInjection {
  pod: string;
  /** The projected token volume (v1.5 azure-identity-token, or v1.6 azure-workload-identity-reserved-*). */
  tokenVolume?: { name: string; audience?: string; path?: string; layout: "v1.5" | "v1.6" };
  containers: ContainerInjection[];
  mutated: boolean;
}

function skipList(pod: V1Pod): string[] {
  return (pod.metadata?.annotations?.[WI_SKIP_CONTAINERS] ?? "")
    .split(";")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** What the webhook put into a pod, per container. */
export function injectionOf(pod: V1Pod): PodInjection {
  const spec: V1PodSpec = pod.spec ?? { containers: [] };
  let tokenVolume: PodInjection["tokenVolume"];
  for (const v of spec.volumes ?? []) {
    const isOurs = v.name === "azure-identity-token" || v.name.startsWith("azure-workload-identity-reserved-");
    const sat = v.projected?.sources?.find((s) => s.serviceAccountToken)?.serviceAccountToken;
    if (isOurs && sat) {
      tokenVolume = {
        name: v.name,
        audience: sat.audience,
        path: sat.path,
        layout: v.name === "azure-identity-token" ? "v1.5" : "v1.6",
      };
    }
  }
  const skip = skipList(pod);
  const containers = [...(spec.initContainers ?? []), ...spec.containers].map((c: V1Container): ContainerInjection => {
    const env: Record<string, string | undefined> = {};
    for (const e of c.env ?? []) if (INJECTED_ENV.includes(e.name)) env[e.name] = e.value;
    const mount = c.volumeMounts?.find((m) => tokenVolume && m.name === tokenVolume.name);
    return {
      container: c.name,
      skipped: skip.includes(c.name),
      env,
      missingEnv: INJECTED_ENV.filter((k) => !(k in env)),
      tokenMount: mount?.mountPath,
    };
  });
  const considered = containers.filter((c) => !c.skipped);
  const mutated =
    Boolean(tokenVolume) && considered.length > 0 && considered.every((c) => c.missingEnv.length === 0 && c.tokenMount);
  return { pod: pod.metadata?.name ?? "", tokenVolume, containers, mutated };
}

const labelled = (labels: Record<string, string> | undefined) => labels?.[WI_USE_LABEL] === "true";

const podsOf = (f: AksFacts) => valueOf(f.pods) ?? [];

const needPods = (f: AksFacts) => {
  if (f.pods.status !== "ok") return `pods could not be read: ${f.pods.reason}`;
  if (!f.pods.value.length && !valueOf(f.workload ?? { status: "skipped", reason: "" })) return "no pods in scope";
  return undefined;
};

export const podLabelMissing: Check<AksFacts> = {
  id: "pod.label-missing",
  title: `The pod template carries ${WI_USE_LABEL}: "true"`,
  skippedBecause: needPods,
  run(f) {
    const wl = valueOf(f.workload ?? { status: "skipped", reason: "" });
    const n = names(f);
    const findings: Finding[] = [];
    if (wl) {
      const templateLabels = wl.podTemplate.metadata?.labels ?? {};
      if (!labelled(templateLabels)) {
        const onWorkloadOnly = labelled(wl.labels);
        const raw = templateLabels[WI_USE_LABEL];
        findings.push({
          id: this.id,
          severity: "error",
          title: onWorkloadOnly
            ? `The label ${WI_USE_LABEL} is on the ${wl.kind}'s own metadata, not on its pod template, so the webhook never sees it`
            : `${wl.kind} ${wl.name}'s pod template lacks the label ${WI_USE_LABEL}: "true"`,
          evidence: {
            workload: `${wl.kind}/${wl.name}`,
            podTemplateLabel: raw ?? null,
            workloadMetadataLabel: wl.labels[WI_USE_LABEL] ?? null,
          },
          fix: {
            summary:
              "Add the label to spec.template.metadata.labels; the rollout recreates the pods with the injection.",
            commands: [
              `kubectl patch ${wl.kind.toLowerCase()} ${sh(wl.name)} -n ${sh(n.namespace)} --type merge -p ${sh(
                JSON.stringify({ spec: { template: { metadata: { labels: { [WI_USE_LABEL]: "true" } } } } }),
              )}`,
            ],
          },
        });
        return findings;
      }
    }
    for (const pod of podsOf(f)) {
      const labels = pod.metadata?.labels ?? {};
      if (labelled(labels)) continue;
      // A labelled template with unlabelled pods means the pods predate the label: a restart fixes it.
      if (wl) continue;
      const raw = labels[WI_USE_LABEL];
      findings.push({
        id: this.id,
        severity: "error",
        title: `Pod ${pod.metadata?.name} lacks the label ${WI_USE_LABEL}: "true", so the webhook does not inject the token`,
        evidence: {
          pod: pod.metadata?.name,
          label: raw === undefined ? null : raw,
          note: raw !== undefined ? 'the value must be the string "true"' : undefined,
        },
        fix: {
          summary:
            "Add the label to the pod template of the workload that owns the pod (labels added to a running pod do nothing).",
          commands: [
            ownerPatchCommand(pod, n.namespace) ??
              `kubectl label pod ${sh(pod.metadata?.name ?? "<pod>")} -n ${sh(n.namespace)} ${WI_USE_LABEL}=true   # then recreate the pod`,
          ],
        },
      });
    }
    return findings;
  },
};

function ownerPatchCommand(pod: V1Pod, ns: string): string | undefined {
  const owner = pod.metadata?.ownerReferences?.[0];
  if (!owner) return undefined;
  // ReplicaSets belong to Deployments; the hash suffix is the ReplicaSet's.
  const kind = owner.kind === "ReplicaSet" ? "deployment" : owner.kind.toLowerCase();
  const name = owner.kind === "ReplicaSet" ? owner.name.replace(/-[a-z0-9]{6,10}$/, "") : owner.name;
  return `kubectl patch ${kind} ${sh(name)} -n ${sh(ns)} --type merge -p ${sh(
    JSON.stringify({ spec: { template: { metadata: { labels: { [WI_USE_LABEL]: "true" } } } } }),
  )}`;
}

export const podNotMutated: Check<AksFacts> = {
  id: "pod.not-mutated",
  title: "Labelled pods received the token volume and environment",
  skippedBecause: needPods,
  run(f) {
    const findings: Finding[] = [];
    const wh = valueOf(f.webhook);
    for (const pod of podsOf(f)) {
      if (!labelled(pod.metadata?.labels)) continue;
      const inj = injectionOf(pod);
      if (inj.mutated) continue;
      const created = pod.metadata?.creationTimestamp
        ? new Date(pod.metadata.creationTimestamp).toISOString()
        : undefined;
      const webhookCreated = wh?.deployment?.createdAt;
      const predates = created && webhookCreated && created < new Date(webhookCreated).toISOString();
      // Pre-set variables block the webhook's own values for that container.
      const preset = (pod.spec?.containers ?? []).flatMap((c) =>
        (c.env ?? []).filter((e) => e.name === "AZURE_CLIENT_ID" && !inj.tokenVolume).map(() => c.name),
      );
      findings.push({
        id: this.id,
        severity: "error",
        title: `Pod ${inj.pod} is labelled but was not mutated: no projected token or AZURE_* environment`,
        evidence: {
          pod: inj.pod,
          tokenVolume: inj.tokenVolume?.name ?? null,
          containers: inj.containers
            .filter((c) => !c.skipped)
            .map((c) => ({ container: c.container, missingEnv: c.missingEnv, tokenMounted: Boolean(c.tokenMount) })),
          podCreated: created ?? null,
          webhookCreated: webhookCreated ?? null,
          likelyCause: predates
            ? "the pod was created before the webhook was installed"
            : preset.length
              ? "AZURE_CLIENT_ID is set in the pod spec by hand"
              : "the webhook was not running (or not called) when the pod was created",
        },
        fix: {
          summary: "Make sure the webhook is healthy (check_webhook), then recreate the pod so it is mutated.",
          commands: [restartCommand(f, inj.pod)],
        },
      });
    }
    return findings;
  },
};

export const podRestartNeeded: Check<AksFacts> = {
  id: "pod.restart-needed",
  title: "Running pods carry the service account's current client id",
  skippedBecause: (f) => needPods(f) ?? (valueOf(f.serviceAccount) ? undefined : "the service account is not known"),
  run(f) {
    const annotated = valueOf(f.serviceAccount)?.metadata?.annotations?.[WI_CLIENT_ID]?.trim();
    const findings: Finding[] = [];
    const wl = valueOf(f.workload ?? { status: "skipped", reason: "" });
    for (const pod of podsOf(f)) {
      const inj = injectionOf(pod);
      // A labelled template with an unlabelled running pod: the pod predates the label.
      if (wl && labelled(wl.podTemplate.metadata?.labels) && !labelled(pod.metadata?.labels)) {
        findings.push({
          id: this.id,
          severity: "error",
          title: `Pod ${inj.pod} predates the workload identity label on its template; it must be recreated`,
          evidence: { pod: inj.pod, podLabel: pod.metadata?.labels?.[WI_USE_LABEL] ?? null, templateLabel: "true" },
          fix: { summary: "Restart the workload.", commands: [restartCommand(f, inj.pod)] },
        });
        continue;
      }
      if (!inj.mutated || !annotated) continue;
      const stale = inj.containers.find(
        (c) => !c.skipped && c.env.AZURE_CLIENT_ID && c.env.AZURE_CLIENT_ID !== annotated,
      );
      if (!stale) continue;
      findings.push({
        id: this.id,
        severity: "error",
        title: `Pod ${inj.pod} still uses client id ${stale.env.AZURE_CLIENT_ID}; the service account now says ${annotated}`,
        evidence: { pod: inj.pod, injectedClientId: stale.env.AZURE_CLIENT_ID, annotationClientId: annotated },
        fix: {
          summary: "The webhook only mutates at creation: recreate the pods.",
          commands: [restartCommand(f, inj.pod)],
        },
      });
    }
    return findings;
  },
};

export const podServiceAccountMismatch: Check<AksFacts> = {
  id: "pod.service-account-mismatch",
  title: "The pods run as the intended service account",
  skippedBecause: (f) =>
    needPods(f) ?? (f.target.serviceAccount ? undefined : "no service account was named to compare with"),
  run(f) {
    const want = f.target.serviceAccount!;
    const findings: Finding[] = [];
    const wl = valueOf(f.workload ?? { status: "skipped", reason: "" });
    const runAs = wl
      ? [{ name: `${wl.kind}/${wl.name}`, sa: wl.podTemplate.spec?.serviceAccountName ?? "default" }]
      : [];
    for (const pod of podsOf(f))
      runAs.push({ name: `pod/${pod.metadata?.name}`, sa: pod.spec?.serviceAccountName ?? "default" });
    for (const r of runAs) {
      if (r.sa === want) continue;
      findings.push({
        id: this.id,
        severity: "error",
        title: `${r.name} runs as service account "${r.sa}", not "${want}"`,
        evidence: { object: r.name, serviceAccountName: r.sa, expected: want },
        fix: {
          summary:
            "Set spec.serviceAccountName on the pod template (or annotate the service account the pods really use).",
          commands: wl
            ? [
                `kubectl patch ${wl.kind.toLowerCase()} ${sh(wl.name)} -n ${sh(f.target.namespace)} --type merge -p ${sh(
                  JSON.stringify({ spec: { template: { spec: { serviceAccountName: want } } } }),
                )}`,
              ]
            : [],
        },
      });
      break;
    }
    return findings;
  },
};

/** The token path moved between webhook releases; code that hard-codes one breaks on the other. */
export const podTokenPathHardcoded: Check<AksFacts> = {
  id: "pod.token-path-hardcoded",
  title: "No container hard-codes a token path the webhook no longer uses",
  skippedBecause: needPods,
  run(f) {
    const findings: Finding[] = [];
    for (const pod of podsOf(f)) {
      const inj = injectionOf(pod);
      if (!inj.tokenVolume) continue;
      const injectedPath = inj.tokenVolume.layout === "v1.5" ? TOKEN_PATH_V15 : TOKEN_PATH_V16;
      const stalePath = inj.tokenVolume.layout === "v1.5" ? TOKEN_PATH_V16 : TOKEN_PATH_V15;
      for (const c of pod.spec?.containers ?? []) {
        const places: string[] = [];
        for (const e of c.env ?? []) {
          if (e.name !== "AZURE_FEDERATED_TOKEN_FILE" && e.value?.includes(stalePath)) places.push(`env ${e.name}`);
        }
        for (const a of [...(c.command ?? []), ...(c.args ?? [])])
          if (a.includes(stalePath)) places.push("command/args");
        const injected = inj.containers.find((x) => x.container === c.name)?.env.AZURE_FEDERATED_TOKEN_FILE;
        if (injected && injected !== injectedPath && injected.includes("/var/run/secrets/azure/"))
          places.push("env AZURE_FEDERATED_TOKEN_FILE");
        if (!places.length) continue;
        findings.push({
          id: this.id,
          severity: "error",
          title: `Container ${c.name} in pod ${inj.pod} reads the token from ${stalePath}, but the webhook mounts it at ${injectedPath}`,
          evidence: {
            pod: inj.pod,
            container: c.name,
            hardcodedIn: places,
            hardcodedPath: stalePath,
            injectedPath,
            webhookLayout: inj.tokenVolume.layout,
          },
          fix: {
            summary: "Read the path from $AZURE_FEDERATED_TOKEN_FILE instead of hard-coding it, then redeploy.",
            commands: [],
          },
        });
      }
    }
    return findings;
  },
};
