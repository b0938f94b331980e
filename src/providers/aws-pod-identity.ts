// EKS Pod Identity calls the other AWS clients do not cover: EKS Auth AssumeRoleForPodIdentity (what the node's
// agent calls with a pod's token), signed with Signature Version 4 by the same credentials and sent through the same
// handler as every other AWS call; and a role's inline permission policies. Only outcomes leave this module,
// never the credentials EKS Auth hands out.
import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import type { PodIdentityExchange } from "../model/aws.js";
import type { PolicyDocument } from "../model/iam-policy.js";
import type { AwsProvider } from "./aws.js";
import { decodeTrustPolicy } from "./aws-policy.js";
import { ProviderError, withTimeout } from "./errors.js";

export type PodIdentityExchangeResult = PodIdentityExchange;

/** The Checksum the signer asks for, from node:crypto (SHA-256, or HMAC-SHA-256 with a secret). */
export class Sha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret
      ? createHmac("sha256", typeof secret === "string" ? secret : Buffer.from(secret as ArrayBuffer))
      : createHash("sha256");
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(typeof data === "string" ? data : Buffer.from(data as ArrayBuffer));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
}

/** EKS Auth is served on the dual-stack endpoints only (eks-auth.REGION.api.aws). */
export function eksAuthHost(region: string): string {
  return region.startsWith("cn-") ? `eks-auth.${region}.api.amazonwebservices.com.cn` : `eks-auth.${region}.api.aws`;
}

async function readBody(body: unknown): Promise<string> {
  if (!body) return "";
  if (typeof body === "string") return body;
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString("utf8");
}

function errorCode(headers: Record<string, string | undefined>, body: Record<string, unknown>): string {
  const raw = headers["x-amzn-errortype"] ?? (body.__type as string | undefined) ?? (body.code as string | undefined);
  return raw ? raw.split(":")[0].split("#").pop()! : "UnknownError";
}

/** EKS Auth's AssumeRoleForPodIdentity request for a cluster, SigV4-signed with the given credentials. */
export function signedEksAuthRequest(
  credentials: ConstructorParameters<typeof SignatureV4>[0]["credentials"],
  region: string,
  clusterName: string,
  token: string,
) {
  const hostname = eksAuthHost(region);
  return new SignatureV4({ credentials, region, service: "eks-auth", sha256: Sha256 }).sign({
    method: "POST",
    protocol: "https:",
    hostname,
    path: `/clusters/${encodeURIComponent(clusterName)}/assume-role-for-pod-identity`,
    query: {},
    headers: { host: hostname, "content-type": "application/json" },
    body: JSON.stringify({ token }),
  });
}

/**
 * AssumeRoleForPodIdentity with a service-account token, as the agent would. EKS Auth's refusals (4xx) are the
 * answer; throttling, server errors and transport failures are failures to look (ProviderError).
 */
export async function assumeRoleForPodIdentity(
  aws: AwsProvider,
  timeoutMs: number,
  clusterName: string,
  token: string,
  signal?: AbortSignal,
): Promise<PodIdentityExchangeResult> {
  const what = "eks-auth:AssumeRoleForPodIdentity";
  return withTimeout(what, timeoutMs, signal, async (abortSignal) => {
    const clients = await aws.clients();
    const region = aws.region ?? (await clients.eks.config.region());
    let credentials: Awaited<ReturnType<typeof clients.sts.config.credentials>>;
    try {
      credentials = await clients.sts.config.credentials();
    } catch (err) {
      throw err instanceof ProviderError
        ? err
        : new ProviderError("no-credential", `${what}: no AWS credential (${(err as Error).message})`);
    }
    const signed = await signedEksAuthRequest(credentials, region, clusterName, token);
    let status: number;
    let headers: Record<string, string | undefined>;
    let text: string;
    try {
      const { response } = await clients.sts.config.requestHandler.handle(signed as never, { abortSignal });
      status = response.statusCode;
      headers = response.headers as Record<string, string | undefined>;
      text = await readBody(response.body);
    } catch (err) {
      if (abortSignal.aborted) throw new ProviderError("timeout", `${what}: no answer within ${timeoutMs} ms`);
      throw new ProviderError("unavailable", `${what}: ${(err as Error).message}`);
    }
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      throw new ProviderError("invalid-response", `${what}: could not read the answer (HTTP ${status})`, status);
    }
    if (status === 429 || status >= 500) {
      throw new ProviderError(
        "unavailable",
        `${what}: service unavailable (${status} ${errorCode(headers, body)})`,
        status,
      );
    }
    if (status !== 200) {
      const message = String(body.message ?? body.Message ?? "");
      return { ok: false, code: errorCode(headers, body), message, httpStatus: status };
    }
    const user = body.assumedRoleUser as { arn?: string } | undefined;
    const creds = body.credentials as { expiration?: number | string } | undefined;
    const exp = creds?.expiration;
    return {
      ok: true,
      assumedRoleArn: user?.arn ?? "",
      audience: body.audience as string | undefined,
      subject: body.subject as { namespace?: string; serviceAccount?: string } | undefined,
      associationId: (body.podIdentityAssociation as { associationId?: string } | undefined)?.associationId,
      expiration:
        typeof exp === "number" ? new Date(exp * 1000).toISOString() : typeof exp === "string" ? exp : undefined,
    };
  });
}

/** A role's inline permission policies, by name (ListRolePolicies, then GetRolePolicy each). */
export async function roleInlinePolicies(
  aws: AwsProvider,
  roleName: string,
  signal?: AbortSignal,
): Promise<Record<string, PolicyDocument>> {
  const list = await aws.call<{ PolicyNames?: string[] }>(
    `iam:ListRolePolicies ${roleName}`,
    "iam:ListRolePolicies",
    "iam",
    (l) => new l.iam.ListRolePoliciesCommand({ RoleName: roleName }),
    { signal },
  );
  const names = list.PolicyNames ?? [];
  const docs = await Promise.all(
    names.map((name) =>
      aws.call<{ PolicyDocument?: string }>(
        `iam:GetRolePolicy ${roleName} ${name}`,
        "iam:GetRolePolicy",
        "iam",
        (l) => new l.iam.GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }),
        { signal },
      ),
    ),
  );
  const out: Record<string, PolicyDocument> = {};
  names.forEach((name, i) => {
    const { policy } = decodeTrustPolicy(docs[i].PolicyDocument);
    if (policy) out[name] = policy;
  });
  return out;
}
