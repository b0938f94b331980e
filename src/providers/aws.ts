// AWS through the official SDK clients (EKS, IAM, STS): the default credential chain live, static keys
// in the simulated world. Every call has a deadline, honours cancellation and fails as a ProviderError.
import { liveAgent } from "./outbound.js";
import type { EKSClient } from "@aws-sdk/client-eks";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { STSClient } from "@aws-sdk/client-sts";
import type { PolicyDocument } from "../model/iam-policy.js";
import type { Environment } from "./environment.js";
import { ProviderError, withTimeout } from "./errors.js";
import { cacheReads } from "./read-cache.js";

export interface CallerIdentity {
  account: string;
  arn: string;
}

export interface EksCluster {
  name: string;
  arn: string;
  endpoint?: string;
  version?: string;
  status?: string;
  /** identity.oidc.issuer; undefined for clusters without one. */
  issuer?: string;
  region: string;
}

export interface OidcProvider {
  arn: string;
  /** As IAM stores it: no scheme. */
  url: string;
  clientIds: string[];
  thumbprints: string[];
  createDate?: string;
}

export interface IamRole {
  arn: string;
  name: string;
  path: string;
  roleId?: string;
  maxSessionDuration?: number;
  /** The trust policy, URL-decoded and parsed; undefined when it could not be read. */
  trustPolicy?: PolicyDocument;
  trustPolicyProblem?: string;
}

export interface AttachedPolicy {
  name: string;
  arn: string;
}

export interface PodIdentityAssociation {
  associationId: string;
  associationArn?: string;
  clusterName: string;
  namespace: string;
  serviceAccount: string;
  roleArn?: string;
  targetRoleArn?: string;
  externalId?: string;
  disableSessionTags?: boolean;
}

export type ExchangeResult =
  | { ok: true; assumedRoleArn: string; expiration?: string; audience?: string; subject?: string }
  | { ok: false; code: string; message: string; httpStatus?: number };

interface CallOptions {
  signal?: AbortSignal;
}

type Sendable = { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> };

const CREDENTIAL_ERRORS = new Set(["CredentialsProviderError", "TokenProviderError"]);
const UNAUTHORIZED = new Set([
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "InvalidSignatureException",
  "ExpiredToken",
  "ExpiredTokenException",
  "IncompleteSignature",
  "MissingAuthenticationToken",
]);
const FORBIDDEN = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException"]);
const NOT_FOUND = new Set(["NoSuchEntity", "NoSuchEntityException", "ResourceNotFoundException", "NotFoundException"]);

/** Map an SDK failure to our error kinds; `action` is the IAM permission the call needs. */
export function toProviderError(what: string, err: unknown, action: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const name = e?.name ?? "";
  const status = e?.$metadata?.httpStatusCode;
  const message = e?.message ?? String(err);
  if (CREDENTIAL_ERRORS.has(name) || /Could not load credentials/i.test(message)) {
    return new ProviderError(
      "no-credential",
      `${what}: no AWS credential (${message})`,
      undefined,
      "configure AWS credentials: `aws configure`, `aws sso login --profile NAME`, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
    );
  }
  if (UNAUTHORIZED.has(name) || status === 401) {
    return new ProviderError(
      "unauthorized",
      `${what}: AWS rejected the credential (${name || status}: ${message})`,
      status,
    );
  }
  if (FORBIDDEN.has(name) || status === 403) {
    return new ProviderError(
      "forbidden",
      `${what}: access denied (${message})`,
      status ?? 403,
      `grant ${action} to the caller`,
    );
  }
  if (NOT_FOUND.has(name) || status === 404)
    return new ProviderError("not-found", `${what}: ${message}`, status ?? 404);
  if (name === "AbortError") return new ProviderError("cancelled", `${what}: cancelled`);
  if (name === "TimeoutError" || e?.code === "ETIMEDOUT") {
    return new ProviderError("timeout", `${what}: no answer (${message})`);
  }
  if ((status !== undefined && status >= 500) || status === 429 || /Throttl|TooManyRequests/.test(name)) {
    return new ProviderError("unavailable", `${what}: service unavailable (${status ?? name}: ${message})`, status);
  }
  if (/Deserialization|SyntaxError|XML|Unexpected token|char/i.test(`${name} ${message}`) && status === 200) {
    return new ProviderError("invalid-response", `${what}: could not read the answer (${message})`, status);
  }
  if (status === undefined) return new ProviderError("unavailable", `${what}: ${message}`);
  return new ProviderError("invalid-response", `${what}: ${name || "error"} ${status}: ${message}`, status);
}

