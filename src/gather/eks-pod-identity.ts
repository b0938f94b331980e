// The EKS Pod Identity facts beyond the association and its role: the target role of a chained association, the
// source role's inline policies (what it may assume), and EKS Auth's real answer for a pods.eks.amazonaws.com token.
import type {
  AssociationFact,
  EksClusterFact,
  PodIdentityExchangeFact,
  RoleFact,
  ServiceAccountFact,
} from "../diagnosis/eks/facts.js";
import { POD_IDENTITY_AUDIENCE, ROLE_ARN_KEY } from "../diagnosis/eks/names.js";
import { parseRoleArn } from "../diagnosis/eks/arn.js";
import { type Gathered, skipped, valueOf } from "../diagnosis/types.js";
import type { PolicyDocument } from "../model/iam-policy.js";
import { assumeRoleForPodIdentity, roleInlinePolicies } from "../providers/aws-pod-identity.js";
import { gather } from "../providers/errors.js";
import type { PodIdentityAssociation } from "../providers/aws.js";
import type { EksGatherer, MintedEksToken } from "./eks.js";

export interface PodIdentityGathered {
  podIdentityTargetRoles: Record<string, Gathered<RoleFact | null>>;
  podIdentitySourcePolicies: Record<string, Gathered<Record<string, PolicyDocument>>>;
  podIdentityExchange?: Gathered<PodIdentityExchangeFact>;
}

/**
 * Start the association reads and the token EKS Auth wants. The listing needs only the cluster's name, often known
 * before DescribeCluster answers (the context ARN, or the only cluster ListClusters shows): it starts on that guess,
 * kept only if the guess was right. The pods.eks.amazonaws.com token is minted alongside (a TokenRequest; nothing
 * persists) so the exchange starts as soon as the listing shows an association; a service account annotated for
 * IRSA has it minted only once an association is seen.
 */
export function startAssociations(
  g: EksGatherer,
  ns: string,
  clusterP: Promise<Gathered<EksClusterFact | null>>,
  saP: Promise<Gathered<ServiceAccountFact | null>>,
  opts: { mintEvenForIrsa?: boolean } = {},
) {
  const earlyListingP = g.clusterNameGuess().then((name) => {
    if (!name) return undefined;
    const listed = g.listAssociations(name, ns);
    listed.catch(() => undefined); // a wrong guess is never awaited
    return { name, listed };
  });
  const listedP = Promise.all([clusterP, earlyListingP]).then(([c, early]) => g.listedAssociations(c, ns, early));
  const associationsP = clusterP.then((c) => g.associations(c, ns, listedP));
  const podIdTokenP = saP.then((sa) => {
    const s = valueOf(sa);
    if (!g.where.isEks || !g.env.allowExchange || !s) return undefined;
    if (s.annotations[ROLE_ARN_KEY] !== undefined && !opts.mintEvenForIrsa) return undefined;
    return g.mintToken(ns, s.name, POD_IDENTITY_AUDIENCE);
  });
  for (const p of [earlyListingP, podIdTokenP]) p.catch(() => undefined);
  return { listedP, associationsP, podIdTokenP };
}

/** The roles of the service account's associations (GetRole each), by ARN. */
export async function associationRoles(
  g: EksGatherer,
  associationsP: Promise<Gathered<AssociationFact[]>>,
  saNameP: Promise<string | undefined>,
  accountP: Promise<Gathered<string>>,
): Promise<Record<string, Gathered<RoleFact | null>>> {
  const [assoc, sa, account] = await Promise.all([associationsP, saNameP, accountP]);
  const arns = [
    ...new Set((valueOf(assoc) ?? []).filter((a) => a.serviceAccount === sa && a.roleArn).map((a) => a.roleArn!)),
  ];
  const roles = await Promise.all(arns.map((a) => g.role(a, valueOf(account))));
  return Object.fromEntries(arns.map((a, i) => [a, roles[i]]));
}

/**
 * The exchange starts once the listing shows the service account's association (with the token minted early when
 * it was); the described associations (their roles) are read meanwhile, for the chained roles' facts.
 */
export async function gatherPodIdentity(
  g: EksGatherer,
  namespace: string,
  p: {
    listedP: Promise<Gathered<PodIdentityAssociation[]>>;
    associationsP: Promise<Gathered<AssociationFact[]>>;
    clusterP: Promise<Gathered<EksClusterFact | null>>;
    saNameP: Promise<string | undefined>;
    accountP: Promise<Gathered<string>>;
    podIdTokenP?: Promise<MintedEksToken | undefined>;
  },
): Promise<PodIdentityGathered> {
  const exchangeP = Promise.all([p.listedP, p.clusterP, p.saNameP]).then(([listed, cluster, serviceAccount]) => {
    const associated = (valueOf(listed) ?? []).some(
      (a) => a.namespace === namespace && a.serviceAccount === serviceAccount,
    );
    if (!associated || !serviceAccount) return undefined;
    return exchangeFor(g, { namespace, serviceAccount, cluster, allowExchange: g.env.allowExchange }, p.podIdTokenP);
  });
  exchangeP.catch(() => undefined);
  const [associations, serviceAccount, account] = await Promise.all([p.associationsP, p.saNameP, p.accountP]);
  const roles = await chainedRoles(g, {
    associations,
    namespace,
    serviceAccount,
    account: valueOf(account),
  });
  const exchange = await exchangeP;
  return { ...roles, ...(exchange ? { podIdentityExchange: exchange } : {}) };
}

/** The target roles of the service account's chained associations, and their source roles' inline policies. */
async function chainedRoles(
  g: EksGatherer,
  input: { associations: Gathered<AssociationFact[]>; namespace: string; serviceAccount?: string; account?: string },
): Promise<Omit<PodIdentityGathered, "podIdentityExchange">> {
  const mine = (valueOf(input.associations) ?? []).filter(
    (a) => a.namespace === input.namespace && a.serviceAccount === input.serviceAccount,
  );
  const chained = mine.filter((a) => a.targetRoleArn && a.roleArn);
  const targets = [...new Set(chained.map((a) => a.targetRoleArn!))];
  const sources = [...new Set(chained.map((a) => a.roleArn!))];
  const [targetRoles, sourcePolicies] = await Promise.all([
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
  ]);
  return {
    podIdentityTargetRoles: Object.fromEntries(targets.map((a, i) => [a, targetRoles[i]])),
    podIdentitySourcePolicies: Object.fromEntries(sources.map((a, i) => [a, sourcePolicies[i]])),
  };
}

/**
 * Hand a pods.eks.amazonaws.com token for the service account to EKS Auth, as the agent would: the one minted
 * early when there is one, else a fresh one.
 */
export async function exchangeFor(
  g: EksGatherer,
  input: {
    namespace: string;
    serviceAccount: string;
    cluster: Gathered<EksClusterFact | null>;
    allowExchange: boolean;
  },
  early?: Promise<MintedEksToken | undefined>,
): Promise<Gathered<PodIdentityExchangeFact>> {
  const cluster = valueOf(input.cluster);
  if (!cluster) return skipped("the EKS cluster could not be identified");
  if (!input.allowExchange) return skipped("the token exchange is disabled (--no-exchange)");
  const t = (await early) ?? (await g.mintToken(input.namespace, input.serviceAccount, POD_IDENTITY_AUDIENCE));
  if (!t.token) return skipped(t.claims.status === "ok" ? "no token" : t.claims.reason);
  const token = t.token;
  return gather("EKS Auth AssumeRoleForPodIdentity", () =>
    assumeRoleForPodIdentity(g.aws, g.env.timeoutMs, cluster.name, token, g.signal),
  );
}
