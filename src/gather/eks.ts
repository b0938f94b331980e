// Gather the facts of an EKS diagnosis (IRSA and Pod Identity). Independent reads start at once; only the
// dependent round trips (pod → service account → role → token → STS) wait for each other.
import type { V1MutatingWebhookConfiguration, V1ServiceAccount } from "@kubernetes/client-node";
import {
  parseClusterArn,
  parseEksEndpoint,
  parseRoleArn,
  providerUrlFromArn,
  providerUrlOf,
} from "../diagnosis/eks/arn.js";
import type {
  AssociationFact,
  DaemonSetFact,
  EksClusterFact,
  EksFacts,
  ExchangeFact,
  OidcProviderFact,
  PodLike,
  RoleFact,
  ServiceAccountFact,
  TokenClaims,
  WebhookFact,
} from "../diagnosis/eks/facts.js";
import { diagnoseEksFacts, type EksReport } from "../diagnosis/eks/index.js";
import {
  AGENT_DAEMONSET,
  AGENT_NAMESPACE,
  AUDIENCE_KEY,
  DEFAULT_AUDIENCE,
  ROLE_ARN_KEY,
  WEBHOOK_MWC,
} from "../diagnosis/eks/names.js";
import { failed, type Gathered, ok, skipped, type Target, valueOf } from "../diagnosis/types.js";
import { NOT_GATHERED } from "./sections.js";
import { AwsProvider, type PodIdentityAssociation } from "../providers/aws.js";
import type { Environment } from "../providers/environment.js";
import { gather, ProviderError } from "../providers/errors.js";
import { KubeProvider } from "../providers/kubernetes.js";
import {
  decodeToken,
  type IssuerVerification,
  type TokenClaims as RawClaims,
  verifyWithIssuer,
} from "../providers/oidc.js";
import { associationRoles, gatherPodIdentity, startAssociations } from "./eks-pod-identity.js";
import { normalizeTarget } from "./platform.js";
import { type ResolvedTarget, resolveTarget } from "./target.js";

export interface EksGatherOptions {
  signal: AbortSignal;
  progress: (message: string, progress: number, total?: number) => Promise<void>;
  errorText?: string;
}

/** The value of `--flag value` or `--flag=value` among a command's arguments. */
function argValue(args: string[], ...flags: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    for (const f of flags) {
      if (args[i] === f && args[i + 1] && !args[i + 1].startsWith("-")) return args[i + 1];
      if (args[i].startsWith(`${f}=`)) return args[i].slice(f.length + 1) || undefined;
    }
  }
  return undefined;
}

/**
 * The cluster an exec credential plugin asks a token for: `aws eks get-token --cluster-name NAME [--region R]`
 * (what `aws eks update-kubeconfig` writes, whatever the context is called) or `aws-iam-authenticator token -i NAME`.
 */
export function clusterFromExecArgs(args: string[]): { name?: string; region?: string } {
  const name = args.includes("get-token")
    ? argValue(args, "--cluster-name")
    : args.includes("token")
      ? argValue(args, "-i", "--cluster-id")
      : undefined;
  return { name, region: name ? argValue(args, "--region") : undefined };
}

/**
 * Where the cluster is: from a context ARN or from the API endpoint's host name. `guess` is the name the exec
 * credential plugin asks a token for: checked against the endpoint before it is trusted (a context may have been
 * renamed, an argument copied from another cluster).
 */
export function locateCluster(kube: KubeProvider): {
  region?: string;
  name?: string;
  guess?: string;
  host?: string;
  isEks: boolean;
} {
  const context = kube.contextName() ?? "";
  const fromArn = parseClusterArn(context);
  const host = kube.apiServerHost();
  const fromHost = host ? parseEksEndpoint(host) : undefined;
  const fromExec = fromArn ? {} : clusterFromExecArgs(kube.execArgs());
  return {
    region: fromArn?.region ?? fromHost?.region ?? fromExec.region,
    name: fromArn?.name,
    guess: fromExec.name,
    host,
    isEks: Boolean(fromArn || fromHost),
  };
}