export { decodeTrustPolicy } from "./aws-policy.js";
import { decodeTrustPolicy } from "./aws-policy.js";

interface AwsLibraries {
  eks: typeof import("@aws-sdk/client-eks");
  iam: typeof import("@aws-sdk/client-iam");
  sts: typeof import("@aws-sdk/client-sts");
  http: typeof import("@smithy/node-http-handler");
}
let loading: Promise<AwsLibraries> | undefined;

/** The AWS SDK clients load on the first AWS call (they are large), so listing tools never pays for them. */
function loadLibraries(): Promise<AwsLibraries> {
  loading ??= Promise.all([
    import("@aws-sdk/client-eks"),
    import("@aws-sdk/client-iam"),
    import("@aws-sdk/client-sts"),
    import("@smithy/node-http-handler"),
  ]).then(([eks, iam, sts, http]) => ({ eks, iam, sts, http }));
  return loading;
}

interface AwsClients {
  lib: AwsLibraries;
  eks: EKSClient;
  iam: IAMClient;
  sts: STSClient;
}

export class AwsProvider {
  private clientsPromise?: Promise<AwsClients>;
  readonly region: string | undefined;

  constructor(private readonly env: Environment) {
    this.region = env.aws.region;
    // Within an audit, each role, provider and association list is read once (per region).
    cacheReads(
      env,
      this,
      [
        "getCallerIdentity",
        "describeCluster",
        "listClusters",
        "findClusterByEndpoint",
        "listOidcProviders",
        "getOidcProvider",
        "getRole",
        "listAttachedRolePolicies",
        "listPodIdentityAssociations",
        "describePodIdentityAssociation",
        "podIdentityAssociationsWithRoles",
      ],
      undefined,
      `@${env.aws.region ?? ""}`,
    );
  }

  /** @internal The SDK clients (aws-pod-identity.ts signs EKS Auth calls with their credentials and handler). */
  clients(): Promise<AwsClients> {
    this.clientsPromise ??= loadLibraries().then((lib) => this.makeClients(lib));
    return this.clientsPromise;
  }

  private makeClients(lib: AwsLibraries): AwsClients {
    const env = this.env;
    const requestHandler = new lib.http.NodeHttpHandler({
      // Live: one agent that honours HTTPS_PROXY/NO_PROXY (the AWS SDK reads neither by itself).
      httpsAgent: env.agent ?? liveAgent(),
      connectionTimeout: env.timeoutMs,
      requestTimeout: env.timeoutMs,
    });
    const simulatedWithoutKeys = env.mode === "simulated" && !env.aws.credentials;
    const credentials = env.aws.credentials
      ? env.aws.credentials
      : simulatedWithoutKeys
        ? // The simulated world must never reach for the machine's real credential chain (or IMDS).
          async () => {
            throw new ProviderError(
              "no-credential",
              "no AWS credential in this scenario",
              undefined,
              "configure AWS credentials: `aws configure`, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
            );
          }
        : undefined;
    const common = {
      ...(env.aws.region ? { region: env.aws.region } : {}),
      ...(env.aws.profile ? { profile: env.aws.profile } : {}),
      ...(credentials ? { credentials } : {}),
      requestHandler,
      maxAttempts: 2,
    };
    return {
      lib,
      eks: new lib.eks.EKSClient(common),
      iam: new lib.iam.IAMClient(common),
      sts: new lib.sts.STSClient(common),
    };
  }

