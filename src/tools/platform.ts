// Step tools that serve one platform refuse the other one, naming the tool to use instead.
import type { Platform } from "../diagnosis/types.js";
import { detectPlatform } from "../gather/platform.js";
import type { Environment } from "../providers/environment.js";
import type { ToolContext } from "./define.js";

const NAMES: Record<Platform, string> = { aks: "AKS", eks: "EKS" };

/** What to call on each platform instead of a tool that serves the other one. */
export const INSTEAD: Record<Platform, string> = {
  aks: "diagnose_workload_identity (the whole chain), list_federated_credentials (an identity's federated credentials) or check_role_assignments (its roles)",
  eks: "diagnose_workload_identity (the whole chain), or inspect_iam_role (an IAM role's trust policy)",
};

export class WrongPlatformError extends Error {
  constructor(tool: string, serves: Platform, found: Platform) {
    super(
      `${tool} is for ${NAMES[serves]} only, and the kube context points at an ${NAMES[found]} cluster: use ${INSTEAD[found]} instead`,
    );
    this.name = "WrongPlatformError";
  }
}

/** The environment, once it is clear the kube context is not on the other platform (no context: allowed). */
export async function envFor(ctx: ToolContext, tool: string, serves: Platform): Promise<Environment> {
  const env = await ctx.env();
  const found = detectPlatform(env);
  if (found && found !== serves) throw new WrongPlatformError(tool, serves, found);
  return env;
}
