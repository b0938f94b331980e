// What the simulated AWS services share: Signature Version 4 verification, XML envelopes, request ids.
import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { SIM_AWS_ACCESS_KEY_ID, SIM_AWS_SECRET_ACCESS_KEY } from "../constants.js";
import type { SimRequest, SimResponse, SimWorld } from "../world.js";

export function requestId(): string {
  return randomUUID();
}

export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** `<Name>value</Name>`, escaped; undefined values are left out. */
export function el(name: string, value: string | number | undefined): string {
  if (value === undefined) return "";
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

export function members(name: string, values: string[]): string {
  return values.length ? `<${name}>${values.map((v) => el("member", v)).join("")}</${name}>` : `<${name}/>`;
}

export function xmlResponse(status: number, body: string): SimResponse {
  return { status, headers: { "content-type": "text/xml", "x-amzn-requestid": requestId() }, body };
}

/** The Query-protocol success envelope: `<{Action}Response><{Action}Result>…</…><ResponseMetadata>`. */
export function querySuccess(action: string, namespace: string, result: string): SimResponse {
  const rid = requestId();
  return {
    status: 200,
    headers: { "content-type": "text/xml", "x-amzn-requestid": rid },
    body:
      `<${action}Response xmlns="${namespace}">` +
      `<${action}Result>${result}</${action}Result>` +
      `<ResponseMetadata><RequestId>${rid}</RequestId></ResponseMetadata>` +
      `</${action}Response>`,
  };
}

/** The Query-protocol error envelope IAM and STS use. */
export function queryError(
  status: number,
  namespace: string,
  code: string,
  message: string,
  type = "Sender",
): SimResponse {
  const rid = requestId();
  return {
    status,
    headers: { "content-type": "text/xml", "x-amzn-requestid": rid },
    body:
      `<ErrorResponse xmlns="${namespace}">` +
      `<Error><Type>${type}</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error>` +
      `<RequestId>${rid}</RequestId>` +
      `</ErrorResponse>`,
  };
}

/** REST-JSON errors (EKS): the type in x-amzn-ErrorType, the message in the body. */
export function jsonError(
  status: number,
  type: string,
  message: string,
  extra: Record<string, unknown> = {},
): SimResponse {
  return {
    status,
    headers: { "content-type": "application/json", "x-amzn-errortype": type, "x-amzn-requestid": requestId() },
    body: { message, ...extra },
  };
}

// --- Signature Version 4 ---------------------------------------------------------------------

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();

export function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export type SigV4Result =
  | { ok: true; accessKeyId: string; region: string; service: string }
  | {
      ok: false;
      code: "MissingAuthenticationToken" | "InvalidClientTokenId" | "SignatureDoesNotMatch" | "IncompleteSignature";
      message: string;
    };

/**
 * Verify a request signed with Signature Version 4 against the simulated static keys: the same
 * canonical request the SDK's signer builds (double-encoded path, sorted query, signed headers).
 */
export function verifySigV4(req: SimRequest): SigV4Result {
  const auth = req.headers.authorization;
  if (typeof auth !== "string" || !auth.startsWith("AWS4-HMAC-SHA256 ")) {
    return { ok: false, code: "MissingAuthenticationToken", message: "Request is missing Authentication Token" };
  }
  const fields = Object.fromEntries(
    auth
      .slice("AWS4-HMAC-SHA256 ".length)
      .split(/,\s*/)
      .map((p) => {
        const i = p.indexOf("=");
        return [p.slice(0, i).trim(), p.slice(i + 1).trim()];
      }),
  );
  const credential = fields.Credential?.split("/") ?? [];
  const signedHeaders = fields.SignedHeaders?.split(";") ?? [];
  const signature = fields.Signature ?? "";
  if (credential.length !== 5 || signedHeaders.length === 0 || !signature) {
    return {
      ok: false,
      code: "IncompleteSignature",
      message: "Authorization header requires Credential, SignedHeaders and Signature.",
    };
  }
  const [accessKeyId, date, region, service, terminator] = credential;
  if (accessKeyId !== SIM_AWS_ACCESS_KEY_ID) {
    return {
      ok: false,
      code: "InvalidClientTokenId",
      message: "The security token included in the request is invalid.",
    };
  }
  const amzDate = req.headers["x-amz-date"];
  if (typeof amzDate !== "string" || !amzDate.startsWith(date) || terminator !== "aws4_request") {
    return {
      ok: false,
      code: "IncompleteSignature",
      message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.",
    };
  }
  const canonicalUri = escapeUri(req.url.pathname).replace(/%2F/g, "/");
  const query = [...req.url.searchParams.entries()]
    .filter(([k]) => k !== "X-Amz-Signature")
    .map(([k, v]) => [escapeUri(k), escapeUri(v)] as const)
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const headerLines = signedHeaders.map((name) => {
    const raw = name === "host" ? (req.headers.host ?? req.host) : req.headers[name];
    const value = Array.isArray(raw) ? raw.join(",") : (raw ?? "");
    return `${name}:${String(value).trim().replace(/\s+/g, " ")}\n`;
  });
  const payloadHash = (req.headers["x-amz-content-sha256"] as string | undefined) ?? sha256(req.body);
  const canonicalRequest = [
    req.method,
    canonicalUri,
    query,
    headerLines.join(""),
    signedHeaders.join(";"),
    payloadHash,
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const kDate = hmac(`AWS4${SIM_AWS_SECRET_ACCESS_KEY}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  const kSigning = hmac(kService, "aws4_request");
  const expected = createHmac("sha256", kSigning).update(stringToSign).digest("hex");
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    return {
      ok: false,
      code: "SignatureDoesNotMatch",
      message:
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    };
  }
  return { ok: true, accessKeyId, region, service };
}

/** The scenario's AWS account (and whether the operator has a credential at all). */
export function awsOf(world: SimWorld) {
  return world.scenario.aws;
}

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** IAM keeps an OIDC provider's URL without the scheme. */
export function simProviderUrl(url: string): string {
  return url.replace(/^https:\/\//i, "").replace(/\/+$/, "");
}

export function simProviderArn(world: SimWorld, url: string): string {
  const aws = world.scenario.aws!;
  return `arn:${partitionOf(aws.region)}:iam::${aws.accountId}:oidc-provider/${simProviderUrl(url)}`;
}

export function simRoleArn(world: SimWorld, role: { roleName: string; path: string; accountId?: string }): string {
  const aws = world.scenario.aws!;
  return `arn:${partitionOf(aws.region)}:iam::${role.accountId ?? aws.accountId}:role${role.path}${role.roleName}`;
}

/** A stable fake id (AROA…, ASIA…) derived from a name, so repeated runs agree. */
export function fakeId(prefix: string, seed: string, length = 17): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const h = createHash("sha256").update(seed).digest();
  let out = prefix;
  for (let i = 0; out.length < prefix.length + length; i++) out += alphabet[h[i % h.length] % alphabet.length];
  return out;
}
