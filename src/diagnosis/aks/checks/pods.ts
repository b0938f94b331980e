// The webhook mutates a pod at creation: the label must be on the pod (template), and the pod must be recreated
// after the service account changes.
import type { V1Container, V1Pod, V1PodSpec } from "@kubernetes/client-node";
import type { Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import type { AksFacts } from "../facts.js";
import { names, restartCommand, sh, WI_CLIENT_ID, WI_SKIP_CONTAINERS, WI_USE_LABEL } from "../names.js";
import { aksCheck, unread, podsCheckNotApplicable } from "./define.js";

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
  /** The token file and its mount are in place: what the SDK needs to find the token. */
  injected: boolean;
}

export interface PodInjection {
  pod: string;
  /** The projected token volume (v1.5 azure-identity-token, or v1.6 azure-workload-identity-reserved-*). */
  tokenVolume?: { name: string; audience?: string; path?: string; layout: "v1.5" | "v1.6" };
  containers: ContainerInjection[];
  /** At least one container the webhook was meant to reach carries the token (sidecars added later may not). */
  mutated: boolean;
}

function skipList(pod: V1Pod): string[] {
  return (pod.metadata?.annotations?.[WI_SKIP_CONTAINERS] ?? "")
    .split(";")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Where the token file lands in a container: its mount of the token volume plus the projected path. */
export function tokenFileIn(inj: PodInjection, c: ContainerInjection): string | undefined {
  if (!c.tokenMount || !inj.tokenVolume) return undefined;
  return `${c.tokenMount.replace(/\/$/, "")}/${inj.tokenVolume.path ?? "azure-identity-token"}`;
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
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map(
    (c: V1Container): ContainerInjection => {
      const env: Record<string, string | undefined> = {};
      for (const e of c.env ?? []) if (INJECTED_ENV.includes(e.name)) env[e.name] = e.value;
      const mount = c.volumeMounts?.find((m) => tokenVolume && m.name === tokenVolume.name);
      return {
        container: c.name,
        skipped: skip.includes(c.name),
        env,
        missingEnv: INJECTED_ENV.filter((k) => !(k in env)),
        tokenMount: mount?.mountPath,
        // The webhook leaves AZURE_CLIENT_ID out while the service account has no client id (and never
        // overrides a value set by hand): the service-account and restart checks judge it, not this one.
        injected: Boolean(mount) && "AZURE_FEDERATED_TOKEN_FILE" in env,
      };
    },
  );
  const considered = containers.filter((c) => !c.skipped);
  const mutated = Boolean(tokenVolume) && considered.some((c) => c.injected);
  return { pod: pod.metadata?.name ?? "", tokenVolume, containers, mutated };
}

const labelled = (labels: Record<string, string> | undefined) => labels?.[WI_USE_LABEL] === "true";

const podsOf = (f: AksFacts) => valueOf(f.pods) ?? [];

/** Pods on their way out (being deleted) are replaced anyway: they say nothing about the next pod. */
const leaving = (pod: V1Pod) => Boolean(pod.metadata?.deletionTimestamp);
/** A Job's finished pod is not restarted: the next run creates a fresh, freshly mutated one. */
const finished = (pod: V1Pod) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

const needPods = (f: AksFacts) => {
  if (f.pods.status !== "ok") return `pods could not be read: ${f.pods.reason}`;
  if (!f.pods.value.length && !valueOf(f.workload ?? { status: "skipped", reason: "" })) return "no pods in scope";
  return undefined;
};

export const podLabelMissing = aksCheck({
  id: "pod.label-missing",
  doc: {
    meaning:
      'The pod template lacks `azure.workload.identity/use: "true"` (a label on the Deployment\'s own metadata does not count).',
    symptom: "no injection; DefaultAzureCredential falls through to IMDS",
  },
  severity: "error",
  confirms: ["missing_env_config", "pod_not_mutated_label_missing", "imds_unreachable"],
  essential: (f) => unread(f.pods, f.workload) || !podsCheckNotApplicable(f),
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
            : raw !== undefined
              ? `${wl.kind} ${wl.name}'s pod template has ${WI_USE_LABEL}: ${JSON.stringify(raw)}; the webhook selects only the exact string "true"`
              : wl.podTemplate.metadata?.annotations?.[WI_USE_LABEL] !== undefined
                ? `${WI_USE_LABEL} is an annotation on ${wl.kind} ${wl.name}'s pod template; the webhook selects pods by label`
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
              `kubectl patch ${sh(wl.kind.toLowerCase())} ${sh(wl.name)} -n ${sh(n.namespace)} --type merge -p ${sh(
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
});

function ownerPatchCommand(pod: V1Pod, ns: string): string | undefined {
  const owner = pod.metadata?.ownerReferences?.[0];
  if (!owner) return undefined;
  // ReplicaSets belong to Deployments; the hash suffix is the ReplicaSet's.
  const kind = owner.kind === "ReplicaSet" ? "deployment" : owner.kind.toLowerCase();
  const name = owner.kind === "ReplicaSet" ? owner.name.replace(/-[a-z0-9]{6,10}$/, "") : owner.name;
  return `kubectl patch ${sh(kind)} ${sh(name)} -n ${sh(ns)} --type merge -p ${sh(
    JSON.stringify({ spec: { template: { metadata: { labels: { [WI_USE_LABEL]: "true" } } } } }),
  )}`;
}

export const podNotMutated = aksCheck({
  id: "pod.not-mutated",
  doc: {
    severity: "error (info when only some containers lack the token, e.g. a mesh sidecar added by a later webhook)",
    meaning:
      "The pod is labelled but no container it was meant for has the projected token and `AZURE_FEDERATED_TOKEN_FILE`: created while the webhook was down or before it was installed, or with values pre-set by hand.",
    symptom: '"no client ID/tenant ID/token file specified"',
  },
  severity: "error",
  confirms: ["missing_env_config", "pod_not_mutated_label_missing", "imds_unreachable"],
  essential: (f) => unread(f.pods, f.workload) || !podsCheckNotApplicable(f),
  title: "Labelled pods received the token volume and environment",
  skippedBecause: needPods,
  run(f) {
    const findings: Finding[] = [];
    const wh = valueOf(f.webhook);
    for (const pod of podsOf(f)) {
      if (!labelled(pod.metadata?.labels) || leaving(pod)) continue;
      const inj = injectionOf(pod);
      if (inj.mutated) {
        // Containers added by a later webhook (a mesh sidecar) can lack the token; harmless unless they call Azure.
        const without = inj.containers.filter((c) => !c.skipped && !c.injected).map((c) => c.container);
        if (without.length)
          findings.push({
            id: this.id,
            severity: "info",
            title: `In pod ${inj.pod}, container${without.length === 1 ? "" : "s"} ${without.join(", ")} did not receive the token; fine unless ${without.length === 1 ? "it calls" : "they call"} Azure`,
            evidence: {
              pod: inj.pod,
              containersWithoutToken: without,
              containersWithToken: inj.containers.filter((c) => c.injected).map((c) => c.container),
            },
            fix: {
              summary: `If such a container needs Azure, make sure it exists when the workload identity webhook runs (not added by a later webhook) and is not listed in ${WI_SKIP_CONTAINERS}; otherwise list it there to make the intent explicit.`,
              commands: [],
            },
          });
        continue;
      }
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
});

export const podRestartNeeded = aksCheck({
  id: "pod.restart-needed",
  doc: {
    meaning:
      "A running pod carries an old client id (the service account changed after it started), has no `AZURE_CLIENT_ID` although the account now names one (annotated after the pod started), or predates the label on its template. When the old id is written into the pod template itself, the webhook never overrides it: the fix removes it from the template instead. Finished Job pods and pods being deleted are left out.",
    symptom: "AADSTS700016 / 70021 for the old identity",
  },
  severity: "error",
  confirms: ["wrong_client_id", "pod_not_mutated_label_missing"],
  essential: (f) => unread(f.pods, f.workload, f.serviceAccount) || !podsCheckNotApplicable(f),
  title: "Running pods carry the service account's current client id",
  skippedBecause: (f) => needPods(f) ?? (valueOf(f.serviceAccount) ? undefined : "the service account is not known"),
  run(f) {
    const annotated = valueOf(f.serviceAccount)?.metadata?.annotations?.[WI_CLIENT_ID]?.trim();
    const findings: Finding[] = [];
    const wl = valueOf(f.workload ?? { status: "skipped", reason: "" });
    for (const pod of podsOf(f)) {
      if (leaving(pod) || (finished(pod) && pod.metadata?.ownerReferences?.some((r) => r.kind === "Job"))) continue;
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
      const considered = inj.containers.filter((c) => !c.skipped && c.injected);
      const stale = considered.find(
        (c) => c.env.AZURE_CLIENT_ID && c.env.AZURE_CLIENT_ID.toLowerCase() !== annotated.toLowerCase(),
      );
      // The webhook adds AZURE_CLIENT_ID only when the annotation is there: a pod without it predates the annotation.
      const unset = considered.find((c) => !("AZURE_CLIENT_ID" in c.env));
      if (stale) {
        // A value written into the pod template is never overridden by the webhook: a restart brings it back.
        const byHand = wl?.podTemplate.spec?.containers
          ?.find((c) => c.name === stale.container)
          ?.env?.find((e) => e.name === "AZURE_CLIENT_ID");
        if (byHand && wl) {
          findings.push({
            id: this.id,
            severity: "error",
            title: `${wl.kind} ${wl.name} sets AZURE_CLIENT_ID=${byHand.value ?? "(from a reference)"} in container ${stale.container} itself; the webhook never overrides it, so the service account's ${annotated} is not used`,
            evidence: {
              pod: inj.pod,
              container: stale.container,
              templateClientId: byHand.value ?? null,
              annotationClientId: annotated,
              note: "restarting alone does not help: the value comes from the pod template",
            },
            fix: {
              summary:
                "Remove AZURE_CLIENT_ID from the pod template (the webhook injects the annotation's value), which also rolls the pods.",
              commands: [
                `kubectl set env ${sh(`${wl.kind.toLowerCase()}/${wl.name}`)} -n ${sh(f.target.namespace)} -c ${sh(stale.container)} AZURE_CLIENT_ID-`,
              ],
            },
          });
          continue;
        }
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
      } else if (unset) {
        findings.push({
          id: this.id,
          severity: "error",
          title: `Pod ${inj.pod} has no AZURE_CLIENT_ID: it was created before the service account got its client id annotation`,
          evidence: { pod: inj.pod, container: unset.container, injectedClientId: null, annotationClientId: annotated },
          fix: {
            summary: "The webhook only mutates at creation: recreate the pods.",
            commands: [restartCommand(f, inj.pod)],
          },
        });
      }
    }
    return findings;
  },
});

