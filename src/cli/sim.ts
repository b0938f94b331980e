// `wi-doctor sim`: serve a simulated world to any client (kubectl, az, aws, the SDKs) until interrupted, with the
// kubeconfig, CA file and environment file that point those clients at it.
import { createWriteStream, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import type { SimSession } from "../sim/environment.js";
import type { SimProxy } from "../sim/proxy.js";
import type { Scenario } from "../sim/scenario.js";
import type { SimWorld } from "../sim/world.js";
import { cliIo } from "./io.js";

export interface SimOptions {
  scenario: string;
  kubeconfigOut?: string;
  envOut?: string;
  caOut?: string;
  port?: number;
  proxyPort?: number;
  log?: string;
}

function portArg(name: string) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      throw new InvalidArgumentError(`${name} must be a port number from 0 to 65535 (0: any free port)`);
    }
    return n;
  };
}

/** POSIX shell single-quoting: safe to `source` whatever the value holds. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The kubeconfig a kubectl user needs: the simulator's address, the real API host as TLS server name, the CA. */
export function simKubeconfigYaml(world: SimWorld, token: string): string {
  const name = world.scenario.name;
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name,
        cluster: {
          server: world.kubeServer,
          "tls-server-name": world.apiServerHost,
          "certificate-authority-data": Buffer.from(world.caPem).toString("base64"),
        },
      },
    ],
    users: [{ name: "simulated-operator", user: { token } }],
    contexts: [
      { name, context: { cluster: name, user: "simulated-operator", namespace: world.scenario.target.namespace } },
    ],
    "current-context": name,
    preferences: {},
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export interface SimEnvInput {
  scenario: Scenario;
  port: number;
  proxyPort?: number;
  caFile: string;
  kubeconfigFile?: string;
  credentials: {
    azureClientId: string;
    azureClientSecret: string;
    awsAccessKeyId: string;
    awsSecretAccessKey: string;
  };
}

/** The variables that point kubectl, az, aws and the Azure/AWS/Kubernetes SDKs at the simulated world. */
export function simEnvironment(input: SimEnvInput): [string, string][] {
  const origin = `https://127.0.0.1:${input.port}`;
  const vars: [string, string][] = [];
  if (input.kubeconfigFile) vars.push(["KUBECONFIG", input.kubeconfigFile]);
  if (input.proxyPort !== undefined) {
    const proxy = `http://127.0.0.1:${input.proxyPort}`;
    vars.push(["HTTPS_PROXY", proxy], ["https_proxy", proxy], ["NO_PROXY", "127.0.0.1,localhost"]);
    vars.push(["no_proxy", "127.0.0.1,localhost"]);
  }
  // Trust the world's CA (and only it: every HTTPS request from this shell ends at the simulator anyway).
  for (const k of ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "AWS_CA_BUNDLE"]) {
    vars.push([k, input.caFile]);
  }
  const aws = input.scenario.aws;
  vars.push(["AWS_ENDPOINT_URL", origin], ["AWS_ENDPOINT_URL_STS", origin]);
  vars.push(["AWS_ENDPOINT_URL_IAM", origin], ["AWS_ENDPOINT_URL_EKS", origin]);
  vars.push(["AWS_EC2_METADATA_DISABLED", "true"]);
  const region = aws?.region ?? "us-west-2";
  vars.push(["AWS_REGION", region], ["AWS_DEFAULT_REGION", region]);
  if (!aws || aws.credentialAvailable) {
    // The simulated world's own fake keys: they open nothing but the simulator.
    vars.push(["AWS_ACCESS_KEY_ID", input.credentials.awsAccessKeyId]);
    vars.push(["AWS_SECRET_ACCESS_KEY", input.credentials.awsSecretAccessKey]);
  }
  const azure = input.scenario.azure;
  vars.push(["AZURE_AUTHORITY_HOST", origin]);
  if (azure) {
    vars.push(["AZURE_TENANT_ID", azure.tenantId], ["AZURE_SUBSCRIPTION_ID", azure.subscriptionId]);
    if (azure.credentialAvailable) {
      vars.push(["AZURE_CLIENT_ID", input.credentials.azureClientId]);
      vars.push(["AZURE_CLIENT_SECRET", input.credentials.azureClientSecret]);
    }
  }
  return vars;
}

export function envFileText(vars: [string, string][], scenarioName: string): string {
  const header = `# Points clients at the simulated world "${scenarioName}" served by \`wi-doctor sim\`.\n# The credentials below are fake: they open only the simulator.\n`;
  return header + vars.map(([k, v]) => `export ${k}=${shellQuote(v)}\n`).join("");
}

