// The EKS Pod Identity facts beyond the association and its role: the target role of a chained association, the
// source role's inline policies (what it may assume), and EKS Auth's real answer for a pods.eks.amazonaws.com token.
import type { AssociationFact, EksClusterFact, PodIdentityExchangeFact, RoleFact } from "../diagnosis/eks/facts.js";
import { POD_IDENTITY_AUDIENCE } from "../diagnosis/eks/names.js";
import { parseRoleArn } from "../diagnosis/eks/arn.js";
import { type Gathered, skipped, valueOf } from "../diagnosis/types.js";
import type { PolicyDocument } from "../model/iam-policy.js";
import { assumeRoleForPodIdentity, roleInlinePolicies } from "../providers/aws-pod-identity.js";
import { gather } from "../providers/errors.js";
import type { EksGatherer } from "./eks.js";

export interface PodIdentityGathered {
  podIdentityTargetRoles: Record<string, Gathered<RoleFact | null>>;
  podIdentitySourcePolicies: Record<string, Gathered<Record<string, PolicyDocument>>>;
  podIdentityExchange?: Gathered<PodIdentityExchangeFact>;
}

/** Once the associations, the cluster, the service account's name and the account are known. */
export async function gatherPodIdentity(
  g: EksGatherer,
  namespace: string,
  p: {
    associationsP: Promise<Gathered<AssociationFact[]>>;
    clusterP: Promise<Gathered<EksClusterFact | null>>;
    saNameP: Promise<string | undefined>;
    accountP: Promise<Gathered<string>>;
  },
): Promise<PodIdentityGathered> {
  const [associations, cluster, serviceAccount, account] = await Promise.all([
    p.associationsP,
    p.clusterP,
    p.saNameP,
    p.accountP,
  ]);
  return podIdentityFacts(g, {
    namespace,
    serviceAccount,
    associations,
    cluster,
    account: valueOf(account),
    allowExchange: g.env.allowExchange,
  });
}

interface PodIdentityInput {
  namespace: string;
  serviceAccount?: string;
  associations: Gathered<AssociationFact[]>;
  cluster: Gathered<EksClusterFact | null>;
  account?: string;
  allowExchange: boolean;
}

async function podIdentityFacts(g: EksGatherer, input: PodIdentityInput): Promise<PodIdentityGathered> {
  const mine = (valueOf(input.associations) ?? []).filter(
    (a) => a.namespace === input.namespace && a.serviceAccount === input.serviceAccount,
  );
  const chained = mine.filter((a) => a.targetRoleArn && a.roleArn);
  const targets = [...new Set(chained.map((a) => a.targetRoleArn!))];
  const sources = [...new Set(chained.map((a) => a.roleArn!))];
  const [targetRoles, sourcePolicies, exchange] = await Promise.all([
    Promise.all(targets.map((arn) => g.role(arn, input.account))),
    Promise.all(
      sources.map((arn): Promise<Gathered<Record<string, PolicyDocument>>> => {
        const parsed = parseRoleArn(arn);
        if (!parsed || (input.account && parsed.account !== input.account)) {
          return Promise.resolve(skipped(`the role ${arn} is not in this credential's account`));
        }
        return gather(`inline policies of ${parsed.roleName}`, () =>
          roleInlinePolicies(g.aws, parsed.roleName, g.signal),
        );
      }),
    ),
    exchangeFor(g, input, mine.length > 0),
  ]);
  return {
    podIdentityTargetRoles: Object.fromEntries(targets.map((a, i) => [a, targetRoles[i]])),
    podIdentitySourcePolicies: Object.fromEntries(sources.map((a, i) => [a, sourcePolicies[i]])),
    ...(exchange ? { podIdentityExchange: exchange } : {}),
  };
}

/** Mint a pods.eks.amazonaws.com token for the service account and hand it to EKS Auth, as the agent would. */
async function exchangeFor(
  g: EksGatherer,
  input: PodIdentityInput,
  associated: boolean,
): Promise<Gathered<PodIdentityExchangeFact> | undefined> {
  if (!associated) return undefined;
  const cluster = valueOf(input.cluster);
  if (!cluster) return skipped("the EKS cluster could not be identified");
  if (!input.allowExchange) return skipped("the token exchange is disabled (--no-exchange)");
  const t = await g.mintToken(input.namespace, input.serviceAccount!, POD_IDENTITY_AUDIENCE);
  if (!t.token) return skipped(t.claims.status === "ok" ? "no token" : t.claims.reason);
  const token = t.token;
  return gather("EKS Auth AssumeRoleForPodIdentity", () =>
    assumeRoleForPodIdentity(g.aws, g.env.timeoutMs, cluster.name, token, g.signal),
  );
}
