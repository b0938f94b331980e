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
import { gather } from "../providers/errors.js";
import {
  decodeToken,
  type IssuerVerification,
  type TokenClaims as RawClaims,
  verifyWithIssuer,
} from "../providers/oidc.js";
import { EksGatherer } from "./eks.js";
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

export interface MintedEksToken {
  /** What the checks read: the claims, never the token. */
  claims: Gathered<TokenClaims>;
  /** Every registered claim, for display. */
  raw?: RawClaims;
  kid?: string;
  issuerCheck?: Gathered<IssuerVerification>;
  /** The token itself, only for STS; it never goes into an output. */
  token?: string;
}

/**
 * Mint a token for the service account by TokenRequest and, when asked, verify it against its issuer's
 * discovery document and JWKS as STS does.
 */
export async function mintEksToken(
  g: EksGatherer,
  namespace: string,
  serviceAccount: string,
  audience: string,
  opts: { expirationSeconds?: number; verify?: boolean } = {},
): Promise<MintedEksToken> {
  const out: MintedEksToken = { claims: skipped("no token was minted") };
  out.claims = await gather<TokenClaims>("service account token", async () => {
    const t = await g.kube.createServiceAccountToken(
      namespace,
      serviceAccount,
      { audiences: [audience], expirationSeconds: opts.expirationSeconds ?? 600 },
      g.signal,
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
    out.issuerCheck = await gather("issuer discovery and JWKS", () => verifyWithIssuer(g.env, token, g.signal));
  }
  return out;
}

export type { EksCheckId };