  /** Send with a deadline; `mapErrors: false` lets a service error through as the SDK raised it. */
  /** @internal */
  call<T>(
    what: string,
    action: string,
    service: "eks" | "iam" | "sts",
    command: (lib: AwsLibraries) => unknown,
    opts: CallOptions = {},
    mapErrors = true,
  ): Promise<T> {
    return withTimeout(what, this.env.timeoutMs, opts.signal, async (signal) => {
      try {
        const clients = await this.clients();
        const client: Sendable = clients[service];
        return (await client.send(command(clients.lib), { abortSignal: signal })) as T;
      } catch (err) {
        if (signal.aborted && !(err instanceof ProviderError)) {
          throw opts.signal?.aborted
            ? new ProviderError("cancelled", `${what}: cancelled`)
            : new ProviderError("timeout", `${what}: no answer within ${this.env.timeoutMs} ms`);
        }
        if (!mapErrors && isServiceError(err)) throw err;
        throw toProviderError(what, err, action);
      }
    });
  }

  private async resolvedRegion(): Promise<string> {
    return this.region ?? (await (await this.clients()).eks.config.region());
  }

  async getCallerIdentity(opts?: CallOptions): Promise<CallerIdentity> {
    const out = await this.call<{ Account?: string; Arn?: string }>(
      "sts:GetCallerIdentity",
      "sts:GetCallerIdentity",
      "sts",
      (l) => new l.sts.GetCallerIdentityCommand({}),
      opts,
    );
    return { account: out.Account ?? "", arn: out.Arn ?? "" };
  }

  /** The cluster, or null when no cluster of that name exists in the region. */
  async describeCluster(name: string, opts?: CallOptions): Promise<EksCluster | null> {
    try {
      const out = await this.call<{ cluster?: Record<string, unknown> }>(
        `eks:DescribeCluster ${name}`,
        "eks:DescribeCluster",
        "eks",
        (l) => new l.eks.DescribeClusterCommand({ name }),
        opts,
      );
      const c = out.cluster as
        | {
            name?: string;
            arn?: string;
            endpoint?: string;
            version?: string;
            status?: string;
            identity?: { oidc?: { issuer?: string } };
          }
        | undefined;
      if (!c) return null;
      return {
        name: c.name ?? name,
        arn: c.arn ?? "",
        endpoint: c.endpoint,
        version: c.version,
        status: c.status,
        issuer: c.identity?.oidc?.issuer,
        region: await this.resolvedRegion(),
      };
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not-found") return null;
      throw err;
    }
  }

  async listClusters(opts?: CallOptions): Promise<string[]> {
    const names: string[] = [];
    let nextToken: string | undefined;
    for (let i = 0; i < 50; i++) {
      const out = await this.call<{ clusters?: string[]; nextToken?: string }>(
        "eks:ListClusters",
        "eks:ListClusters",
        "eks",
        (l) => new l.eks.ListClustersCommand({ nextToken }),
        opts,
      );
      names.push(...(out.clusters ?? []));
      nextToken = out.nextToken ?? undefined;
      if (!nextToken) break;
    }
    return names;
  }

  /**
   * The cluster whose API endpoint has this host name (ListClusters, then DescribeCluster each, concurrently).
   * A caller that already started ListClusters (to act on the names early) hands its answer in.
   */
  async findClusterByEndpoint(
    host: string,
    opts?: CallOptions,
    listed?: Promise<string[]>,
  ): Promise<EksCluster | null> {
    const want = host
      .replace(/^https:\/\//, "")
      .replace(/[:/].*$/, "")
      .toLowerCase();
    const names = await (listed ?? this.listClusters(opts));
    const clusters = await Promise.all(names.map((n) => this.describeCluster(n, opts)));
    return clusters.find((c) => c?.endpoint && new URL(c.endpoint).hostname.toLowerCase() === want) ?? null;
  }

  async listOidcProviders(opts?: CallOptions): Promise<string[]> {
    const out = await this.call<{ OpenIDConnectProviderList?: { Arn?: string }[] }>(
      "iam:ListOpenIDConnectProviders",
      "iam:ListOpenIDConnectProviders",
      "iam",
      (l) => new l.iam.ListOpenIDConnectProvidersCommand({}),
      opts,
    );
    return (out.OpenIDConnectProviderList ?? []).map((p) => p.Arn ?? "").filter(Boolean);
  }

  /** The provider, or null when IAM has no provider with this ARN. */
  async getOidcProvider(arn: string, opts?: CallOptions): Promise<OidcProvider | null> {
    try {
      const out = await this.call<{
        Url?: string;
        ClientIDList?: string[];
        ThumbprintList?: string[];
        CreateDate?: Date;
      }>(
        `iam:GetOpenIDConnectProvider ${arn}`,
        "iam:GetOpenIDConnectProvider",
        "iam",
        (l) => new l.iam.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }),
        opts,
      );
      return {
        arn,
        url: (out.Url ?? "").replace(/^https:\/\//, ""),
        clientIds: out.ClientIDList ?? [],
        thumbprints: out.ThumbprintList ?? [],
        createDate: out.CreateDate?.toISOString(),
      };
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not-found") return null;
      throw err;
    }
  }

