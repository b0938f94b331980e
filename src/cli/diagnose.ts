// `wi-doctor diagnose` (one service account, pod or workload) and `wi-doctor audit` (every identity in a cluster).
import type { Command } from "commander";
import type { AuditCommandOptions } from "../audit/command.js";
import { cliIo } from "./io.js";
import { exitCodeFor, findTool, readStdin, runTool } from "./run-tool.js";
import { addWorldOptions, intArg, openWorld, UsageError, type WorldOptions } from "./world.js";

export function addDiagnoseCommand(program: Command): void {
  const diagnose = addWorldOptions(
    program
      .command("diagnose")
      .description("diagnose a service account, pod or workload; exit 0 healthy, 1 broken, 2 inconclusive or bad input")
      .option("-n, --namespace <ns>", "namespace")
      .option("--service-account <name>", "service account")
      .option("--pod <name>", "pod")
      .option("--workload <kind/name>", "workload, e.g. deployment/payments-api")
      .option("--error-text <text>", "an error message the workload printed (use - to read stdin)")
      .option("--json", "print the report as JSON"),
  );
  diagnose.action(async (opts: WorldOptions & Record<string, string | boolean | undefined>) => {
    const world = await openWorld(opts, { kubeContext: true });
    try {
      const target = world.scenario?.target;
      const hasTargetFlags = opts.namespace || opts.serviceAccount || opts.pod || opts.workload;
      const errorText = opts.errorText === "-" ? await readStdin() : (opts.errorText as string | undefined);
      const input = hasTargetFlags
        ? {
            namespace: opts.namespace,
            serviceAccount: opts.serviceAccount,
            pod: opts.pod,
            workload: opts.workload,
            errorText,
          }
        : target
          ? { ...target, errorText: errorText ?? target.errorText }
          : {};
      if (!input.namespace) throw new UsageError("--namespace is required (or a --scenario whose target names one)");
      const { output, text } = await runTool(
        await findTool("diagnose_workload_identity"),
        input,
        world.env,
        Boolean(opts.json),
      );
      cliIo().stdout.write(`${text}\n`);
      cliIo().exitCode = exitCodeFor(output);
    } finally {
      await world.session?.close();
    }
  });
}

export function addAuditCommand(program: Command): void {
  const audit = addWorldOptions(
    program
      .command("audit")
      .description("audit every workload identity in a cluster; exit 0 healthy, 1 broken, 2 inconclusive or bad input")
      .option("-n, --namespace <ns>", "audit only this namespace")
      .option("-A, --all-namespaces", "audit every namespace (the default)")
      .option("--cursor <n>", "start at this workload (nextCursor of the previous page)")
      .option("--page-size <n>", "workloads per page", intArg("--page-size"))
      .option("--json", "print the audit as JSON"),
  );
  audit.action(async (opts: WorldOptions & AuditCommandOptions) => {
    const { runAudit } = await import("../audit/command.js");
    cliIo().exitCode = await runAudit(
      opts,
      async (context) => {
        const world = await openWorld({ ...opts, context });
        return { env: world.env, close: world.session ? () => world.session!.close() : undefined };
      },
      cliIo(),
    );
  });
  // On this command --context may be repeated, one per cluster.
  audit.options
    .find((o) => o.long === "--context")
    ?.argParser((value: string, previous: unknown) => [...(Array.isArray(previous) ? previous : []), value]);
}