function lastModified(sa: V1ServiceAccount): string | undefined {
  const times = (sa.metadata?.managedFields ?? [])
    .map((m) => (m.time instanceof Date ? m.time.getTime() : m.time ? Date.parse(String(m.time)) : Number.NaN))
    .filter((t) => !Number.isNaN(t));
  const created = sa.metadata?.creationTimestamp;
  if (created) times.push(created instanceof Date ? created.getTime() : Date.parse(String(created)));
  const valid = times.filter((t) => !Number.isNaN(t));
  return valid.length ? new Date(Math.max(...valid)).toISOString() : undefined;
}

function toWebhook(m: V1MutatingWebhookConfiguration): WebhookFact {
  const w = m.webhooks?.[0];
  const svc = w?.clientConfig?.service;
  return {
    name: m.metadata?.name ?? WEBHOOK_MWC,
    failurePolicy: w?.failurePolicy,
    caBundlePresent: Boolean(w?.clientConfig?.caBundle),
    target: svc
      ? `service ${svc.namespace}/${svc.name}`
      : w?.clientConfig?.url
        ? `url ${w.clientConfig.url}`
        : undefined,
    objectSelector: w?.objectSelector,
    namespaceSelector: w?.namespaceSelector,
  };
}

export interface MintedEksToken {
  /** What the checks read: the claims, never the token. */
  claims: Gathered<TokenClaims>;
  /** Every registered claim, for display. */
  raw?: RawClaims;
  kid?: string;
  issuerCheck?: Gathered<IssuerVerification>;
  /** The token itself, only for STS or EKS Auth; it never goes into an output. */
  token?: string;
}

export class EksGatherer {
  readonly kube: KubeProvider;
  readonly aws: AwsProvider;
  readonly where: ReturnType<typeof locateCluster>;

  constructor(
    readonly env: Environment,
    readonly signal: AbortSignal,
    kube?: KubeProvider,
  ) {
    this.kube = kube ?? new KubeProvider(env);
    this.where = env.kubeconfig ? locateCluster(this.kube) : { isEks: false };
    // The cluster's own region wins over a default region that may point elsewhere.
    const region = this.where.region ?? env.aws.region;
    this.aws = new AwsProvider({ ...env, aws: { ...env.aws, region } });
  }

  get region(): string | undefined {
    return this.where.region ?? this.env.aws.region;
  }

  accountId(): Promise<Gathered<string>> {
    return gather(
      "AWS caller identity",
      async () => (await this.aws.getCallerIdentity({ signal: this.signal })).account,
    );
  }

  private listedClusters?: Promise<string[]>;

  /** ListClusters, once per gatherer: the cluster lookup by endpoint and the early name guess share it. */
  private clusterNames(): Promise<string[]> {
    this.listedClusters ??= this.aws.listClusters({ signal: this.signal });
    return this.listedClusters;
  }

  /** The cluster the exec plugin names, when DescribeCluster shows it serves the kubeconfig's endpoint. */
  private async guessedCluster(): Promise<EksClusterFact | null> {
    if (!this.where.guess || !this.where.host) return null;
    // The search by endpoint over that one name. Any failure (another account, no such cluster, no permission)
    // leaves it to the search over every cluster.
    return this.aws
      .findClusterByEndpoint(this.where.host, { signal: this.signal }, Promise.resolve([this.where.guess]))
      .catch(() => null);
  }

  cluster(): Promise<Gathered<EksClusterFact | null>> {
    return gather<EksClusterFact | null>("EKS cluster", async () => {
      if (!this.env.kubeconfig) throw new ProviderError("no-credential", this.env.kubeconfigProblem ?? "no kubeconfig");
      if (!this.where.isEks) return null;
      if (this.where.name) return await this.aws.describeCluster(this.where.name, { signal: this.signal });
      const guessed = await this.guessedCluster();
      if (guessed) return guessed;
      return await this.aws.findClusterByEndpoint(this.where.host ?? "", { signal: this.signal }, this.clusterNames());
    });
  }

