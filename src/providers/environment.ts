// How the providers reach the world: the live clouds, or the simulated world.
import type { Agent } from "node:https";
import type { TokenCredential } from "@azure/core-auth";
import type { KubeConfig } from "@kubernetes/client-node";

/** Sovereign clouds differ only in these endpoints. */
export interface AzureCloud {
  name: string;
  armEndpoint: string;
  authorityHost: string;
  graphEndpoint: string;
  /** The audience the webhook projects into tokens for this cloud. */
  tokenExchangeAudience: string;
}

export const azureClouds: Record<string, AzureCloud> = {
  AzurePublicCloud: {
    name: "AzurePublicCloud",
    armEndpoint: "https://management.azure.com",
    authorityHost: "https://login.microsoftonline.com",
    graphEndpoint: "https://graph.microsoft.com",
    tokenExchangeAudience: "api://AzureADTokenExchange",
  },
  AzureUSGovernment: {
    name: "AzureUSGovernment",
    armEndpoint: "https://management.usgovcloudapi.net",
    authorityHost: "https://login.microsoftonline.us",
    graphEndpoint: "https://graph.microsoft.us",
    tokenExchangeAudience: "api://AzureADTokenExchangeUSGov",
  },
  AzureChinaCloud: {
    name: "AzureChinaCloud",
    armEndpoint: "https://management.chinacloudapi.cn",
    authorityHost: "https://login.chinacloudapi.cn",
    graphEndpoint: "https://microsoftgraph.chinacloudapi.cn",
    tokenExchangeAudience: "api://AzureADTokenExchangeChina",
  },
};

export interface AwsSettings {
  region?: string;
  profile?: string;
  /** Static credentials (the simulated world uses these); otherwise the default chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface Environment {
  mode: "live" | "simulated";
  /** Loaded kubeconfig with the chosen context set as current; undefined when none could be loaded. */
  kubeconfig?: KubeConfig;
  /** Why no kubeconfig is available (shown in skipped checks). */
  kubeconfigProblem?: string;
  /**
   * In simulated mode: an agent that carries every HTTPS connection to the simulator while keeping the
   * real host name for SNI and the Host header, and trusts the simulator's per-run CA. Undefined live.
   */
  agent?: Agent;
  azure: {
    cloud: AzureCloud;
    /** null when no credential could be created; providers then skip with the reason below. */
    credential: TokenCredential | null;
    credentialProblem?: string;
    /** Limit the subscriptions searched; default: all the credential can see. */
    subscriptionIds?: string[];
  };
  aws: AwsSettings;
  /** Per-request timeout. */
  timeoutMs: number;
  /** test_token_exchange may call the cloud's token endpoint (disabled by --no-exchange). */
  allowExchange: boolean;
  /** Fetch issuer documents from loopback, link-local and private addresses (--allow-private-issuer). */
  allowPrivateIssuer?: boolean;
  /** Scenario name when simulated. */
  scenario?: string;
}
