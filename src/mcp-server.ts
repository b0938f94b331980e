// createMcpServer(options) → McpServer: the listed tools (each imported on its first call), skills as resources,
// the troubleshooting prompt. Nothing here imports a tool: starting the server costs no tool code.
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type CallToolResult, CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Environment } from "./providers/environment.js";
import { listSkills, readSkill } from "./skills.js";
import { ToolInputError, type ToolContext, type ToolDefinition } from "./tools/define.js";
import { fenceUntrusted } from "./diagnosis/untrusted.js";
import type { ToolCard, ToolSource } from "./tools/lazy.js";
import { stepToolList } from "./tools/toolsets.js";
import { registerExtraResources, resourceNotFound } from "./resources.js";
import { VERSION } from "./version.js";
import { confirmThroughClient } from "./remediation/elicit.js";

export interface McpServerOptions {
  /** How to reach the world; called once, on the first tool call that needs it. */
  environment: () => Promise<Environment>;
  /** The listed tools (src/tools/lazy.ts). */
  source: ToolSource;
  /** false: never ask the client through elicitation (a transport that cannot carry server-initiated requests). */
  elicitation?: boolean;
}

export const SERVER_INSTRUCTIONS = `wi-doctor diagnoses Kubernetes workload identity: how a pod's service-account token becomes a cloud token (AKS Azure Workload Identity, legacy aad-pod-identity, EKS IRSA and EKS Pod Identity).

Start with diagnose_workload_identity (namespace plus service account, pod or workload; add the error text if the user has one): it runs every check in one call and returns findings with evidence and ready-to-paste fixes. If the user only has an error message, call explain_error first. The other tools are the individual steps, for drilling into one finding.

Troubleshooting guides are resources: skill://aks-workload-identity/SKILL.md, skill://azure-identity-errors/SKILL.md, skill://aad-pod-identity/SKILL.md, skill://eks-irsa/SKILL.md. Error codes are resources at wi-doctor://errors/{code}. Tools never return tokens or secrets; tools that change anything are only present when the server was started with --allow-writes.`;

/** Turn any failure into text that tells the agent how to correct the call. */
export function errorResult(tool: ToolDefinition, err: unknown): CallToolResult {
  let text: string;
  if (err instanceof ToolInputError) {
    text = `Invalid input for ${tool.name}: ${err.message}. Correct the field and call ${tool.name} again.`;
  } else if (err instanceof z.ZodError) {
    text = `Invalid input for ${tool.name}: ${err.issues
      .map((i) => `${i.path.join(".") || "(arguments)"}: ${i.message}`)
      .join("; ")}. Correct the field and call ${tool.name} again.`;
  } else if ((err as Error)?.name === "AbortError") {
    text = `${tool.name} was cancelled.`;
  } else {
    text = `${tool.name} failed: ${(err as Error)?.message ?? String(err)}`;
  }
  return { isError: true, content: [{ type: "text", text }] };
}

