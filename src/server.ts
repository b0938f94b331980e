// createServer(options) → McpServer: tools from the registry, skills as resources, the troubleshooting prompt.
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { type CallToolResult, ListToolsRequestSchema, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Environment } from "./providers/environment.js";
import { listSkills, readSkill } from "./skills.js";
import { isWriteTool, ToolInputError, type ToolContext, type ToolDefinition } from "./tools/define.js";
import { allTools } from "./tools/index.js";
import { fenceUntrusted } from "./diagnosis/untrusted.js";
import { listedTool } from "./tools/listing.js";
import { selectTools, stepToolList, type Toolset } from "./tools/toolsets.js";
import { registerExtraResources, resourceNotFound } from "./resources.js";
import { VERSION } from "./version.js";
import { confirmThroughClient } from "./remediation/elicit.js";

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

export const SERVER_INSTRUCTIONS = `wi-doctor diagnoses Kubernetes workload identity: how a pod's service-account token becomes a cloud token (AKS Azure Workload Identity, legacy aad-pod-identity, EKS IRSA and EKS Pod Identity).

Start with diagnose_workload_identity (namespace plus service account, pod or workload; add the error text if the user has one): it runs every check in one call and returns findings with evidence and ready-to-paste fixes. If the user only has an error message, call explain_error first. The other tools are the individual steps, for drilling into one finding.

Troubleshooting guides are resources: skill://aks-workload-identity/SKILL.md, skill://azure-identity-errors/SKILL.md, skill://aad-pod-identity/SKILL.md, skill://eks-irsa/SKILL.md. Error codes are resources at wi-doctor://errors/{code}. Tools never return tokens or secrets; tools that change anything are only present when the server was started with --allow-writes.`;

export function toolsFor(options: Pick<ServerOptions, "allowWrites" | "tools" | "toolsets">): ToolDefinition[] {
  const tools = selectTools(options.tools ?? allTools, options.toolsets);
  return options.allowWrites ? tools : tools.filter((t) => !isWriteTool(t));
}

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

export function createServer(options: ServerOptions): McpServer {
  const server = new McpServer(
    { name: "wi-doctor", title: "wi-doctor: workload identity doctor", version: VERSION },
    { instructions: SERVER_INSTRUCTIONS, capabilities: { logging: {} } },
  );
  let envPromise: Promise<Environment> | undefined;
  const env = () => {
    envPromise ??= options.environment();
    return envPromise;
  };

  const tools = toolsFor(options);
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.inputSchema,
        outputSchema: tool.outputSchema,
        annotations: { title: tool.title, ...tool.annotations },
      },
      async (args: unknown, extra): Promise<CallToolResult> => {
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
        try {
          const input = tool.inputSchema.parse(args);
          const output = await tool.handler(input, ctx);
          return {
            structuredContent: output as Record<string, unknown>,
            content: [{ type: "text", text: tool.render(output) }],
          };
        } catch (err) {
          return errorResult(tool, err);
        }
      },
    );
  }

  // tools/list answers compact definitions (src/tools/listing.ts), built once on the first request.
  let listing: Tool[] | undefined;
  server.server.setRequestHandler(ListToolsRequestSchema, () => {
    listing ??= tools.map(listedTool);
    return { tools: listing };
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
    ({ namespace, target, errorText }) => ({
      messages: [
        { role: "user", content: { type: "text", text: troubleshootPrompt(namespace, target, errorText, tools) } },
      ],
    }),
  );
  return server;
}

export function troubleshootPrompt(
  namespace: string,
  target?: string,
  errorText?: string,
  tools: readonly ToolDefinition[] = allTools,
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
