// Read codes and named values out of (already unescaped and redacted) error text. Every reader finds
// an anchor with indexOf and then reads a bounded number of characters, so the work is linear in the
// text length; there is no regular expression with nested quantifiers.
import type { Extracted } from "./taxonomy.js";
import { serviceCodes } from "./codes.js";

/** Longest value we copy out of the text (URLs, subjects, paths). */
const MAX_VALUE = 512;

/** The text twice: as written (values are copied from here) and ASCII-lower-cased (anchors are found here). */
export interface Scan {
  text: string;
  lower: string;
  /** Characters examined by anchor searches: the measure of work for the linear-time property test. */
  work: number;
  /** First occurrence of each needle searched from the start: many rows share anchors. */
  first: Map<string, number>;
}

export function newScan(text: string, lower: string): Scan {
  return { text, lower, work: 0, first: new Map() };
}

/** indexOf on the lower-case text, counting the characters it may examine. */
export function find(scan: Scan, needle: string, from = 0): number {
  if (from === 0) {
    const known = scan.first.get(needle);
    if (known !== undefined) return known;
  }
  const at = scan.lower.indexOf(needle, from);
  if (from === 0) scan.first.set(needle, at);
  scan.work += (at === -1 ? scan.lower.length : at + needle.length) - from;
  return at;
}

/** lastIndexOf on the lower-case text (memoised), counting the characters it may examine. */
export function findLast(scan: Scan, needle: string): number {
  const key = `\u0000last:${needle}`;
  const known = scan.first.get(key);
  if (known !== undefined) return known;
  const at = scan.lower.lastIndexOf(needle);
  scan.first.set(key, at);
  scan.work += at === -1 ? scan.lower.length : scan.lower.length - at;
  return at;
}

export function has(scan: Scan, needle: string): boolean {
  return find(scan, needle) !== -1;
}

function isGuidChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** A GUID (8-4-4-4-12 hex) starting exactly at `at`. */
export function guidAt(text: string, at: number): string | undefined {
  if (at < 0 || at + 36 > text.length) return undefined;
  for (let k = 0; k < 36; k++) {
    const c = text.charCodeAt(at + k);
    if (k === 8 || k === 13 || k === 18 || k === 23) {
      if (c !== 45) return undefined;
    } else if (!isGuidChar(c)) return undefined;
  }
  const after = text.charCodeAt(at + 36);
  if (isGuidChar(after) || after === 45) return undefined;
  return text.slice(at, at + 36).toLowerCase();
}

/** Skip up to `max` characters of quotes, colons, equals signs and spaces. */
function skipSeparators(text: string, at: number, max = 6): number {
  let p = at;
  while (p < text.length && p - at < max) {
    const c = text[p];
    if (c === " " || c === ":" || c === "=" || c === "'" || c === '"' || c === "\t" || c === "(") p++;
    else break;
  }
  return p;
}

/** A GUID right after the anchor (after separators). */
function guidAfter(scan: Scan, anchor: string): string | undefined {
  let from = 0;
  for (let tries = 0; tries < 64; tries++) {
    const at = find(scan, anchor, from);
    if (at === -1) return undefined;
    const g = guidAt(scan.text, skipSeparators(scan.text, at + anchor.length));
    if (g) return g;
    from = at + anchor.length;
  }
  return undefined;
}

const STOP = new Set([" ", "'", '"', "\t", "\n", "\r", ",", ";", ")", "]", "}", "<", ">", "`"]);

/** The token after the anchor: up to the closing quote if the anchor ends in one, else to a stop character. */
function valueAfter(scan: Scan, anchor: string, opts: { quote?: string; stopAt?: string } = {}): string | undefined {
  const at = find(scan, anchor);
  if (at === -1) return undefined;
  const start = opts.quote ? at + anchor.length : skipSeparators(scan.text, at + anchor.length);
  let p = start;
  const text = scan.text;
  while (p < text.length && p - start < MAX_VALUE) {
    const c = text[p];
    if (opts.quote ? c === opts.quote : STOP.has(c) || c === opts.stopAt) break;
    p++;
  }
  // A truncated text may lose the closing quote: then stop at the first space.
  let value = text.slice(start, p);
  if (opts.quote && (p >= text.length || p - start >= MAX_VALUE)) value = value.split(" ")[0];
  value = value.trim();
  return value.length ? value : undefined;
}

export const AADSTS_PREFIX = "aadsts";

