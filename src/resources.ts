// Resources beyond the skills: the error catalogue (wi-doctor://errors/{code}).
import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";

// The catalogue is read on the first request for it, not when the server starts.
const errors = () => import("./diagnosis/errors/catalogue.js");

/** MCP's "resource not found" error (-32002), with the URI in its data, as the specification defines it. */
export function resourceNotFound(uri: string, message: string): McpError {
  return new McpError(RESOURCE_NOT_FOUND, message, { uri });
}

const RESOURCE_NOT_FOUND = -32002;

export function registerExtraResources(server: McpServer): void {
  server.registerResource(
    "error",
    new ResourceTemplate("wi-doctor://errors/{code}", {
      list: async () => ({
        resources: (await errors()).catalogue.map((e) => ({
          uri: `wi-doctor://errors/${encodeURIComponent(e.code)}`,
          name: e.code,
          title: e.title,
          description: `${e.title} (${e.causes.map(([c]) => c).join(", ")})`,
          mimeType: "text/markdown",
        })),
      }),
      complete: { code: async () => (await errors()).catalogue.map((e) => e.code) },
    }),
    {
      title: "Error catalogue",
      description:
        "One page per recognised workload identity error: what it means, the likely causes and the source it rests on.",
      mimeType: "text/markdown",
    },
    async (uri, variables) => {
      const code = decodeURIComponent(String(variables.code));
      const entry = (await errors()).findEntry(code);
      if (!entry)
        throw resourceNotFound(uri.href, `no catalogue entry for ${code}; list the resources to see the known codes`);
      return {
        contents: [
          {
            uri: uri.href,
            mimeType: "text/markdown",
            text: (await import("./diagnosis/errors/docs.js")).entryMarkdown(entry),
          },
        ],
      };
    },
  );
}
