// The Environment that points every provider at a running simulated world.
import { agentPolicy } from "@azure/core-rest-pipeline";
import { ClientSecretCredential } from "@azure/identity";
import { KubeConfig } from "@kubernetes/client-node";
import { azureClouds, type Environment } from "../providers/environment.js";
import {
  SIM_AWS_ACCESS_KEY_ID,
  SIM_AWS_SECRET_ACCESS_KEY,
  SIM_KUBE_TOKEN,
  SIM_OPERATOR_CLIENT_ID,
  SIM_OPERATOR_CLIENT_SECRET,
} from "./constants.js";
import type { Scenario } from "./scenario.js";
import { allServices } from "./services/index.js";
import { hostForDirectRequest } from "./direct-routing.js";
import { type StartOptions, startSimWorld, type SimWorld } from "./world.js";

export interface SimSession {
  world: SimWorld;
  env: Environment;
  close(): Promise<void>;
}

/** The kubeconfig a user of the simulated cluster would have: the real API host as TLS server name. */
export function simKubeConfig(world: SimWorld): KubeConfig {
  const kc = new KubeConfig();
  const contextName = world.scenario.name;
  kc.loadFromOptions({
    clusters: [
      {
        name: contextName,
        server: world.kubeServer,
        caData: Buffer.from(world.caPem).toString("base64"),
        tlsServerName: world.apiServerHost,
        skipTLSVerify: false,
      },
    ],
    users: [{ name: "operator", token: SIM_KUBE_TOKEN }],
    contexts: [{ name: contextName, cluster: contextName, user: "operator" }],
    currentContext: contextName,
  });
  return kc;
}

export async function startSimSession(
  scenario: Scenario,
  opts: {
    latencyMs?: number;
    timeoutMs?: number;
    allowExchange?: boolean;
    port?: number;
    /** False: a server of the world's own (see StartOptions.shared). */
    shared?: boolean;
    onRequest?: StartOptions["onRequest"];
  } = {},
): Promise<SimSession> {
  const world = await startSimWorld(scenario, {
    latencyMs: opts.latencyMs,
    services: allServices,
    port: opts.port,
    shared: opts.shared,
    onRequest: opts.onRequest,
    hostForDirectRequest,
  });
  const cloud = azureClouds.AzurePublicCloud;
  const azure = scenario.azure;
  const credential = azure?.credentialAvailable
    ? new ClientSecretCredential(azure.tenantId, SIM_OPERATOR_CLIENT_ID, SIM_OPERATOR_CLIENT_SECRET, {
        authorityHost: cloud.authorityHost,
        additionalPolicies: [{ policy: agentPolicy(world.agent), position: "perCall" }],
        disableInstanceDiscovery: true,
        retryOptions: { maxRetries: 1 },
      })
    : null;
  const env: Environment = {
    mode: "simulated",
    scenario: scenario.name,
    kubeconfig: simKubeConfig(world),
    agent: world.agent,
    azure: {
      cloud,
      credential,
      credentialProblem: credential
        ? undefined
        : "no Azure credential: DefaultAzureCredential found nothing (run `az login`, or set AZURE_CLIENT_ID/AZURE_TENANT_ID with a secret or federated token)",
      subscriptionIds: azure ? [azure.subscriptionId] : undefined,
    },
    aws: {
      region: scenario.aws?.region,
      credentials: scenario.aws?.credentialAvailable
        ? { accessKeyId: SIM_AWS_ACCESS_KEY_ID, secretAccessKey: SIM_AWS_SECRET_ACCESS_KEY }
        : undefined,
    },
    timeoutMs: opts.timeoutMs ?? 10_000,
    allowExchange: opts.allowExchange ?? true,
  };
  return { world, env, close: () => world.close() };
}
