// explain_error: an error text in; its codes, the values it names, and ranked causes out, optionally
// confirmed against the live cluster and cloud.
import { errorTextField } from "./schemas.js";
import { z } from "zod";
import { applyCrossCheck, crossCheck } from "../diagnosis/errors/cross-check.js";
import { type ExplainResult, explainError } from "../diagnosis/errors/explain.js";
import { redactSecrets } from "../diagnosis/errors/redact.js";
import { errorClasses, errorPlatforms, extractedFields } from "../diagnosis/errors/taxonomy.js";
import { renderExplanation } from "../report/explain-text.js";
import { defineTool } from "./define.js";

const ToolCallSchema = z.object({ tool: z.string(), arguments: z.record(z.string(), z.string()) });

const ExplainOutputSchema = z.object({
  codes: z
    .array(z.string())
    .describe("Every recognised code: AADSTS numbers, STS/IAM/ARM codes, HTTP statuses, SDK error names"),
  meanings: z
    .array(z.object({ code: z.string(), meaning: z.string(), source: z.string() }))
    .describe("What each recognised AADSTS / STS / IAM / EKS Auth code means, with the reference it comes from"),
  platform: z.enum(errorPlatforms),
  extracted: z
    .object(
      Object.fromEntries(extractedFields.map((f) => [f, z.string().optional()])) as Record<
        (typeof extractedFields)[number],
        z.ZodOptional<z.ZodString>
      >,
    )
    .describe("Values named in the text (never secrets)"),
  causes: z
    .array(
      z.object({
        class: z.enum(errorClasses),
        confidence: z.number().min(0).max(1),
        explanation: z.string(),
        confirmWith: z.array(ToolCallSchema).describe("Tool calls that confirm or rule out this cause"),
        fixes: z.array(z.object({ summary: z.string(), commands: z.array(z.string()) })),
      }),
    )
    .describe("Best first"),
  undecided: z
    .object({
      between: z.array(z.enum(errorClasses)),
      decidingCall: ToolCallSchema,
      why: z.string(),
    })
    .optional()
    .describe("When the text cannot decide between the leading causes: the tool call that does"),
  crossCheck: z
    .object({
      findings: z.array(
        z.object({
          field: z.string(),
          presented: z.string().optional(),
          expected: z.string().optional(),
          verdict: z.enum(["match", "mismatch", "unknown"]),
          detail: z.string(),
        }),
      ),
      confirmedClass: z.enum(errorClasses).optional(),
      skipped: z.array(z.string()),
    })
    .optional()
    .describe("What the live cluster and cloud say about the extracted values"),
});

export const explainErrorTool = defineTool({
  name: "explain_error",
  oneCall: true,
  example: {
    text: 'AADSTS70021: No matching federated identity record. client_assertion=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL3gifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ access_token":"eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwcyJ9.c2ln"',
    namespace: "payments",
  },
  toolsets: ["explain"],
  summary: "What an error text (AADSTS…, STS, SDK, CSI, NMI) means, which field is wrong, and how to confirm.",
  title: "Explain a workload identity error",
  description:
    "Use first when the user has an error message: AADSTS codes, Azure SDK credential errors, Key Vault CSI mount events, IMDS/NMI, STS or EKS Pod Identity agent errors. Paste it as is (a log up to 4 MB). Returns the codes, the values it names (issuer, subject, audience, ids, role ARN), likely causes ranked with the tools that confirm each, and fixes; crossCheck compares the values with the cluster and cloud and names the wrong field. Next: the top cause's confirmWith tools.",
  inputSchema: z.object({
    text: errorTextField("The error text or log excerpt (a longer log keeps its last 1 MB)", 1),
    namespace: z.string().max(253).optional().describe("Namespace of the workload, when the text does not name it"),
    serviceAccount: z
      .string()
      .max(253)
      .optional()
      .describe("Service account of the workload, when the text does not name it"),
    crossCheck: z
      .boolean()
      .optional()
      .describe("Compare with the live cluster and cloud (default: when either can be read)"),
  }),
  outputSchema: ExplainOutputSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(input, ctx) {
    let result: ExplainResult = explainError(input.text, {
      namespace: input.namespace,
      serviceAccount: input.serviceAccount,
    });
    if (input.crossCheck === false) return result;
    // The providers are loaded only for a cross-check: explaining a text alone reads nothing.
    const { gatherCrossCheckFacts, worthCrossChecking } = await import("../gather/explain.js");
    if (!worthCrossChecking(result.extracted)) return result;
    try {
      const env = await ctx.env();
      const canRead = Boolean(env.kubeconfig || env.azure.credential);
      if (input.crossCheck === undefined && !canRead) return result;
      await ctx.progress("reading the cluster and cloud to cross-check", 1, 2);
      const facts = await gatherCrossCheckFacts(env, result.extracted, ctx.signal);
      result = applyCrossCheck(result, crossCheck(result, facts));
    } catch (err) {
      if ((err as Error)?.name === "AbortError" || ctx.signal.aborted) throw err;
      result = {
        ...result,
        crossCheck: {
          findings: [],
          skipped: [`cross-check: ${redactSecrets((err as Error)?.message ?? String(err))}`],
        },
      };
    }
    return result;
  },
  render: (out) => renderExplanation(out as ExplainResult),
});
