// `wi-doctor demo`: a bundled simulated world, diagnosed by the tool that fits its target.
import { startSimSession } from "./sim/environment.js";
import { loadScenario, type Scenario } from "./sim/scenario.js";
import type { ToolContext } from "./tools/define.js";
import { allTools } from "./tools/index.js";

/**
 * The tool a demo runs: the one-call diagnosis for a service account, pod or workload; for a target that names
 * only a namespace, the tool that inspects a whole namespace on that platform (diagnose needs one of the three).
 */
export function demoCall(s: Scenario): { tool: string; input: Record<string, unknown> } {
  const t = s.target;
  if (t.serviceAccount || t.pod || t.workload) return { tool: "diagnose_workload_identity", input: { ...t } };
  return s.platform === "aks"
    ? { tool: "inspect_pod_identity", input: { namespace: t.namespace } }
    : { tool: "check_webhook", input: { namespace: t.namespace, platform: "eks" } };
}

export interface DemoRun {
  scenario: Scenario;
  tool: string;
  output: Record<string, unknown>;
  text: string;
}

/** Start the named world, run its tool, stop the world. Bad input to the tool throws with the fields named. */
export async function runDemo(
  name: string,
  opts: { json?: boolean; simLatency?: number; signal?: AbortSignal; progress?: (m: string) => void } = {},
): Promise<DemoRun> {
  const scenario = loadScenario(name);
  const { tool: toolName, input } = demoCall(scenario);
  const tool = allTools.find((t) => t.name === toolName);
  if (!tool) throw new Error(`internal: tool ${toolName} is not registered`);
  const session = await startSimSession(scenario, { latencyMs: opts.simLatency });
  try {
    const parsed = tool.inputSchema.safeParse(input);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ");
      throw new Error(`scenario ${scenario.name}: its target is not valid input for ${toolName}: ${issues}`);
    }
    const ctx: ToolContext = {
      env: async () => session.env,
      signal: opts.signal ?? new AbortController().signal,
      progress: async (message) => opts.progress?.(message),
    };
    const output = (await tool.handler(parsed.data, ctx)) as Record<string, unknown>;
    return {
      scenario,
      tool: toolName,
      output,
      text: opts.json ? JSON.stringify(output, null, 2) : tool.render(output),
    };
  } finally {
    await session.close();
  }
}
