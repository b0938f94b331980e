// `wi-doctor fix`: diagnose, show the root finding's remediation plan, ask y/N on a terminal (or --yes), apply it
// with its planId, and go on with the next root cause until the target is healthy or a fix needs a human.
import { createInterface } from "node:readline/promises";
import { type Command, InvalidArgumentError } from "commander";
import type { Report, Target } from "../diagnosis/types.js";
import type { Environment } from "../providers/environment.js";
import type { WriteOutput } from "../remediation/contract.js";
import type { ToolContext } from "../tools/define.js";
import { cliIo } from "./io.js";

export interface FixOptions {
  namespace?: string;
  serviceAccount?: string;
  workload?: string;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
  auditLog?: string;
  scenario?: string;
  context?: string;
  kubeconfig?: string;
  region?: string;
  profile?: string;
  subscription?: string[];
  timeout?: number;
  rounds?: number;
}

const out = (s: string) => cliIo().stdout.write(`${s}\n`);

async function openEnvironment(o: FixOptions): Promise<{ env: Environment; close(): Promise<void>; target?: Target }> {
  if (o.scenario) {
    const { loadScenario } = await import("../sim/scenario.js");
    const { startSimSession } = await import("../sim/environment.js");
    const scenario = loadScenario(o.scenario);
    const session = await startSimSession(scenario, { timeoutMs: o.timeout });
    const { errorText: _, ...target } = scenario.target;
    return { env: session.env, close: () => session.close(), target };
  }
  const { createLiveEnvironment } = await import("../providers/live.js");
  const env = await createLiveEnvironment({
    context: o.context,
    kubeconfigPath: o.kubeconfig,
    subscriptionIds: o.subscription,
    awsRegion: o.region,
    awsProfile: o.profile,
    timeoutMs: o.timeout,
  });
  return { env, close: async () => undefined };
}

async function confirmed(o: FixOptions, question: string): Promise<boolean> {
  if (o.yes) return true;
  const io = cliIo();
  if (!io.stdin.isTTY || !io.stdout.isTTY) {
    throw new Error(
      "not a terminal, so no one can answer y/N: pass --yes to apply, or --dry-run to only show the plan",
    );
  }
  const rl = createInterface({ input: io.stdin, output: io.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

function summary(report: Report): string {
  const root = report.findings[0];
  return `verdict: ${report.verdict}${root ? `; root cause: ${root.id}: ${root.title}` : ""}`;
}

/** Returns the exit code: 0 healthy, 1 still broken (or declined), 2 inconclusive. */
export async function runFix(o: FixOptions): Promise<number> {
  // Audit lines go to the run's stderr (and its --audit-log file). Both are the process's settings: set for this run
  // only, so a run inside another program leaves them as they were.
  const { setAuditLog, setAuditStream } = await import("../remediation/audit.js");
  const previousStream = setAuditStream(cliIo().stderr);
  const previousFile = o.auditLog ? setAuditLog(o.auditLog) : undefined;
  try {
    return await fixRounds(o);
  } finally {
    setAuditStream(previousStream);
    if (o.auditLog) setAuditLog(previousFile);
  }
}

async function fixRounds(o: FixOptions): Promise<number> {
  const world = await openEnvironment(o);
  const { diagnose } = await import("../gather/index.js");
  const { writeTools } = await import("../tools/write-tools.js");
  const { renderWrite } = await import("../remediation/contract.js");
  const controller = new AbortController();
  const ctx: ToolContext = {
    env: async () => world.env,
    signal: controller.signal,
    progress: async (m) => {
      if (cliIo().stderr.isTTY) cliIo().stderr.write(`… ${m}\n`);
    },
  };
  const target: Target = o.namespace
    ? { namespace: o.namespace, serviceAccount: o.serviceAccount, workload: o.workload }
    : (world.target ?? { namespace: "" });
  if (!target.namespace) throw new InvalidArgumentError("-n/--namespace is required");
  try {
    for (let round = 1; round <= (o.rounds ?? 6); round++) {
      const report = await diagnose(world.env, target, { signal: ctx.signal, progress: ctx.progress });
      out(summary(report));
      if (report.verdict !== "broken") return report.verdict === "healthy" ? 0 : 2;
      const root = report.findings[0];
      if (!root.remediation) {
        out(`No automatic fix for ${root.id} (docs/findings.md, "Not remediable"). ${root.fix.summary}`);
        for (const c of root.fix.commands) out(`  ${c}`);
        return 1;
      }
      const tool = writeTools.find((t) => t.name === root.remediation?.tool);
      if (!tool) throw new Error(`internal: no write tool ${root.remediation.tool}`);
      const plan = (await tool.handler(tool.inputSchema.parse(root.remediation.arguments), ctx)) as WriteOutput;
      out(o.json ? JSON.stringify(plan, null, 2) : renderWrite(plan));
      if (o.dryRun) return 1;
      if (!(await confirmed(o, `Apply plan ${plan.planId}?`))) {
        out("Not applied.");
        return 1;
      }
      const args = { ...root.remediation.arguments, dryRun: false, confirm: true, planId: plan.planId };
      const applied = (await tool.handler(tool.inputSchema.parse(args), ctx)) as WriteOutput;
      out(o.json ? JSON.stringify(applied, null, 2) : renderWrite(applied));
    }
    out("Still broken after the last round.");
    return 1;
  } finally {
    await world.close();
  }
}

export function addFixCommand(program: Command): void {
  program
    .command("fix")
    .description(
      "diagnose, then apply the root finding's remediation after showing its plan (y/N on a terminal; --yes for automation), until healthy",
    )
    .option("-n, --namespace <ns>", "namespace")
    .option("--service-account <name>", "service account")
    .option("--workload <kind/name>", "workload, e.g. deployment/payments-api")
    .option("--dry-run", "only show the plan")
    .option("--yes", "apply without asking")
    .option("--json", "print plans and results as JSON")
    .option("--audit-log <file>", "also append every write's audit line (JSON) to this file")
    .option("--scenario <file-or-name>", "use a simulated world")
    .option("--context <name>", "kube context")
    .option("--kubeconfig <file>", "kubeconfig file")
    .option("--subscription <id...>", "Azure subscription(s) to search")
    .option("--region <region>", "AWS region")
    .option("--profile <name>", "AWS profile")
    .option("--timeout <ms>", "per-request timeout", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1)
        throw new InvalidArgumentError("--timeout must be a whole number of milliseconds");
      return n;
    })
    .action(async (o: FixOptions) => {
      cliIo().exitCode = await runFix(o);
    });
}
