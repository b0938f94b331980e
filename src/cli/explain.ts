// `wi-doctor explain`: explain a pasted error message, optionally cross-checked against the cluster and cloud.
import type { Command } from "commander";
import { cliIo } from "./io.js";
import { readStdin, runTool } from "./run-tool.js";
import { addWorldOptions, openWorld, UsageError, type WorldOptions } from "./world.js";

export function addExplainCommand(program: Command): void {
  const explain = addWorldOptions(
    program
      .command("explain")
      .description("explain a workload-identity error message (reads stdin when TEXT is - or absent)")
      .argument("[text]", "the error text, or - for stdin")
      .option("-n, --namespace <ns>", "namespace to cross-check against the cluster")
      .option("--service-account <name>", "service account to cross-check")
      .option("--cross-check", "read the cluster and cloud to confirm the cause (needs access, or --scenario)")
      .option("--json", "print the result as JSON"),
  );
  explain.action(
    async (text: string | undefined, opts: WorldOptions & Record<string, string | boolean | undefined>) => {
      const errorText = text === undefined || text === "-" ? await readStdin() : text;
      const crossCheck = Boolean(opts.crossCheck || opts.scenario);
      if (!crossCheck) {
        await explainOnly(errorText, opts);
        return;
      }
      const world = await openWorld(opts, { kubeContext: true });
      try {
        const input = {
          text: errorText,
          namespace: opts.namespace,
          serviceAccount: opts.serviceAccount,
          crossCheck,
        };
        const { explainErrorTool } = await import("../tools/explain_error.js");
        const { text: out } = await runTool(explainErrorTool, input, world.env, Boolean(opts.json));
        cliIo().stdout.write(`${out}\n`);
      } finally {
        await world.session?.close();
      }
    },
  );
}

/** Longest text accepted, as explain_error's input schema has it (4 MB; the last 1 MB is read). */
const MAX_TEXT_CHARS = 4 * 1_048_576;

/**
 * `explain` without a cross-check: the catalogue and the explain code only — neither the tool's schemas (zod) nor
 * a provider is loaded, so the command starts about as fast as node itself. Same input limits, same answer as the
 * explain_error tool with crossCheck off (test/cli-explain.test.ts compares them).
 */
async function explainOnly(text: string, opts: Record<string, string | boolean | undefined>): Promise<void> {
  if (!text.length || text.length > MAX_TEXT_CHARS) {
    throw new UsageError(`text: expected an error text of 1 to ${MAX_TEXT_CHARS} characters, got ${text.length}`);
  }
  for (const field of ["namespace", "serviceAccount"] as const) {
    const value = opts[field];
    if (typeof value === "string" && value.length > 253) {
      throw new UsageError(`${field}: expected at most 253 characters, got ${value.length}`);
    }
  }
  const [{ explainError }, { keepEnd }, { renderExplanation }] = await Promise.all([
    import("../diagnosis/errors/explain.js"),
    import("../diagnosis/errors/normalize.js"),
    import("../report/explain-text.js"),
  ]);
  const out = explainError(keepEnd(text), {
    namespace: opts.namespace as string | undefined,
    serviceAccount: opts.serviceAccount as string | undefined,
  });
  cliIo().stdout.write(`${opts.json ? JSON.stringify(out, null, 2) : renderExplanation(out)}\n`);
}
