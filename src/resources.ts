// Resources beyond the skills: the error catalogue (wi-doctor://errors/{code}).
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";

export function registerExtraResources(_server: McpServer): void {
  // The error catalogue registers itself here (see src/diagnosis/errors).
}