/** AADSTS codes (the number must be whole: 70021 is not 700211). */
function aadstsCodes(scan: Scan, out: Set<string>): void {
  let from = 0;
  for (;;) {
    const at = find(scan, AADSTS_PREFIX, from);
    if (at === -1) return;
    let p = at + AADSTS_PREFIX.length;
    const start = p;
    while (p < scan.text.length && p - start < 9) {
      const c = scan.text.charCodeAt(p);
      if (c < 48 || c > 57) break;
      p++;
    }
    const digits = scan.text.slice(start, p);
    if (digits.length >= 4 && digits.length <= 8) out.add(`AADSTS${digits}`);
    from = Math.max(p, at + 1);
  }
}

/** "error_codes":[70021] without the AADSTS prefix. */
function errorCodeArray(scan: Scan, out: Set<string>): void {
  const at = find(scan, '"error_codes"');
  if (at === -1) return;
  const open = scan.text.indexOf("[", at);
  if (open === -1 || open - at > 20) return;
  const close = scan.text.indexOf("]", open);
  if (close === -1 || close - open > 80) return;
  for (const part of scan.text.slice(open + 1, close).split(",")) {
    const digits = part.trim();
    if (/^\d{4,8}$/.test(digits)) out.add(`AADSTS${digits}`);
  }
}

/** Service error codes and SDK error names we recognise, as they are spelled. */
export const namedCodes = [
  // AWS STS / IAM / EKS Auth
  "InvalidIdentityToken",
  "InvalidIdentityTokenException",
  "IDPCommunicationError",
  "IDPRejectedClaim",
  "ExpiredTokenException",
  "ExpiredToken",
  "AccessDenied",
  "AccessDeniedException",
  "WebIdentityErr",
  "NoCredentialProviders",
  "CredentialsEndpointError",
  "InvalidParameterException",
  "CredentialsProviderError",
  // Azure Resource Manager and data planes
  "LinkedAuthorizationFailed",
  "AuthorizationFailed",
  "ForbiddenByFirewall",
  "ForbiddenByRbac",
  "ForbiddenByPolicy",
  "AuthorizationPermissionMismatch",
  "ForbiddenByConnection",
  // Entra OAuth error codes
  "invalid_client",
  "unauthorized_client",
  "invalid_request",
  "invalid_scope",
  "invalid_resource",
  "invalid_grant",
  // Azure SDK error and credential names
  "CredentialUnavailableError",
  "CredentialUnavailableException",
  "AuthenticationFailedError",
  "AuthenticationFailedException",
  "AuthenticationRequiredError",
  "ClientAuthenticationError",
  "AggregateAuthenticationError",
  "MsalServiceException",
  "AzureServiceTokenProviderException",
  "DefaultAzureCredential",
  "WorkloadIdentityCredential",
  "ManagedIdentityCredential",
  "ClientAssertionCredential",
  "ClientSecretCredential",
  "EnvironmentCredential",
];

const namedLower = [
  ...new Set([...namedCodes, ...serviceCodes.map((c) => c.code).filter((c) => !c.startsWith("AADSTS"))]),
].map((c) => [c, c.toLowerCase()] as const);

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function named(scan: Scan, out: Set<string>): void {
  for (const [name, lower] of namedLower) {
    let from = 0;
    for (;;) {
      const at = find(scan, lower, from);
      if (at === -1) break;
      const before = at === 0 ? 32 : scan.lower.charCodeAt(at - 1);
      const after = scan.lower.charCodeAt(at + lower.length);
      // Case matters for these identifiers except the OAuth ones, which are lower case anyway.
      if (!isWordChar(before) && !isWordChar(after) && scan.text.slice(at, at + lower.length) === name) {
        out.add(name);
        break;
      }
      from = at + lower.length;
    }
  }
}

/** HTTP status codes in the phrasings SDKs and services use. */
const statusAnchors = [
  "status code was ",
  "status code: ",
  "status code = '",
  "statuscode=",
  "statuscode: ",
  "status=",
  "status: ",
  "response ",
  "http/1.1 ",
  "status (",
  "(status code ",
  "status code ",
  "returned an error: (",
];

