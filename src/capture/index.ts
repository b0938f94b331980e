// `wi-doctor capture`: read what the diagnosis of one namespace needs, from the cluster and the clouds, and write it
// as a scenario that reproduces the problem offline (`wi-doctor diagnose --scenario FILE`).
import { stringify } from "yaml";
import { POD_IDENTITY_AUDIENCE } from "../diagnosis/eks/names.js";
import { AwsProvider } from "../providers/aws.js";
import { assumeRoleForPodIdentity } from "../providers/aws-pod-identity.js";
import { AzureProvider } from "../providers/azure.js";
import type { Environment } from "../providers/environment.js";
import { ProviderError } from "../providers/errors.js";
import type { RawObject } from "../providers/kube-raw.js";
import { KubeProvider } from "../providers/kubernetes.js";
import { fetchDiscovery } from "../providers/oidc.js";
import { parseScenario, type Scenario } from "../sim/scenario.js";
import { makeAnonymiser } from "./anonymise.js";
import { type PodIdentityAsk, captureAws } from "./aws.js";
import { captureAzure } from "./cloud.js";
import { captureKube } from "./kube.js";

export interface CaptureOptions {
  namespace: string;
  serviceAccount?: string;
  workload?: string;
  pod?: string;
  anonymise?: boolean;
  /** Salt for --anonymise (tests); random otherwise. */
  salt?: string;
  signal?: AbortSignal;
}

export interface CaptureResult {
  scenario: Scenario;
  yaml: string;
  /** What could not be read (it is missing from the scenario). */
  notes: string[];
}

const NAMESPACE_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function platformOf(objects: RawObject[], apiServerHost: string): "aks" | "eks" {
  if (/\.eks\.amazonaws\.com(\.cn)?$/.test(apiServerHost)) return "eks";
  if (/\.azmk8s\.io$/.test(apiServerHost)) return "aks";
  const text = JSON.stringify(objects);
  return /eks\.amazonaws\.com\/role-arn|eks-pod-identity-agent|AWS_ROLE_ARN/.test(text) ? "eks" : "aks";
}

/** Names worth renaming under --anonymise: the namespace's own objects and the cloud resources they point at. */
function namesToRename(namespace: string, objects: RawObject[], cloud: Record<string, unknown>): string[] {
  const names = new Set<string>([namespace]);
  for (const o of objects) {
    if (o.metadata?.namespace === namespace && typeof o.metadata.name === "string") names.add(o.metadata.name);
  }
  const walk = (v: unknown, key = "") => {
    if (Array.isArray(v)) for (const x of v) walk(x, key);
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k);
    else if (
      typeof v === "string" &&
      ["name", "resourceGroup", "nodeResourceGroup", "displayName", "roleName", "clusterName"].includes(key)
    ) {
      names.add(v);
    }
  };
  walk(cloud);
  return [...names];
}

/**
 * EKS Auth's answer for a service account's token, when the environment allows a token exchange: the token is minted,
 * handed to EKS Auth and dropped; only the outcome comes back.
 */
function eksAuthAsker(env: Environment, signal?: AbortSignal): PodIdentityAsk | undefined {
  if (!env.allowExchange) return undefined;
  return async (a, region) => {
    const { token } = await new KubeProvider(env).createServiceAccountToken(
      a.namespace,
      a.serviceAccount,
      { audiences: [POD_IDENTITY_AUDIENCE], expirationSeconds: 600 },
      signal,
    );
    const aws = new AwsProvider({ ...env, aws: { ...env.aws, region } });
    return assumeRoleForPodIdentity(aws, env.timeoutMs, a.clusterName, token, signal);
  };
}

export async function captureScenario(env: Environment, opts: CaptureOptions): Promise<CaptureResult> {
  if (!NAMESPACE_RE.test(opts.namespace)) {
    throw new Error(
      `namespace: expected a Kubernetes namespace name (lowercase letters, digits, '-'), got "${opts.namespace}"`,
    );
  }
  const kube = await captureKube(env, opts.namespace, opts.signal);
  const notes = [...kube.notes];
  const platform = platformOf(kube.objects, kube.apiServerHost);
  const cloud: Record<string, unknown> = {};
  const faults: Record<string, unknown>[] = [];
  if (platform === "aks") {
    const credential = env.azure.credential;
    const r = await captureAzure(
      new AzureProvider(env),
      kube.objects,
      kube.apiServerHost,
      env.kubeconfig?.getCurrentContext(),
      {
        credentialAvailable: Boolean(credential),
        subscriptionIds: env.azure.subscriptionIds,
        tokenFor: async () =>
          (await credential?.getToken(`${env.azure.cloud.armEndpoint.replace(/\/+$/, "")}/.default`))?.token,
      },
    );
    notes.push(...r.notes);
    if (r.section) cloud.azure = r.section;
  } else {
    const r = await captureAws(new AwsProvider(env), kube.objects, kube.apiServerHost, opts.namespace, {
      credentialAvailable: Boolean(env.aws.credentials) || env.mode === "live",
      region: env.aws.region,
      askEksAuth: eksAuthAsker(env, opts.signal),
    });
    notes.push(...r.notes);
    faults.push(...r.faults);
    if (r.section) cloud.aws = r.section;
  }
  const issuer =
    kube.issuer ??
    ((cloud.azure as { managedClusters?: { oidcIssuerProfile?: { issuerURL?: string } }[] } | undefined)
      ?.managedClusters?.[0]?.oidcIssuerProfile?.issuerURL ||
      (cloud.aws as { clusters?: { oidcIssuer?: string }[] } | undefined)?.clusters?.[0]?.oidcIssuer ||
      `https://${kube.apiServerHost}`);
  // An issuer whose discovery document cannot be fetched stays unreachable in the captured world.
  let issuerReachable = true;
  try {
    await fetchDiscovery(env, issuer, opts.signal);
  } catch (err) {
    if (err instanceof ProviderError && err.status === 404) issuerReachable = false;
    else notes.push(`issuer discovery: ${(err as Error).message}`);
  }
  const data = {
    name: `captured-${opts.namespace}`,
    description: `Captured from ${kube.apiServerHost} (namespace ${opts.namespace}) by wi-doctor capture.${notes.length ? ` Not read: ${notes.join("; ")}.` : ""}`,
    platform,
    target: {
      namespace: opts.namespace,
      ...(opts.serviceAccount ? { serviceAccount: opts.serviceAccount } : {}),
      ...(opts.workload ? { workload: opts.workload } : {}),
      ...(opts.pod ? { pod: opts.pod } : {}),
    },
    kubernetes: {
      server: kube.server,
      issuer,
      ...(issuerReachable ? {} : { issuerReachable: false }),
      ...(kube.version ? { version: kube.version } : {}),
      objects: kube.objects,
      ...(Object.keys(kube.logs).length ? { logs: kube.logs } : {}),
      ...(kube.forbidden.length ? { forbidden: kube.forbidden } : {}),
    },
    ...cloud,
    ...(faults.length ? { faults: { rules: faults } } : {}),
  };
  let yaml = stringify(data, { lineWidth: 0 });
  if (opts.anonymise) {
    const anon = makeAnonymiser(namesToRename(opts.namespace, kube.objects, cloud), opts.salt);
    yaml = anon.apply(yaml);
    yaml = yaml.replace(/^name: .*$/m, "name: captured-anonymised");
  }
  const { parse } = await import("yaml");
  const scenario = parseScenario(parse(yaml), "<captured>");
  return { scenario, yaml, notes };
}
