// A second confirmation through the MCP client, when it declared the elicitation capability: the human sees the
// plan's summary and answers yes or no. `confirm: true` with the planId stays what authorises a write; this only
// adds a chance to say no. A client that cannot answer (no capability, a transport without server-initiated
// requests, no answer in time) leaves the decision to `confirm`.
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";

export type ElicitAnswer = "accept" | "decline" | "cancel" | "unavailable";

const ANSWER_WITHIN_MS = 120_000;

export async function confirmThroughClient(
  server: Server,
  message: string,
  related: { requestId?: string | number; signal: AbortSignal },
): Promise<ElicitAnswer> {
  if (!server.getClientCapabilities()?.elicitation) return "unavailable";
  try {
    const r = await server.elicitInput(
      {
        message,
        requestedSchema: {
          type: "object",
          properties: { apply: { type: "boolean", title: "Apply this change", default: false } },
          required: ["apply"],
        },
      },
      { relatedRequestId: related.requestId, signal: related.signal, timeout: ANSWER_WITHIN_MS },
    );
    if (r.action !== "accept") return r.action;
    return r.content?.apply === true ? "accept" : "decline";
  } catch {
    return "unavailable";
  }
}
