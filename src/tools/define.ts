// The shape of one MCP tool: schemas, annotations and a thin handler. The registry is a list of these.
import type { z } from "zod";
import type { Environment } from "../providers/environment.js";

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface ToolContext {
  /** How to reach the world (live or simulated). Created lazily by the server on first use. */
  env(): Promise<Environment>;
  signal: AbortSignal;
  /** Report progress of long work; a no-op when the client did not ask for progress. */
  progress(message: string, progress: number, total?: number): Promise<void>;
  /** Ask the human through the client (MCP elicitation), when the client can; write tools ask before applying. */
  elicit?(message: string): Promise<"accept" | "decline" | "cancel" | "unavailable">;
}

/** Groups of tools a server can be started with (`--toolsets aks,eks`), like github-mcp-server's. */
export const TOOLSETS = ["aks", "eks", "podid", "explain"] as const;
export type Toolset = (typeof TOOLSETS)[number];

// biome-ignore lint/suspicious/noExplicitAny: the registry holds tools of every schema.
export type AnyObjectSchema = z.ZodObject<any>;

export interface ToolDefinition<
  I extends AnyObjectSchema = AnyObjectSchema,
  O extends AnyObjectSchema = AnyObjectSchema,
> {
  /** snake_case. */
  name: string;
  title: string;
  /** Written for an agent: when to use it, what it returns, what to call next. */
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: ToolAnnotations;
  /**
   * The toolsets (`--toolsets`) that list this tool: aks, eks, podid (aad-pod-identity), explain. A tool that names
   * none is listed whatever the selection.
   */
  toolsets?: readonly Toolset[];
  /** One line for the README's tool table and the prompt: what the tool answers. */
  summary?: string;
  /**
   * The tool answers the whole question in one call (diagnose, explain, audit), so the prompt does not list it among
   * the step tools. Default false: every other read-only tool is a step tool. Not listed in tools/list.
   */
  oneCall?: boolean;
  /**
   * Plausible arguments against the bundled AKS worlds (`aks-healthy` and its overlays): test/no-secrets.test.ts
   * calls every tool with them and searches the output for tokens; they must parse with `inputSchema`. Not listed
   * in tools/list.
   */
  example: z.input<I>;
  handler(input: z.infer<I>, ctx: ToolContext): Promise<z.infer<O>>;
  /** A short human-readable rendering of the same data. */
  render(output: z.infer<O>): string;
}

export function defineTool<I extends AnyObjectSchema, O extends AnyObjectSchema>(
  def: ToolDefinition<I, O>,
): ToolDefinition<I, O> {
  return def;
}

/** A tool writes when its annotations say so: the one source of truth for --allow-writes. */
export function isWriteTool(tool: Pick<ToolDefinition, "annotations">): boolean {
  return !tool.annotations.readOnlyHint || tool.annotations.destructiveHint;
}

/** Bad input that zod could not catch (e.g. two fields that exclude each other): names the field. */
export class ToolInputError extends Error {
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly got?: unknown,
  ) {
    super(`${field}: expected ${expected}${got === undefined ? "" : `, got ${JSON.stringify(got)}`}`);
    this.name = "ToolInputError";
  }
}
