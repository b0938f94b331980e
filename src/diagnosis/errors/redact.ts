// Secrets in pasted text (JWTs, client secrets, access tokens, AWS keys, SAS signatures) are replaced
// before anything is read from the text, so no output can echo them. Every detector resumes after the
// last value it replaced, which keeps the whole pass linear in the length of the text.
import { asciiLower } from "./normalize.js";

export const REDACTED = "[REDACTED]";

/** Characters that can appear in a secret value (base64, base64url, hex, JWT dots, URL escapes). */
function isValueChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || // 0-9
    (c >= 65 && c <= 90) || // A-Z
    (c >= 97 && c <= 122) || // a-z
    c === 43 || // +
    c === 45 || // -
    c === 46 || // .
    c === 47 || // /
    c === 61 || // =
    c === 95 || // _
    c === 37 || // %
    c === 126 // ~
  );
}

/** Keys whose value is secret. Matched case-insensitively, followed by separators then the value. */
const secretKeys = [
  "client_secret",
  "clientsecret",
  "client-secret",
  "azure_client_secret",
  "client_assertion",
  "access_token",
  "accesstoken",
  "refresh_token",
  "id_token",
  "webidentitytoken",
  "web_identity_token",
  "secretaccesskey",
  "secret_access_key",
  "aws_secret_access_key",
  "sessiontoken",
  "session_token",
  "aws_session_token",
  "x-amz-security-token",
  "x-amz-signature",
  "x-identity-header",
  "identity_header",
  "accountkey",
  "sharedaccesskey",
  "password",
  "sig",
  "bearer",
  "authorization",
];

interface Range {
  start: number;
  end: number;
}

function isKeyBoundary(lower: string, at: number): boolean {
  if (at === 0) return true;
  const c = lower.charCodeAt(at - 1);
  return !((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95);
}

/** key, then up to 6 separator characters (quotes, colon, equals, spaces, '>'), then the value. */
function keyedValues(lower: string, key: string, ranges: Range[]): void {
  let from = 0;
  for (;;) {
    const at = lower.indexOf(key, from);
    if (at === -1) return;
    from = at + key.length;
    if (!isKeyBoundary(lower, at)) continue;
    let p = from;
    let seps = 0;
    while (p < lower.length && seps < 6) {
      const c = lower.charCodeAt(p);
      // " ' : = space > \t
      if (c === 34 || c === 39 || c === 58 || c === 61 || c === 32 || c === 62 || c === 9) {
        p++;
        seps++;
      } else break;
    }
    if (seps === 0) continue;
    // "Authorization: Bearer x" and "Bearer x": skip the scheme word, the value follows.
    if (key === "authorization" && lower.startsWith("bearer ", p)) p += 7;
    const start = p;
    while (p < lower.length && isValueChar(lower.charCodeAt(p))) p++;
    // Short words after a key are prose ("password is wrong"), not secrets; "sig" must look like a signature.
    const minLength = key === "sig" ? 16 : key === "bearer" || key === "authorization" ? 12 : 6;
    if (p - start >= minLength) {
      ranges.push({ start, end: p });
      from = p;
    }
  }
}

/** eyJ... . ... . ...: a JWT (or JWS); redacted whole, wherever it appears. */
function jwts(text: string, ranges: Range[]): void {
  let from = 0;
  for (;;) {
    const at = text.indexOf("eyJ", from);
    if (at === -1) return;
    let p = at;
    let dots = 0;
    while (p < text.length) {
      const c = text.charCodeAt(p);
      if (c === 46) dots++;
      else if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95)) break;
      p++;
    }
    if (dots >= 1 && p - at >= 20) ranges.push({ start: at, end: p });
    from = Math.max(p, at + 3);
  }
}

/** Replace every secret value in the text with [REDACTED]. */
export function redactSecrets(text: string): string {
  const lower = asciiLower(text);
  const ranges: Range[] = [];
  jwts(text, ranges);
  for (const key of secretKeys) keyedValues(lower, key, ranges);
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: string[] = [];
  let cursor = 0;
  for (const r of ranges) {
    if (r.end <= cursor) continue;
    const start = Math.max(r.start, cursor);
    out.push(text.slice(cursor, start), REDACTED);
    cursor = r.end;
  }
  out.push(text.slice(cursor));
  return out.join("");
}

/** True when the string still contains something that looks like a secret (used as a last guard). */
export function looksSecret(value: string): boolean {
  return redactSecrets(value) !== value;
}