  /**
   * The cluster's name before DescribeCluster confirms it, to start the reads that need only the name: the
   * context ARN's, else the only cluster ListClusters shows. Undefined when it cannot be told early; a caller
   * still checks the guess against cluster() before it uses what it read.
   */
  async clusterNameGuess(): Promise<string | undefined> {
    if (!this.env.kubeconfig || !this.where.isEks) return undefined;
    if (this.where.name ?? this.where.guess) return this.where.name ?? this.where.guess;
    const names = await this.clusterNames().catch(() => []);
    return names.length === 1 ? names[0] : undefined;
  }

  apiServerIssuer(): Promise<Gathered<string>> {
    return gather("API server OIDC discovery", async () => (await this.kube.getIssuerDiscovery(this.signal)).issuer);
  }

  async kubernetesVersion(): Promise<string | undefined> {
    const v = await gather("Kubernetes version", () => this.kube.getVersion(this.signal));
    const info = valueOf(v);
    return info ? `${info.major}.${String(info.minor).replace(/\D+$/, "")}` : undefined;
  }

  serviceAccount(ns: string, name: string | undefined): Promise<Gathered<ServiceAccountFact | null>> {
    if (!name) return Promise.resolve(skipped("no service account: name one, or a pod or workload that uses it"));
    return gather("service account", async () => {
      const sa = await this.kube.getServiceAccount(ns, name, this.signal);
      // Kubernetes keeps a "default" service account in every namespace (it is recreated when deleted);
      // a listing without it is incomplete, not a cluster without it.
      if (!sa) return name === "default" ? { name, namespace: ns, annotations: {} } : null;
      return {
        name,
        namespace: ns,
        annotations: sa.metadata?.annotations ?? {},
        lastModified: lastModified(sa),
      };
    });
  }

  webhook(): Promise<Gathered<WebhookFact | null>> {
    return gather("pod-identity-webhook configuration", async () => {
      const m = await this.kube.getMutatingWebhookConfiguration(WEBHOOK_MWC, this.signal);
      return m ? toWebhook(m) : null;
    });
  }

  podIdentityAgent(): Promise<Gathered<DaemonSetFact | null>> {
    return gather("EKS Pod Identity Agent", async () => {
      const w = await this.kube.getWorkload(AGENT_NAMESPACE, "DaemonSet", AGENT_DAEMONSET, this.signal);
      if (!w) return null;
      const status = (w.object as { status?: { desiredNumberScheduled?: number; numberReady?: number } }).status;
      return {
        name: AGENT_DAEMONSET,
        namespace: AGENT_NAMESPACE,
        desired: status?.desiredNumberScheduled ?? 0,
        ready: status?.numberReady ?? 0,
        statusKnown: status !== undefined,
      };
    });
  }

  oidcProviderArns(): Promise<Gathered<string[]>> {
    return gather("IAM OIDC providers", () => this.aws.listOidcProviders({ signal: this.signal }));
  }

  async oidcProvider(arns: Gathered<string[]>, issuer: Gathered<string>): Promise<Gathered<OidcProviderFact | null>> {
    if (arns.status !== "ok") return arns;
    if (issuer.status !== "ok") return issuer;
    const url = providerUrlOf(issuer.value);
    const arn = arns.value.find((a) => providerUrlFromArn(a) === url);
    if (!arn) return ok(null);
    return gather("IAM OIDC provider", () => this.aws.getOidcProvider(arn, { signal: this.signal }));
  }

  role(roleArn: string, callerAccount?: string): Promise<Gathered<RoleFact | null>> {
    const parsed = parseRoleArn(roleArn.trim());
    if (!parsed) return Promise.resolve(skipped(`"${roleArn}" is not a role ARN`));
    // GetRole only looks in the caller's own account: asking it for another account's role by name would
    // describe a different role (or none) and judge the wrong trust policy.
    if (callerAccount && parsed.account !== callerAccount) {
      return Promise.resolve(
        skipped(`the role is in account ${parsed.account}; this credential reads account ${callerAccount}`),
      );
    }
    return gather(`IAM role ${parsed.roleName}`, async () => {
      const [role, policies] = await Promise.all([
        this.aws.getRole(parsed.roleName, { signal: this.signal }),
        this.aws.listAttachedRolePolicies(parsed.roleName, { signal: this.signal }).catch(() => undefined),
      ]);
      if (!role) return null;
      return {
        arn: role.arn,
        name: role.name,
        trustPolicy: role.trustPolicy,
        trustPolicyProblem: role.trustPolicyProblem,
        attachedPolicies: policies?.map((p) => p.arn),
      };
    });
  }