  /** The role with its trust policy decoded, or null when no role has this name. */
  async getRole(name: string, opts?: CallOptions): Promise<IamRole | null> {
    try {
      const out = await this.call<{
        Role?: {
          Arn?: string;
          RoleName?: string;
          Path?: string;
          RoleId?: string;
          MaxSessionDuration?: number;
          AssumeRolePolicyDocument?: string;
        };
      }>(`iam:GetRole ${name}`, "iam:GetRole", "iam", (l) => new l.iam.GetRoleCommand({ RoleName: name }), opts);
      const r = out.Role;
      if (!r) return null;
      const { policy, problem } = decodeTrustPolicy(r.AssumeRolePolicyDocument);
      return {
        arn: r.Arn ?? "",
        name: r.RoleName ?? name,
        path: r.Path ?? "/",
        roleId: r.RoleId,
        maxSessionDuration: r.MaxSessionDuration,
        trustPolicy: policy,
        trustPolicyProblem: problem,
      };
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not-found") return null;
      throw err;
    }
  }

  async listAttachedRolePolicies(roleName: string, opts?: CallOptions): Promise<AttachedPolicy[]> {
    const out = await this.call<{ AttachedPolicies?: { PolicyName?: string; PolicyArn?: string }[] }>(
      `iam:ListAttachedRolePolicies ${roleName}`,
      "iam:ListAttachedRolePolicies",
      "iam",
      (l) => new l.iam.ListAttachedRolePoliciesCommand({ RoleName: roleName }),
      opts,
    );
    return (out.AttachedPolicies ?? []).map((p) => ({ name: p.PolicyName ?? "", arn: p.PolicyArn ?? "" }));
  }

  /** Associations of a cluster, optionally for one namespace / service account (paged). */
  async listPodIdentityAssociations(
    cluster: string,
    namespace?: string,
    serviceAccount?: string,
    opts?: CallOptions,
  ): Promise<PodIdentityAssociation[]> {
    const out: PodIdentityAssociation[] = [];
    let nextToken: string | undefined;
    for (let i = 0; i < 50; i++) {
      const page = await this.call<{
        associations?: {
          associationId?: string;
          associationArn?: string;
          clusterName?: string;
          namespace?: string;
          serviceAccount?: string;
        }[];
        nextToken?: string;
      }>(
        `eks:ListPodIdentityAssociations ${cluster}`,
        "eks:ListPodIdentityAssociations",
        "eks",
        (l) =>
          new l.eks.ListPodIdentityAssociationsCommand({ clusterName: cluster, namespace, serviceAccount, nextToken }),
        opts,
      );
      for (const a of page.associations ?? []) {
        out.push({
          associationId: a.associationId ?? "",
          associationArn: a.associationArn,
          clusterName: a.clusterName ?? cluster,
          namespace: a.namespace ?? "",
          serviceAccount: a.serviceAccount ?? "",
        });
      }
      nextToken = page.nextToken ?? undefined;
      if (!nextToken) break;
    }
    return out;
  }

