// `wi-doctor capture`: turn a namespace of a real cluster (and the cloud side it points at) into a scenario file.
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import type { Environment } from "../providers/environment.js";
import { cliIo } from "./io.js";

interface CaptureCliOptions {
  namespace: string;
  context?: string;
  kubeconfig?: string;
  output?: string;
  anonymise?: boolean;
  serviceAccount?: string;
  workload?: string;
  subscription?: string[];
  region?: string;
  profile?: string;
  scenario?: string;
  exchange?: boolean;
}

export function addCaptureCommand(program: Command): void {
  program
    .command("capture")
    .description("capture what the diagnosis of a namespace reads into a scenario file (reproduce it offline)")
    .requiredOption("-n, --namespace <ns>", "namespace to capture")
    .option("--context <name>", "kube context to use (default: the current context)")
    .option("--kubeconfig <file>", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    .option("-o, --output <file>", "write the scenario here (default: stdout)")
    .option("--anonymise", "rename ids and names consistently, so the scenario can be shared")
    .option("--service-account <name>", "the scenario's target service account")
    .option("--workload <kind/name>", "the scenario's target workload, e.g. deployment/payments-api")
    .option("--subscription <id...>", "Azure subscription(s) to search")
    .option("--region <region>", "AWS region")
    .option("--profile <name>", "AWS profile")
    .option(
      "--exchange",
      "ask EKS Auth with a short-lived token of the service account (a TokenRequest), so a Pod Identity target role in another account is captured from its answer",
    )
    .option("--scenario <file-or-name>", "capture from a simulated world instead (for trying the command)")
    .action(async (opts: CaptureCliOptions) => {
      let env: Environment;
      let close = async () => {};
      if (opts.scenario) {
        const { loadScenario } = await import("../sim/scenario.js");
        const { startSimSession } = await import("../sim/environment.js");
        const session = await startSimSession(loadScenario(opts.scenario));
        env = session.env;
        close = () => session.close();
      } else {
        const { createLiveEnvironment } = await import("../providers/live.js");
        env = await createLiveEnvironment({
          context: opts.context,
          kubeconfigPath: opts.kubeconfig,
          subscriptionIds: opts.subscription,
          awsRegion: opts.region,
          awsProfile: opts.profile,
          allowExchange: opts.exchange === true,
        });
      }
      try {
        const { captureScenario } = await import("../capture/index.js");
        const r = await captureScenario(env, {
          namespace: opts.namespace,
          serviceAccount: opts.serviceAccount,
          workload: opts.workload,
          anonymise: opts.anonymise,
        });
        if (opts.output) writeFileSync(opts.output, r.yaml);
        else cliIo().stdout.write(r.yaml);
        for (const n of r.notes) cliIo().stderr.write(`wi-doctor capture: not read: ${n}\n`);
        if (opts.output) cliIo().stderr.write(`wi-doctor capture: wrote ${opts.output}\n`);
      } finally {
        await close();
      }
    });
}
