// One entry point for a full diagnosis: pick the platform and the mechanism, then gather and check.
import type { Platform, Report, Target } from "../diagnosis/types.js";
import type { Environment } from "../providers/environment.js";
import { diagnoseAks, type GatherOptions } from "./aks.js";
import { detectPlatform } from "./platform.js";

export async function diagnose(
  env: Environment,
  target: Target,
  opts: GatherOptions & { platform?: Platform },
): Promise<Report & { mechanism?: string }> {
  const platform = opts.platform ?? detectPlatform(env) ?? "aks";
  if (platform === "eks") {
    const { diagnoseEks } = await import("./eks.js");
    return diagnoseEks(env, target, opts);
  }
  const podIdentity = await import("./podid.js").catch(() => undefined);
  if (podIdentity && (await podIdentity.targetUsesPodIdentity?.(env, target, opts.signal))) {
    return { ...(await podIdentity.diagnosePodIdentity(env, target, opts)), mechanism: "aad-pod-identity" };
  }
  return { ...(await diagnoseAks(env, target, opts)), mechanism: "workload identity" };
}
