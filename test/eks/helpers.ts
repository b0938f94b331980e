// Shared set-up for the EKS tests: a scenario by name, a running simulated world, SDK client options.
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { SIM_AWS_ACCESS_KEY_ID, SIM_AWS_SECRET_ACCESS_KEY } from "../../src/sim/constants.js";
import { type SimSession, startSimSession } from "../../src/sim/environment.js";
import { loadScenario, type Scenario } from "../../src/sim/scenario.js";

export async function session(
  name: string,
  edit: (s: Scenario) => void = () => undefined,
  opts: Parameters<typeof startSimSession>[1] = {},
): Promise<SimSession> {
  // Each test edits its own copy, whatever the loader shares.
  const scenario = structuredClone(loadScenario(name));
  edit(scenario);
  return startSimSession(scenario, opts);
}

export function clientOptions(
  s: SimSession,
  credentials = { accessKeyId: SIM_AWS_ACCESS_KEY_ID, secretAccessKey: SIM_AWS_SECRET_ACCESS_KEY },
) {
  return {
    region: s.world.scenario.aws?.region ?? "us-west-2",
    credentials,
    requestHandler: new NodeHttpHandler({ httpsAgent: s.world.agent }),
    maxAttempts: 1,
  };
}

export const never = new AbortController().signal;
export const noProgress = async () => undefined;
