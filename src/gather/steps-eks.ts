// The EKS half of the step tools: the same EksFacts the full EKS diagnosis builds, with the parts a tool does
// not look at marked as not gathered, and only the EKS checks that read its part, so a step tool and the
// one-call diagnosis raise the same findings (ids and evidence) for the same world.
import { withRemediations } from "../remediation/index.js";
import type { EksClusterFact, EksFacts, ServiceAccountFact, TokenClaims } from "../diagnosis/eks/facts.js";
import { type EksCheckId, eksRegistry } from "../diagnosis/eks/registry.js";
import { runSelected } from "../diagnosis/registry.js";
import { AUDIENCE_KEY, DEFAULT_AUDIENCE, ROLE_ARN_KEY } from "../diagnosis/eks/names.js";
import { type Gathered, ok, type Platform, skipped, valueOf } from "../diagnosis/types.js";
import type { Environment } from "../providers/environment.js";
import { EksGatherer, type MintedEksToken } from "./eks.js";
import { associationRoles, gatherPodIdentity, startAssociations } from "./eks-pod-identity.js";
import { detectPlatform } from "./platform.js";
import type { StepResult } from "./steps.js";

/** The platform a step tool speaks for: the caller's choice, else the kube context's, else AKS. */
export function platformFor(env: Environment, forced?: Platform): Platform {
  return forced ?? detectPlatform(env) ?? "aks";
}

export function eksGathererFor(env: Environment, signal: AbortSignal): EksGatherer {
  return new EksGatherer(env, signal);
}

/** Facts with every section not gathered; the tool fills in what it looked at (the diagnosis's own builder). */
export { eksFacts as partialEksFacts } from "./eks.js";

/** Run the named EKS checks of the registry and rank their findings as the diagnosis does (src/diagnosis/registry.ts). */
export function runEksChecks(facts: EksFacts, ids: readonly EksCheckId[]): StepResult {
  const { findings, checks } = runSelected(eksRegistry, facts, ids, "EKS");
  // The same remediations as the one-call diagnosis attaches (src/remediation).
  const ranked = withRemediations({ target: facts.target, ran: checks.map((c) => c.id), findings });
  return { findings: ranked.findings, checks };
}

/** The issuer tokens carry, as the diagnosis decides it: DescribeCluster's, else the API server's discovery. */
export function issuerOf(cluster: Gathered<EksClusterFact | null>, apiServer: Gathered<string>): Gathered<string> {
  const fromCluster = valueOf(cluster)?.issuer;
  return fromCluster ? ok(fromCluster) : apiServer;
}

/** The Kubernetes version as the diagnosis takes it: the API server's, else DescribeCluster's. */
export function kubernetesVersionOf(
  cluster: Gathered<EksClusterFact | null>,
  fromApi: string | undefined,
): string | undefined {
  return fromApi ?? valueOf(cluster)?.version;
}

/** The audience a service account's tokens are projected for. */
export function audienceOfAccount(sa: ServiceAccountFact | null | undefined): string {
  return sa?.annotations[AUDIENCE_KEY] || DEFAULT_AUDIENCE;
}

/**
 * A service account set up for IRSA with the given audience, for questions about the cluster or the account
 * that hold for every such service account (the OIDC provider, the webhook) when none was named.
 */
export function anyIrsaAccount(namespace: string, audience: string): ServiceAccountFact {
  return {
    name: "<service-account>",
    namespace,
    annotations: { [ROLE_ARN_KEY]: "arn:aws:iam::<account-id>:role/<role-name>", [AUDIENCE_KEY]: audience },
  };
}

/** The Pod Identity associations of the cluster behind the context, for one namespace. */
export async function clusterAndAssociations(g: EksGatherer, namespace: string) {
  const cluster = await g.cluster();
  const associations = await g.associations(cluster, namespace);
  return { cluster, associations };
}

export type { MintedEksToken };

/**
 * The EKS Pod Identity exchange as the diagnosis gathers it (src/gather/eks-pod-identity.ts), for a service account
 * already read: the cluster, the namespace's associations and their roles (chained ones too), and EKS Auth's answer
 * for a pods.eks.amazonaws.com token, whose claims come back as `token` (never the token).
 */
export async function podIdentityExchangeFacts(
  g: EksGatherer,
  namespace: string,
  serviceAccount: string,
  sa: Gathered<ServiceAccountFact | null>,
): Promise<{ facts: Partial<EksFacts>; token: Gathered<TokenClaims> }> {
  const clusterP = g.cluster();
  const accountP = g.accountId();
  const saP = Promise.resolve(sa);
  const saNameP = Promise.resolve(valueOf(sa) ? serviceAccount : undefined);
  const started = startAssociations(g, namespace, clusterP, saP, { mintEvenForIrsa: true });
  const { listedP, associationsP, podIdTokenP } = started;
  const rolesP = associationRoles(g, associationsP, saNameP, accountP);
  const podIdP = gatherPodIdentity(g, namespace, { listedP, associationsP, clusterP, saNameP, accountP, podIdTokenP });
  for (const p of [clusterP, accountP, rolesP, podIdP]) p.catch(() => undefined);
  const [cluster, accountId, associations, podIdentityRoles, podIdentity, minted] = await Promise.all([
    clusterP,
    accountP,
    associationsP,
    rolesP,
    podIdP,
    podIdTokenP,
  ]);
  return {
    facts: {
      serviceAccountName: serviceAccount,
      serviceAccount: sa,
      region: valueOf(cluster)?.region ?? g.region,
      cluster,
      accountId,
      associations,
      podIdentityRoles,
      ...podIdentity,
    },
    token: minted?.claims ?? skipped("no pods.eks.amazonaws.com token was minted"),
  };
}
export type { EksCheckId };