/** Start serving; resolves with a stop function once the world listens and the files are written. */
export async function serveSim(opts: SimOptions, say: (line: string) => void): Promise<() => Promise<void>> {
  const { loadScenario } = await import("../sim/scenario.js");
  const { startSimSession } = await import("../sim/environment.js");
  const { startSimProxy } = await import("../sim/proxy.js");
  const constants = await import("../sim/constants.js");
  const scenario = loadScenario(opts.scenario);
  const log = opts.log ? createWriteStream(resolve(opts.log), { flags: "a" }) : undefined;
  const session: SimSession = await startSimSession(scenario, {
    port: opts.port,
    // Clients in other processes (kubectl, the AWS CLI, a proxy) cannot name the world: the server is its own.
    shared: false,
    onRequest: log ? (e) => log.write(`${JSON.stringify(e)}\n`) : undefined,
  });
  let proxy: SimProxy | undefined;
  try {
    proxy = await startSimProxy(session.world.port, opts.proxyPort);
  } catch (err) {
    await session.close();
    throw err;
  }
  const world = session.world;
  // An EKS world also serves its node's Pod Identity Agent, for SDKs given AWS_CONTAINER_CREDENTIALS_FULL_URI.
  let agent: { url: string; close(): Promise<void> } | undefined;
  if (scenario.aws?.clusters.length) {
    const { startPodIdentityAgent } = await import("../sim/services/aws-pod-identity-agent.js");
    agent = await startPodIdentityAgent(world);
  }
  const firstOut = opts.envOut ?? opts.kubeconfigOut;
  const caFile = opts.caOut ?? (firstOut ? join(dirname(resolve(firstOut)), "wi-doctor-sim-ca.pem") : undefined);
  if (caFile) writeFileSync(resolve(caFile), world.caPem);
  if (opts.kubeconfigOut) {
    writeFileSync(resolve(opts.kubeconfigOut), simKubeconfigYaml(world, constants.SIM_KUBE_TOKEN), { mode: 0o600 });
  }
  if (opts.envOut && caFile) {
    const vars = simEnvironment({
      scenario,
      port: world.port,
      proxyPort: proxy.port,
      caFile: resolve(caFile),
      kubeconfigFile: opts.kubeconfigOut ? resolve(opts.kubeconfigOut) : undefined,
      credentials: {
        azureClientId: constants.SIM_OPERATOR_CLIENT_ID,
        azureClientSecret: constants.SIM_OPERATOR_CLIENT_SECRET,
        awsAccessKeyId: constants.SIM_AWS_ACCESS_KEY_ID,
        awsSecretAccessKey: constants.SIM_AWS_SECRET_ACCESS_KEY,
      },
    });
    writeFileSync(resolve(opts.envOut), envFileText(vars, scenario.name), { mode: 0o600 });
  }
  say(
    `wi-doctor sim: serving "${scenario.name}" on https://127.0.0.1:${world.port} (proxy http://127.0.0.1:${proxy.port})`,
  );
  if (opts.kubeconfigOut) say(`  kubeconfig: ${resolve(opts.kubeconfigOut)}`);
  if (caFile) say(`  CA certificate: ${resolve(caFile)}`);
  if (opts.envOut) say(`  environment: source ${shellQuote(resolve(opts.envOut))}`);
  if (agent) {
    say(`  EKS Pod Identity Agent: AWS_CONTAINER_CREDENTIALS_FULL_URI=${agent.url}`);
    say("    (with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE naming a file that holds a pods.eks.amazonaws.com token)");
  }
  say("  stop with Ctrl-C");
  return async () => {
    await agent?.close().catch(() => undefined);
    await proxy?.close().catch(() => undefined);
    await session.close().catch(() => undefined);
    await new Promise<void>((r) => (log ? log.end(() => r()) : r()));
  };
}

export function addSimCommand(program: Command): void {
  program
    .command("sim")
    .description("serve a simulated world to kubectl, az, aws and the SDKs until interrupted")
    .requiredOption("--scenario <file-or-name>", "scenario file (or a bundled scenario name)")
    .option("--kubeconfig-out <file>", "write a kubeconfig for the simulated cluster (with its CA)")
    .option("--env-out <file>", "write a shell file of environment variables that point clients at the world")
    .option("--ca-out <file>", "write the world's CA certificate (default: next to --env-out or --kubeconfig-out)")
    .option("--port <n>", "HTTPS port on 127.0.0.1 (default: any free port)", portArg("--port"))
    .option(
      "--proxy-port <n>",
      "HTTPS_PROXY (CONNECT) port on 127.0.0.1 (default: any free port)",
      portArg("--proxy-port"),
    )
    .option("--log <file>", "append a JSON line per request (method, host, path, status; never bodies or tokens)")
    .action(async (opts: SimOptions) => {
      const say = (line: string) => cliIo().stderr.write(`${line}\n`);
      const stop = await serveSim(opts, say);
      await new Promise<void>((resolveWait) => {
        const done = () => resolveWait();
        process.once("SIGINT", done);
        process.once("SIGTERM", done);
      });
      await stop();
      say("wi-doctor sim: stopped");
    });
}
