// Step tools that serve one platform refuse the other one, naming the tool to use instead.
import type { Platform } from "../diagnosis/types.js";
import { detectPlatform } from "../gather/platform.js";
import type { Environment } from "../providers/environment.js";
import type { z } from "zod";
import { type AnyObjectSchema, defineTool, type ToolContext, type ToolDefinition } from "./define.js";

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

/** What one platform's half of a tool does, given the environment the platform was decided from. */
export type PlatformHandler<I extends AnyObjectSchema, O extends AnyObjectSchema> = (
  env: Environment,
  input: z.infer<I>,
  ctx: ToolContext,
) => Promise<z.infer<O>>;

/**
 * A tool with one handler per platform. With both, the platform is the caller's `platform` field, else the kube
 * context's, else AKS; with one, a kube context on the other platform is refused, naming the tools to use instead.
 */
export function definePlatformTool<I extends AnyObjectSchema, O extends AnyObjectSchema>(
  def: Omit<ToolDefinition<I, O>, "handler"> & {
    /** Checks on the input that hold whatever the platform (they run before the environment is created). */
    validate?: (input: z.infer<I>) => void;
    aks?: PlatformHandler<I, O>;
    eks?: PlatformHandler<I, O>;
  },
): ToolDefinition<I, O> {
  const { aks, eks, validate, ...tool } = def;
  const served = (["aks", "eks"] as const).filter((p) => def[p]);
  if (!served.length) throw new Error(`${def.name}: a platform tool needs an aks or an eks handler`);
  return defineTool({
    ...tool,
    async handler(input, ctx) {
      validate?.(input);
      if (served.length === 1) {
        const env = await envFor(ctx, def.name, served[0]);
        return def[served[0]]!(env, input, ctx);
      }
      const env = await ctx.env();
      const forced = (input as { platform?: Platform }).platform;
      const platform = forced ?? detectPlatform(env) ?? "aks";
      return (platform === "eks" ? eks : aks)!(env, input, ctx);
    },
  });
}