  /** ListPodIdentityAssociations for one namespace: who has an association, not yet which role. */
  listAssociations(clusterName: string, ns: string): Promise<Gathered<PodIdentityAssociation[]>> {
    return gather("Pod Identity associations", () =>
      this.aws.listPodIdentityAssociations(clusterName, ns, undefined, { signal: this.signal }),
    );
  }

  /** DescribePodIdentityAssociation for each listed one (concurrently), for the role ARNs. */
  describeAssociations(
    clusterName: string,
    listed: Gathered<PodIdentityAssociation[]>,
  ): Promise<Gathered<AssociationFact[]>> {
    if (listed.status !== "ok") return Promise.resolve(listed);
    return gather("Pod Identity associations", async () => {
      const described = await Promise.all(
        listed.value.map((a) =>
          this.aws.describePodIdentityAssociation(clusterName, a.associationId, { signal: this.signal }),
        ),
      );
      return listed.value.map((l, i) => {
        const a = described[i] ?? l;
        return {
          associationId: a.associationId,
          namespace: a.namespace,
          serviceAccount: a.serviceAccount,
          roleArn: a.roleArn,
          ...(a.targetRoleArn ? { targetRoleArn: a.targetRoleArn, externalId: a.externalId } : {}),
          ...(a.disableSessionTags !== undefined ? { disableSessionTags: a.disableSessionTags } : {}),
        };
      });
    });
  }

  /**
   * The listed associations of the namespace once the cluster is known. `early` is a listing already started
   * for a guessed name (clusterNameGuess); it is used only when the guess was the cluster.
   */
  async listedAssociations(
    cluster: Gathered<EksClusterFact | null>,
    ns: string,
    early?: { name: string; listed: Promise<Gathered<PodIdentityAssociation[]>> },
  ): Promise<Gathered<PodIdentityAssociation[]>> {
    if (cluster.status !== "ok") return cluster;
    if (!cluster.value) return skipped("not an EKS cluster this credential can see");
    if (early && early.name === cluster.value.name) return early.listed;
    return this.listAssociations(cluster.value.name, ns);
  }

  /** The namespace's associations with their roles: listed (or the listing given), then each described. */
  async associations(
    cluster: Gathered<EksClusterFact | null>,
    ns: string,
    listing?: Promise<Gathered<PodIdentityAssociation[]>>,
  ): Promise<Gathered<AssociationFact[]>> {
    const listed = await (listing ?? this.listedAssociations(cluster, ns));
    const c = valueOf(cluster);
    if (listed.status !== "ok") return listed;
    return c ? this.describeAssociations(c.name, listed) : skipped("not an EKS cluster this credential can see");
  }

  /**
   * Mint a short-lived token for the service account by TokenRequest; only its claims leave for the checks (the
   * token itself only for STS or EKS Auth). With `verify`, also check it against its issuer's discovery document
   * and JWKS as STS does.
   */
  async mintToken(
    ns: string,
    sa: string,
    audience: string,
    opts: { expirationSeconds?: number; verify?: boolean } = {},
  ): Promise<MintedEksToken> {
    const out: MintedEksToken = { claims: skipped("no token was minted") };
    out.claims = await gather<TokenClaims>("service account token", async () => {
      const t = await this.kube.createServiceAccountToken(
        ns,
        sa,
        { audiences: [audience], expirationSeconds: opts.expirationSeconds ?? 600 },
        this.signal,
      );
      out.token = t.token;
      const { claims: c, kid } = decodeToken(t.token);
      out.raw = c;
      out.kid = kid;
      return {
        iss: c.iss ?? "",
        sub: c.sub ?? "",
        aud: Array.isArray(c.aud) ? c.aud : c.aud ? [c.aud] : [],
        exp: c.exp,
        kid,
      };
    });
    if (opts.verify && out.token) {
      const token = out.token;
      out.issuerCheck = await gather("issuer discovery and JWKS", () => verifyWithIssuer(this.env, token, this.signal));
    }
    return out;
  }

