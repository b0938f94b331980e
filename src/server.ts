// createServer(options) → McpServer for callers that name their tools or want the whole registry (the library
// entry, the HTTP face, tests). The server itself is src/mcp-server.ts; the stdio face uses it directly.
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { createMcpServer, troubleshootPrompt as promptFor } from "./mcp-server.js";
import type { Environment } from "./providers/environment.js";
import type { ToolDefinition, Toolset } from "./tools/define.js";
import { allTools } from "./tools/index.js";
import { definitionSource, lazyToolSource, selectCards } from "./tools/lazy.js";

export { errorResult, SERVER_INSTRUCTIONS } from "./mcp-server.js";

export interface ServerOptions {
  /** Register tools that change the world (their annotations say so). Off by default. */
  allowWrites?: boolean;
  /** How to reach the world; called once, on the first tool call that needs it. */
  environment: () => Promise<Environment>;
  /** Override the tool list (tests). */
  tools?: ToolDefinition[];
  /** The toolsets to list (`--toolsets`); every one by default. */
  toolsets?: Toolset[];
  /** false: never ask the client through elicitation (a transport that cannot carry server-initiated requests). */
  elicitation?: boolean;
}

export function toolsFor(options: Pick<ServerOptions, "allowWrites" | "tools" | "toolsets">): ToolDefinition[] {
  return selectCards(options.tools ?? allTools, options);
}

export function createServer(options: ServerOptions): McpServer {
  return createMcpServer({
    environment: options.environment,
    // Named tools are served as given; otherwise each tool's module is imported on its first call.
    source: options.tools ? definitionSource(toolsFor(options)) : lazyToolSource(options),
    elicitation: options.elicitation,
  });
}

export function troubleshootPrompt(
  namespace: string,
  target?: string,
  errorText?: string,
  tools: readonly ToolDefinition[] = allTools,
): string {
  return promptFor(tools, namespace, target, errorText);
}