function httpStatuses(scan: Scan, out: Set<string>): void {
  for (const anchor of statusAnchors) {
    let from = 0;
    for (let n = 0; n < 32; n++) {
      const at = find(scan, anchor, from);
      if (at === -1) break;
      const p = at + anchor.length;
      const digits = scan.text.slice(p, p + 3);
      const after = scan.text.charCodeAt(p + 3);
      if (/^[1-5]\d\d$/.test(digits) && !(after >= 48 && after <= 57)) {
        const status = Number(digits);
        if (status >= 400) out.add(`HTTP ${status}`);
      }
      from = p;
    }
  }
}

export function extractCodes(scan: Scan): string[] {
  const out = new Set<string>();
  aadstsCodes(scan, out);
  errorCodeArray(scan, out);
  named(scan, out);
  httpStatuses(scan, out);
  return [...out];
}

/** system:serviceaccount:<namespace>:<name> → namespace and name. */
export function parseSubject(subject: string): { namespace: string; serviceAccount: string } | undefined {
  const prefix = "system:serviceaccount:";
  if (!subject.toLowerCase().startsWith(prefix)) return undefined;
  const rest = subject.slice(prefix.length).split(":");
  if (rest.length !== 2 || !rest[0] || !rest[1]) return undefined;
  return { namespace: rest[0], serviceAccount: rest[1] };
}

function firstSubjectInText(scan: Scan): string | undefined {
  const at = find(scan, "system:serviceaccount:");
  if (at === -1) return undefined;
  let p = at;
  const text = scan.text;
  while (p < text.length && p - at < MAX_VALUE) {
    const c = text.charCodeAt(p);
    if (!(isWordChar(c) || c === 58 || c === 45 || c === 46)) break;
    p++;
  }
  return text.slice(at, p);
}

function roleArn(scan: Scan): string | undefined {
  let from = 0;
  for (let tries = 0; tries < 64; tries++) {
    const at = find(scan, "arn:aws", from);
    if (at === -1) return undefined;
    from = at + 7;
    const m = /^arn:aws[a-z-]{0,12}:(iam|sts)::(\d{12}):(role|assumed-role)\/([\w+=,.@/-]{1,256})/.exec(
      scan.text.slice(at, at + 320),
    );
    if (!m) continue;
    const [, service, account, kind, path] = m;
    if (service === "iam" && kind === "role") return `arn:aws:iam::${account}:role/${path}`;
    // assumed-role/<role>/<session>: the role is the first segment.
    if (service === "sts" && kind === "assumed-role") return `arn:aws:iam::${account}:role/${path.split("/")[0]}`;
  }
  return undefined;
}

function eksIssuer(scan: Scan): string | undefined {
  const at = find(scan, "oidc.eks.");
  if (at === -1) return undefined;
  const m = /^oidc\.eks\.[a-z0-9-]{1,30}\.amazonaws\.com(\.cn)?\/id\/[A-Za-z0-9*]{1,64}/.exec(
    scan.text.slice(at, at + 140),
  );
  return m ? `https://${m[0]}` : undefined;
}

function tokenFile(scan: Scan): string | undefined {
  const env = valueAfter(scan, "azure_federated_token_file=") ?? valueAfter(scan, "aws_web_identity_token_file=");
  if (env?.startsWith("/")) return env;
  for (const anchor of ["/var/run/secrets/", "/run/secrets/"]) {
    const at = find(scan, anchor);
    if (at === -1) continue;
    let p = at;
    const text = scan.text;
    while (p < text.length && p - at < MAX_VALUE) {
      const c = text.charCodeAt(p);
      if (!(isWordChar(c) || c === 47 || c === 45 || c === 46)) break;
      p++;
    }
    const path = text.slice(at, p).replace(/[.]+$/, "");
    // The default service-account mount is not a federated token.
    if (path.includes("kubernetes.io/serviceaccount")) continue;
    return path;
  }
  return undefined;
}

function vault(scan: Scan): string | undefined {
  const at = find(scan, ".vault.azure.net");
  if (at !== -1) {
    let p = at;
    while (p > 0 && at - p < 24) {
      const c = scan.lower.charCodeAt(p - 1);
      if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) break;
      p--;
    }
    if (at > p) return scan.text.slice(p, at);
  }
  // Key Vault's own messages end with "Vault: <name>;location=<region>"; elsewhere "vault: " is prose
  // ("failed to get vault: failed to …").
  const named = vaultInDiagnostics(scan);
  if (named) return named;
  const v = valueAfter(scan, "vaults/", { stopAt: "/" });
  if (v && /^[A-Za-z0-9-]{3,24}$/.test(v)) return v;
  return undefined;
}