/**
 * The service account the pods should run as: the one named in the target, or, when none was named and the pods'
 * own account names no identity, the accounts in the namespace that do.
 */
export function intendedServiceAccounts(f: AksFacts): { names: string[]; inferred: boolean } | undefined {
  if (f.target.serviceAccount) return { names: [f.target.serviceAccount], inferred: false };
  const candidates = f.serviceAccountCandidates ?? [];
  return candidates.length ? { names: candidates, inferred: true } : undefined;
}

export const podServiceAccountMismatch = aksCheck({
  id: "pod.service-account-mismatch",
  doc: {
    meaning:
      "The pods run as another service account than the one named (often `default`). When none was named, and the pods' account names no identity while other accounts in the namespace do, those are taken as the intended ones (the evidence says so).",
    symptom: "AADSTS70021 with subject `...:default`",
  },
  severity: "error",
  confirms: ["fic_subject_mismatch"],
  essential: (f) => unread(f.pods, f.workload),
  title: "The pods run as the intended service account",
  skippedBecause: (f) =>
    needPods(f) ?? (intendedServiceAccounts(f) ? undefined : "no service account was named to compare with"),
  run(f) {
    const intended = intendedServiceAccounts(f)!;
    const want = intended.names[0];
    const findings: Finding[] = [];
    const wl = valueOf(f.workload ?? { status: "skipped", reason: "" });
    const runAs = wl
      ? [{ name: `${wl.kind}/${wl.name}`, sa: wl.podTemplate.spec?.serviceAccountName || "default" }]
      : [];
    for (const pod of podsOf(f))
      runAs.push({ name: `pod/${pod.metadata?.name}`, sa: pod.spec?.serviceAccountName || "default" });
    for (const r of runAs) {
      if (intended.names.includes(r.sa)) continue;
      const wanted = intended.names.map((n) => `"${n}"`).join(" or ");
      findings.push({
        id: this.id,
        severity: "error",
        title: intended.inferred
          ? `${r.name} runs as service account "${r.sa}", which names no identity; ${wanted} in the namespace does`
          : `${r.name} runs as service account "${r.sa}", not "${want}"`,
        evidence: {
          object: r.name,
          serviceAccountName: r.sa,
          expected: intended.inferred ? intended.names : want,
          ...(intended.inferred
            ? { inferredFrom: "service accounts in the namespace that carry azure.workload.identity/client-id" }
            : {}),
        },
        fix: {
          summary:
            "Set spec.serviceAccountName on the pod template (or annotate the service account the pods really use).",
          commands: wl
            ? [
                `kubectl patch ${sh(wl.kind.toLowerCase())} ${sh(wl.name)} -n ${sh(f.target.namespace)} --type merge -p ${sh(
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
});

/** The token path moved between webhook releases; code that hard-codes one breaks on the other. */
export const podTokenPathHardcoded = aksCheck({
  id: "pod.token-path-hardcoded",
  doc: {
    meaning:
      "A container reads the token from a path where this pod has none (`/var/run/secrets/azure/tokens/...` of v1.5 vs `/var/run/secrets/azure/wi/token/...` of v1.6), or sets `AZURE_FEDERATED_TOKEN_FILE` itself to such a path. The real location is the container's mount of the token volume plus its projected path, so newer per-pod mount paths are not flagged.",
    symptom: '"no such file or directory" on the token file',
  },
  severity: "error",
  confirms: ["token_path_changed"],
  title: "No container hard-codes a token path the webhook no longer uses",
  skippedBecause: needPods,
  run(f) {
    const findings: Finding[] = [];
    for (const pod of podsOf(f)) {
      const inj = injectionOf(pod);
      if (!inj.tokenVolume) continue;
      const layoutPath = inj.tokenVolume.layout === "v1.5" ? TOKEN_PATH_V15 : TOKEN_PATH_V16;
      for (const c of pod.spec?.containers ?? []) {
        const ci = inj.containers.find((x) => x.container === c.name);
        // Where the token really is in this container (newer webhooks add a per-pod hash to the mount path).
        const injectedPath = (ci && tokenFileIn(inj, ci)) ?? layoutPath;
        const stale = [TOKEN_PATH_V15, TOKEN_PATH_V16].filter((p) => p !== injectedPath);
        const places: string[] = [];
        let stalePath = stale[0];
        const mention = (where: string, text: string | undefined) => {
          const hit = stale.find((p) => text?.includes(p));
          if (hit) {
            places.push(where);
            stalePath = hit;
          }
        };
        for (const e of c.env ?? []) if (e.name !== "AZURE_FEDERATED_TOKEN_FILE") mention(`env ${e.name}`, e.value);
        for (const a of [...(c.command ?? []), ...(c.args ?? [])]) mention("command/args", a);
        // The webhook never overrides a variable already set: a hand-written AZURE_FEDERATED_TOKEN_FILE stays.
        const tokenEnv = ci?.env.AZURE_FEDERATED_TOKEN_FILE;
        if (ci?.tokenMount && tokenEnv && tokenEnv !== injectedPath && tokenEnv.includes("/var/run/secrets/azure/")) {
          places.push("env AZURE_FEDERATED_TOKEN_FILE");
          stalePath = tokenEnv;
        }
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
});