  async describePodIdentityAssociation(
    cluster: string,
    associationId: string,
    opts?: CallOptions,
  ): Promise<PodIdentityAssociation | null> {
    try {
      const out = await this.call<{
        association?: {
          associationId?: string;
          associationArn?: string;
          clusterName?: string;
          namespace?: string;
          serviceAccount?: string;
          roleArn?: string;
          targetRoleArn?: string;
          externalId?: string;
          disableSessionTags?: boolean;
        };
      }>(
        `eks:DescribePodIdentityAssociation ${associationId}`,
        "eks:DescribePodIdentityAssociation",
        "eks",
        (l) => new l.eks.DescribePodIdentityAssociationCommand({ clusterName: cluster, associationId }),
        opts,
      );
      const a = out.association;
      if (!a) return null;
      return {
        associationId: a.associationId ?? associationId,
        associationArn: a.associationArn,
        clusterName: a.clusterName ?? cluster,
        namespace: a.namespace ?? "",
        serviceAccount: a.serviceAccount ?? "",
        roleArn: a.roleArn,
        ...(a.targetRoleArn ? { targetRoleArn: a.targetRoleArn, externalId: a.externalId } : {}),
        disableSessionTags: a.disableSessionTags,
      };
    } catch (err) {
      if (err instanceof ProviderError && err.kind === "not-found") return null;
      throw err;
    }
  }

  /** List, then describe each (concurrently) to learn the role ARNs. */
  async podIdentityAssociationsWithRoles(
    cluster: string,
    namespace?: string,
    serviceAccount?: string,
    opts?: CallOptions,
  ): Promise<PodIdentityAssociation[]> {
    const list = await this.listPodIdentityAssociations(cluster, namespace, serviceAccount, opts);
    const described = await Promise.all(
      list.map((a) => this.describePodIdentityAssociation(cluster, a.associationId, opts)),
    );
    return list.map((a, i) => described[i] ?? a);
  }

  /**
   * Exchange a service-account token at STS, as the SDK in the pod would. Only the outcome comes back:
   * the assumed role's ARN and the expiry, never the credentials.
   */
  async assumeRoleWithWebIdentity(
    roleArn: string,
    token: string,
    opts: CallOptions & { sessionName?: string } = {},
  ): Promise<ExchangeResult> {
    try {
      const out = await this.call<{
        AssumedRoleUser?: { Arn?: string };
        Credentials?: { Expiration?: Date };
        Audience?: string;
        SubjectFromWebIdentityToken?: string;
      }>(
        "sts:AssumeRoleWithWebIdentity",
        "sts:AssumeRoleWithWebIdentity",
        "sts",
        (l) =>
          new l.sts.AssumeRoleWithWebIdentityCommand({
            RoleArn: roleArn,
            RoleSessionName: opts.sessionName ?? "wi-doctor-check",
            WebIdentityToken: token,
            DurationSeconds: 900,
          }),
        opts,
        false,
      );
      return {
        ok: true,
        assumedRoleArn: out.AssumedRoleUser?.Arn ?? "",
        expiration: out.Credentials?.Expiration?.toISOString(),
        audience: out.Audience,
        subject: out.SubjectFromWebIdentityToken,
      };
    } catch (err) {
      // STS's own refusals are the answer we came for; anything else (network, timeout) is a failure to look.
      if (!isServiceError(err)) throw err;
      const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const httpStatus = e.$metadata?.httpStatusCode;
      if (httpStatus !== undefined && (httpStatus >= 500 || httpStatus === 429)) {
        throw toProviderError("sts:AssumeRoleWithWebIdentity", err, "sts:AssumeRoleWithWebIdentity");
      }
      return { ok: false, code: stsCode(e.name), message: e.message ?? String(err), httpStatus };
    }
  }
}

/** The SDK names STS errors after their shapes; people search for the wire codes the CLI prints. */
const STS_WIRE_CODES: Record<string, string> = {
  InvalidIdentityTokenException: "InvalidIdentityToken",
  IDPCommunicationErrorException: "IDPCommunicationError",
  IDPRejectedClaimException: "IDPRejectedClaim",
  MalformedPolicyDocumentException: "MalformedPolicyDocument",
  PackedPolicyTooLargeException: "PackedPolicyTooLarge",
};

function stsCode(name: string | undefined): string {
  return name ? (STS_WIRE_CODES[name] ?? name) : "Error";
}

/** An error the service answered with (it has an HTTP status), as opposed to a transport failure. */
function isServiceError(err: unknown): boolean {
  if (err instanceof ProviderError) return false;
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return typeof status === "number" && status > 0;
}