function vaultInDiagnostics(scan: Scan): string | undefined {
  let from = 0;
  for (let tries = 0; tries < 16; tries++) {
    const at = find(scan, "vault: ", from);
    if (at === -1) return undefined;
    const start = at + 7;
    const m = /^([A-Za-z0-9-]{3,24});/.exec(scan.text.slice(start, start + 26));
    if (m) return m[1];
    from = start;
  }
  return undefined;
}

function tenantFromUrl(scan: Scan): string | undefined {
  for (const host of [
    "login.microsoftonline.com/",
    "login.microsoftonline.us/",
    "login.chinacloudapi.cn/",
    "sts.windows.net/",
  ]) {
    const at = find(scan, host);
    if (at === -1) continue;
    const g = guidAt(scan.text, at + host.length);
    if (g) return g;
  }
  return undefined;
}

function tenantFromIssuer(issuer: string | undefined): string | undefined {
  if (!issuer) return undefined;
  const m = /oic\.prod-aks\.azure\.com\/([0-9a-fA-F-]{36})\//.exec(issuer);
  return m ? m[1].toLowerCase() : undefined;
}

function timestamp(scan: Scan): string | undefined {
  for (const anchor of ["timestamp: ", '"timestamp":"', "timestamp=", "timestamp:"]) {
    const at = find(scan, anchor);
    if (at === -1) continue;
    const start = at + anchor.length;
    const m = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d{1,9})?Z?/.exec(scan.text.slice(start, start + 40));
    if (m) return m[0];
  }
  return undefined;
}

/** The provider URL STS named, unless it was masked or cut short ("…/id/<REDACTED>"). */
function providerUrl(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const lower = v.toLowerCase();
  if (!(lower.startsWith("https://") || lower.startsWith("oidc."))) return undefined;
  if (lower.endsWith("/id/") || lower.endsWith("/id")) return undefined;
  return v;
}

function stripQuotes(v: string | undefined): string | undefined {
  return v?.replace(/^['"]+|['".]+$/g, "") || undefined;
}

export function extractFields(scan: Scan): Extracted {
  const x: Extracted = {};
  // The 70021 family, old format ("Assertion Issuer: '…'") and new ("presented assertion issuer '…'").
  x.issuer =
    valueAfter(scan, "assertion issuer: '", { quote: "'" }) ??
    valueAfter(scan, "presented assertion issuer '", { quote: "'" }) ??
    stripQuotes(valueAfter(scan, "metadata of identity provider "));
  x.subject =
    valueAfter(scan, "assertion subject: '", { quote: "'" }) ??
    valueAfter(scan, "presented assertion subject '", { quote: "'" }) ??
    firstSubjectInText(scan);
  x.audience =
    valueAfter(scan, "assertion audience: '", { quote: "'" }) ??
    valueAfter(scan, "presented assertion audience '", { quote: "'" });
  const sa = x.subject ? parseSubject(x.subject) : undefined;
  if (sa) {
    x.namespace = sa.namespace;
    x.serviceAccount = sa.serviceAccount;
  }
  x.providerUrl =
    providerUrl(stripQuotes(valueAfter(scan, "no openidconnect provider found in your account for "))) ??
    eksIssuer(scan);
  x.roleArn = roleArn(scan);
  x.tenantId =
    tenantFromUrl(scan) ??
    guidAfter(scan, "azure_tenant_id") ??
    guidAfter(scan, "tenant identifier") ??
    guidAfter(scan, "tenant") ??
    guidAfter(scan, "in the directory") ??
    tenantFromIssuer(x.issuer);
  x.clientId =
    guidAfter(scan, "client_id") ??
    guidAfter(scan, "azure_client_id") ??
    guidAfter(scan, "clientid") ??
    guidAfter(scan, "client-id") ??
    guidAfter(scan, "client id") ??
    guidAfter(scan, "application with identifier") ??
    guidAfter(scan, "app '") ??
    guidAfter(scan, "appid=") ??
    guidAfter(scan, "the client '");
  x.vault = vault(scan);
  x.traceId = guidAfter(scan, "trace id") ?? guidAfter(scan, '"trace_id"');
  x.correlationId = guidAfter(scan, "correlation id") ?? guidAfter(scan, '"correlation_id"');
  x.timestamp = timestamp(scan);
  x.tokenFile = tokenFile(scan);
  for (const k of Object.keys(x) as (keyof Extracted)[]) if (x[k] === undefined) delete x[k];
  return x;
}
