// Running one tool as the CLI face, and the helpers the tool commands share.
import type { Environment } from "../providers/environment.js";
import type { ToolContext, ToolDefinition } from "../tools/define.js";
import { cliIo } from "./io.js";
import { lazy, log, UsageError } from "./world.js";

export async function findTool(name: string): Promise<ToolDefinition> {
  const { allTools } = await lazy.tools();
  const tool = allTools.find((t) => t.name === name);
  if (!tool) throw new Error(`internal: tool ${name} is not registered`);
  return tool;
}

/** Run one tool as the CLI face: same input schema, same output object, text or --json. */
export async function runTool(
  tool: ToolDefinition,
  input: unknown,
  env: Environment | (() => Promise<Environment>),
  json: boolean,
): Promise<{ output: Record<string, unknown>; text: string }> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  const ctx: ToolContext = {
    env: typeof env === "function" ? env : async () => env,
    signal: controller.signal,
    progress: async (message) => {
      if (!json && cliIo().stderr.isTTY) log(`… ${message}`);
    },
  };
  try {
    const parsed = tool.inputSchema.safeParse(input);
    if (!parsed.success) {
      throw new UsageError(parsed.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; "));
    }
    const output = (await tool.handler(parsed.data, ctx)) as Record<string, unknown>;
    return { output, text: json ? JSON.stringify(output, null, 2) : tool.render(output) };
  } finally {
    process.off("SIGINT", onSignal);
  }
}

/** The exit code of a report: 0 healthy, 1 broken, 2 inconclusive. */
export function exitCodeFor(output: Record<string, unknown>): number {
  const verdict = output.verdict;
  if (verdict === "healthy") return 0;
  if (verdict === "broken") return 1;
  if (verdict === "inconclusive") return 2;
  return 0;
}

/** Bytes read from stdin at most; the tools keep the end of a longer text (where the error usually is). */
const MAX_STDIN_BYTES = 16 * 1024 * 1024;

/**
 * All of stdin, read as a stream: a synchronous read of a non-blocking pipe stops at the first EAGAIN and loses
 * the rest. Beyond MAX_STDIN_BYTES only the last bytes are kept.
 */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of cliIo().stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(b);
    size += b.length;
    while (size - chunks[0].length > MAX_STDIN_BYTES) size -= (chunks.shift() as Buffer).length;
  }
  return Buffer.concat(chunks).toString("utf8");
}