export function createMcpServer(options: McpServerOptions): McpServer {
  const server = new McpServer(
    { name: "wi-doctor", title: "wi-doctor: workload identity doctor", version: VERSION },
    { instructions: SERVER_INSTRUCTIONS, capabilities: { logging: {} } },
  );
  let envPromise: Promise<Environment> | undefined;
  const env = () => {
    envPromise ??= options.environment();
    return envPromise;
  };
  const { source } = options;

  server.server.registerCapabilities({ tools: { listChanged: true } });
  server.server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: (await source.cards()).map((c) => c.listing),
  }));
  server.server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name, arguments: args } = request.params;
    const tool = await source.load(name);
    if (!tool) {
      // As the SDK's own tool registry answers: an error result the agent can read.
      const names = (await source.cards()).map((c) => c.name).join(", ");
      return { isError: true, content: [{ type: "text", text: `Tool ${name} not found; the tools are: ${names}` }] };
    }
    const token = extra._meta?.progressToken;
    const ctx: ToolContext = {
      env,
      signal: extra.signal,
      progress: async (message, progress, total) => {
        if (token === undefined) return;
        await extra.sendNotification({
          method: "notifications/progress",
          params: { progressToken: token, progress, total, message },
        });
      },
      ...(options.elicitation === false
        ? {}
        : { elicit: (message: string) => confirmThroughClient(server.server, message, extra) }),
    };
    return callTool(tool, args ?? {}, ctx);
  });

  server.registerResource(
    "skill",
    new ResourceTemplate("skill://{name}/SKILL.md", {
      list: async () => ({
        resources: listSkills().map((s) => ({
          uri: `skill://${s.name}/SKILL.md`,
          name: s.name,
          title: s.name,
          description: s.description,
          mimeType: "text/markdown",
        })),
      }),
      complete: { name: () => listSkills().map((s) => s.name) },
    }),
    {
      title: "Troubleshooting guides",
      description: "Step-by-step workload identity troubleshooting guides, one per platform (Agent Skills format).",
      mimeType: "text/markdown",
    },
    async (uri, variables) => {
      const name = String(variables.name);
      const text = readSkill(name);
      if (text === undefined) {
        throw resourceNotFound(
          uri.href,
          `no skill named ${name}; available: ${listSkills()
            .map((s) => s.name)
            .join(", ")}`,
        );
      }
      return { contents: [{ uri: uri.href, mimeType: "text/markdown", text }] };
    },
  );
  registerExtraResources(server);

  server.registerPrompt(
    "troubleshoot_workload_identity",
    {
      title: "Troubleshoot workload identity",
      description:
        "Walks through diagnosing why a pod cannot get a cloud token: one-call diagnosis, then the individual checks.",
      argsSchema: {
        namespace: z.string().describe("Kubernetes namespace of the workload"),
        target: z.string().optional().describe("Service account, pod, or workload (e.g. deployment/payments-api)"),
        errorText: z.string().optional().describe("The error message the application or CSI driver printed"),
      },
    },
    async ({ namespace, target, errorText }) => ({
      messages: [
        {
          role: "user",
          content: { type: "text", text: troubleshootPrompt(await source.cards(), namespace, target, errorText) },
        },
      ],
    }),
  );
  return server;
}

/** One tool call: the input checked against the tool's schema, the output against its output schema. */
async function callTool(tool: ToolDefinition, args: unknown, ctx: ToolContext): Promise<CallToolResult> {
  try {
    const input = tool.inputSchema.parse(args);
    const output = await tool.handler(input, ctx);
    const checked = await tool.outputSchema.safeParseAsync(output);
    if (!checked.success) {
      return errorResult(
        tool,
        new Error(`its answer does not match its output schema: ${z.prettifyError(checked.error)}`),
      );
    }
    return {
      structuredContent: output as Record<string, unknown>,
      content: [{ type: "text", text: tool.render(output) }],
    };
  } catch (err) {
    return errorResult(tool, err);
  }
}

export function troubleshootPrompt(
  tools: readonly Pick<ToolCard, "name" | "annotations" | "toolsets" | "oneCall">[],
  namespace: string,
  target?: string,
  errorText?: string,
): string {
  const who = target
    ? target.includes("/")
      ? `workload ${target}`
      : `service account or pod ${target}`
    : "the workload that fails";
  const lines = [
    `Find out why ${who} in namespace ${namespace} cannot get a cloud access token, and fix it.`,
    "",
    "1. If there is an error message, call explain_error with it (and the namespace) to learn which field is wrong.",
    "2. Call diagnose_workload_identity with the namespace and the target" +
      (errorText ? ", passing the error text as errorText" : "") +
      ". It returns the verdict, findings (root cause first) with evidence and ready-to-paste fixes.",
    `3. To confirm one finding, use the step tools: ${stepToolList(tools)}.`,
    "4. Present the root cause, the evidence side by side, and the fix commands. After the user applies a fix, call diagnose_workload_identity again to verify.",
    "5. For background, read the skill resources (skill://aks-workload-identity/SKILL.md, skill://eks-irsa/SKILL.md, skill://azure-identity-errors/SKILL.md, skill://aad-pod-identity/SKILL.md).",
  ];
  // Pasted text can hold secrets and instructions: redacted, capped and fenced as data.
  if (errorText) lines.push("", fenceUntrusted("Error text", errorText, 8000));
  return lines.join("\n");
}