  exchange(roleArn: string, token: string): Promise<Gathered<ExchangeFact>> {
    return gather("STS AssumeRoleWithWebIdentity", async () => {
      const r = await this.aws.assumeRoleWithWebIdentity(roleArn, token, { signal: this.signal });
      return { ...r, roleArn };
    });
  }
}

/** The resolved target as the EKS facts hold it: a missing pod or workload is a pods section that failed. */
export function eksPods(r: ResolvedTarget): {
  pods: Gathered<PodLike[]>;
  serviceAccountName?: string;
  podTemplate?: PodLike;
} {
  const ns = r.target.namespace;
  const w = valueOf(r.workload ?? ok(null));
  const pods: Gathered<PodLike[]> = r.podMissing
    ? failed(`pods: pod ${ns}/${r.podMissing} does not exist`)
    : r.workload?.status === "ok" && !w
      ? failed(`pods: ${r.target.workload} does not exist in ${ns}`)
      : (r.pods as Gathered<PodLike[]>);
  return {
    pods,
    serviceAccountName: r.serviceAccountName,
    podTemplate: w ? (w.podTemplate as unknown as PodLike) : undefined,
  };
}

/**
 * The one EKS facts builder: every section not gathered unless given. The diagnosis gives them all; a step tool
 * gives the ones it looked at, and runs only the checks that read them.
 */
export function eksFacts(target: Target, sections: Partial<EksFacts> = {}): EksFacts {
  const none = <T>() => skipped<T>(NOT_GATHERED);
  return {
    target,
    serviceAccountName: target.serviceAccount,
    accountId: none(),
    cluster: none(),
    issuer: none(),
    oidcProviderArns: none(),
    oidcProvider: none(),
    serviceAccount: none(),
    pods: none(),
    webhook: none(),
    podIdentityAgent: none(),
    associations: none(),
    irsaRole: none(),
    podIdentityRoles: {},
    token: none(),
    exchange: none(),
    ...sections,
  };
}

