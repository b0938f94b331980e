// One entry point for a full diagnosis: pick the platform and the mechanism, then gather and check.
import { type ErrorTextSection, errorTextSection } from "../diagnosis/error-text.js";
import type { Platform, Report, Target } from "../diagnosis/types.js";
import type { Environment } from "../providers/environment.js";
import { withRemediations } from "../remediation/index.js";
import { diagnoseAks, type GatherOptions } from "./aks.js";
import { diagnoseEks } from "./eks.js";
import { errorTextFacts } from "./error-text.js";
import { KubeProvider } from "../providers/kubernetes.js";
import { detectPlatform, normalizeTarget } from "./platform.js";
import { resolveTarget } from "./target.js";
import { diagnosePodIdentity, PodIdGatherer, targetUsesPodIdentity } from "./podid.js";

export type DiagnosisReport = Report & { mechanism?: string; errorText?: ErrorTextSection };

export async function diagnose(
  env: Environment,
  target: Target,
  opts: GatherOptions & { platform?: Platform },
): Promise<DiagnosisReport> {
  const report: DiagnosisReport = await diagnoseOnce(env, normalizeTarget(target), opts);
  // Every platform's report says whether the live checks confirm the error the user saw.
  if (opts.errorText && !report.errorText) {
    const facts = errorTextFacts(opts.errorText);
    if (facts) report.errorText = errorTextSection(facts, report.findings);
  }
  return withRemediations(report);
}

async function diagnoseOnce(
  env: Environment,
  target: Target,
  opts: GatherOptions & { platform?: Platform },
): Promise<DiagnosisReport> {
  const platform = opts.platform ?? detectPlatform(env) ?? "aks";
  // The target is resolved once, with one Kubernetes client, and every mechanism reads that answer.
  const kube = new KubeProvider(env);
  const resolved = resolveTarget({ kube, signal: opts.signal }, target);
  resolved.catch(() => undefined);
  const shared = { kube, resolved };
  if (platform === "eks") return diagnoseEks(env, target, opts, shared);

  // Most AKS workloads use workload identity: start that diagnosis at once, and switch to aad-pod-identity
  // only if the target turns out to use it (its label, or a binding that selects it).
  const workloadIdentityRun = new AbortController();
  // Linked by hand: a signal made by AbortSignal.any can be collected before it fires.
  const stop = () => workloadIdentityRun.abort(opts.signal.reason);
  if (opts.signal.aborted) stop();
  else opts.signal.addEventListener("abort", stop, { once: true });
  const signal = workloadIdentityRun.signal;
  let decided = false;
  // The aad-pod-identity reads that decide the mechanism start now, alongside the workload identity gathering,
  // and a pod-identity diagnosis reuses them (the target's pods are read once); both runs share one read of the
  // namespace's SecretProviderClasses and one lookup of the context's AKS cluster (made under the diagnosis's own
  // signal, so that stopping the workload identity run leaves it to the pod-identity one).
  const podIdReads = new PodIdGatherer(env, opts.signal, kube);
  const aks = diagnoseAks(
    env,
    target,
    {
      ...opts,
      signal,
      progress: async (message, progress, total) => {
        if (decided) await opts.progress(message, progress, total);
      },
    },
    {
      ...shared,
      reads: { secretProviderClasses: podIdReads.secretProviderClasses, contextCluster: podIdReads.cluster },
    },
  );
  aks.catch(() => undefined);
  // An error text from NMI or MIC (a 404 "getting assigned identities", LinkedAuthorizationFailed) says which
  // mechanism the workload uses even when its objects no longer show it.
  podIdReads.prefetch(target, resolved);
  const podIdentity =
    (await targetUsesPodIdentity(env, target, opts.signal, podIdReads)) ||
    errorTextFacts(opts.errorText)?.platform === "aad-pod-identity";
  decided = true;
  if (podIdentity) {
    workloadIdentityRun.abort();
    return { ...(await diagnosePodIdentity(env, target, opts, podIdReads)), mechanism: "aad-pod-identity" };
  }
  await opts.progress("reading the cluster and cloud", 1, 4);
  return { ...(await aks), mechanism: "workload identity" };
}