export async function gatherEksFacts(
  env: Environment,
  named: Target,
  opts: EksGatherOptions,
  shared: { kube?: KubeProvider; resolved?: Promise<ResolvedTarget> } = {},
): Promise<EksFacts> {
  const target = normalizeTarget(named);
  const g = new EksGatherer(env, opts.signal, shared.kube);
  const ns = target.namespace;
  const total = 3;
  await opts.progress("Reading the cluster, service account, pods and IAM OIDC providers", 0, total);

  // Round trip 1: everything that needs nothing but the target.
  const accountP = g.accountId();
  const clusterP = g.cluster();
  const apiIssuerP = g.apiServerIssuer();
  const versionP = g.kubernetesVersion();
  const podsP = (shared.resolved ?? resolveTarget(g, target)).then(eksPods);
  const webhookP = g.webhook();
  const agentP = g.podIdentityAgent();
  const arnsP = g.oidcProviderArns();
  const saNameP = target.serviceAccount
    ? Promise.resolve(target.serviceAccount)
    : podsP.then((p) => p.serviceAccountName);
  const saP = saNameP.then((name) => g.serviceAccount(ns, name));

  // Round trip 2: what depends on the cluster or the service account.
  const issuerP = Promise.all([clusterP, apiIssuerP]).then(([c, api]): Gathered<string> => {
    const fromCluster = valueOf(c)?.issuer;
    if (fromCluster) return ok(fromCluster);
    return api;
  });
  const providerP = Promise.all([arnsP, issuerP]).then(([arns, issuer]) => g.oidcProvider(arns, issuer));
  const { listedP, associationsP, podIdTokenP } = startAssociations(g, ns, clusterP, saP);
  const roleArnP = saP.then((sa) => valueOf(sa)?.annotations[ROLE_ARN_KEY]);
  const irsaRoleP = Promise.all([roleArnP, accountP]).then(([arn, account]) =>
    arn === undefined ? skipped<RoleFact | null>("no IRSA annotation") : g.role(arn, valueOf(account)),
  );
  const podRolesP = associationRoles(g, associationsP, saNameP, accountP);
  const tokenP = Promise.all([saP, saNameP]).then(async ([sa, name]) => {
    const s = valueOf(sa);
    if (!s || !name) return { claims: skipped<TokenClaims>("the service account does not exist or could not be read") };
    return g.mintToken(ns, name, s.annotations[AUDIENCE_KEY] || DEFAULT_AUDIENCE);
  });
  await opts.progress("Reading IAM roles, trust policies and Pod Identity associations", 1, total);

  // Round trip 3: the exchange needs the token and the role ARN.
  const exchangeP = Promise.all([tokenP, roleArnP]).then(
    ([t, roleArn]): Promise<Gathered<ExchangeFact>> | Gathered<ExchangeFact> => {
      if (roleArn === undefined) return skipped("the service account has no IRSA annotation");
      if (!parseRoleArn(roleArn.trim())) return skipped("the role ARN annotation is malformed");
      if (!env.allowExchange) return skipped("the token exchange is disabled (--no-exchange)");
      if (!t.token) return skipped(t.claims.status === "ok" ? "no token" : t.claims.reason);
      return g.exchange(roleArn.trim(), t.token);
    },
  );

  const podIdP = gatherPodIdentity(g, ns, { listedP, associationsP, clusterP, saNameP, accountP, podIdTokenP });

  // A cancellation rejects many of these at once; the awaits below still see it, nothing goes unhandled.
  for (const p of [
    accountP,
    clusterP,
    apiIssuerP,
    versionP,
    podsP,
    webhookP,
    agentP,
    arnsP,
    saNameP,
    saP,
    issuerP,
    providerP,
  ]) {
    p.catch(() => undefined);
  }
  for (const p of [listedP, associationsP, roleArnP, irsaRoleP, podRolesP, tokenP, podIdTokenP]) {
    p.catch(() => undefined);
  }
  for (const p of [exchangeP, podIdP]) p.catch(() => undefined);

  const [accountId, cluster, issuer, kubernetesVersion, pods, webhook, podIdentityAgent, oidcProviderArns] =
    await Promise.all([accountP, clusterP, issuerP, versionP, podsP, webhookP, agentP, arnsP]);
  const [serviceAccountName, serviceAccount, oidcProvider, associations, irsaRole, podIdentityRoles, token] =
    await Promise.all([saNameP, saP, providerP, associationsP, irsaRoleP, podRolesP, tokenP]);
  await opts.progress("Testing the token exchange with STS", 2, total);
  const [exchange, podIdentity] = await Promise.all([exchangeP, podIdP]);
  await opts.progress("Done", 3, total);

  return eksFacts(target, {
    serviceAccountName,
    region: valueOf(cluster)?.region ?? g.region,
    accountId,
    cluster,
    issuer,
    kubernetesVersion: valueOf(cluster)?.version && !kubernetesVersion ? valueOf(cluster)?.version : kubernetesVersion,
    oidcProviderArns,
    oidcProvider,
    serviceAccount,
    pods: pods.pods,
    ...(pods.podTemplate ? { podTemplate: pods.podTemplate } : {}),
    webhook,
    podIdentityAgent,
    associations,
    irsaRole,
    podIdentityRoles,
    token: token.claims,
    exchange,
    ...podIdentity,
    errorText: opts.errorText,
  });
}

export async function diagnoseEks(
  env: Environment,
  target: Target,
  opts: EksGatherOptions,
  shared: { kube?: KubeProvider; resolved?: Promise<ResolvedTarget> } = {},
): Promise<EksReport> {
  const facts = await gatherEksFacts(env, target, opts, shared);
  return diagnoseEksFacts(facts);
}
