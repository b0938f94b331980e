import { editDistance, parseArn, parseEksIssuer, providerUrlFromArn, providerUrlOf } from "./arn.js";
import {
  type MistakeKind,
  type PolicyDocument,
  type TrustMistake,
  type WebIdentityClaims,
  asList,
  statementsOf,
  WEB_IDENTITY_ACTION,
  actionCovered,
  principalValues,
} from "./trust-engine.js";

export function classifyProvider(trusted: string, expected: string): { kind: MistakeKind; detail: string } | undefined {
  if (trusted === expected) return undefined;
  const t = parseArn(trusted);
  const e = parseArn(expected);
  const tu = providerUrlFromArn(trusted);
  const eu = providerUrlFromArn(expected);
  if (!t || !e || !tu || !eu) {
    if (trusted.startsWith("https://") || trusted.startsWith("oidc.")) {
      return {
        kind: "provider-url-typo",
        detail: "the Federated principal is a URL; it must be the OIDC provider's ARN",
      };
    }
    return { kind: "provider-url-typo", detail: "the Federated principal is not an OIDC provider ARN" };
  }
  if (tu === eu && t.account !== e.account) {
    return {
      kind: "provider-other-account",
      detail: `the provider ARN names account ${t.account}; the cluster's provider lives in account ${e.account}`,
    };
  }
  const ti = parseEksIssuer(tu);
  const ei = parseEksIssuer(eu);
  if (ti && ei) {
    if (ti.id === ei.id && ti.region !== ei.region) {
      return {
        kind: "provider-region-mismatch",
        detail: `the provider URL names region ${ti.region}, the cluster is in ${ei.region}`,
      };
    }
    if (ti.id !== ei.id && ti.id.toUpperCase() === ei.id.toUpperCase()) {
      return {
        kind: "provider-url-typo",
        detail: "the provider id differs only in letter case; IAM compares it exactly",
      };
    }
    if (ti.id !== ei.id && editDistance(ti.id, ei.id) > 3) {
      return {
        kind: "provider-other-cluster",
        detail: `the provider id ${ti.id} is another cluster's issuer; this cluster's is ${ei.id}`,
      };
    }
  }
  if (t.account !== e.account) {
    return { kind: "provider-other-account", detail: `the provider ARN names account ${t.account}, not ${e.account}` };
  }
  return { kind: "provider-url-typo", detail: `the provider URL "${tu}" differs from "${eu}"` };
}

export function irsaMistakes(
  doc: PolicyDocument | undefined,
  providerArn: string,
  claims: WebIdentityClaims,
): TrustMistake[] {
  const out: TrustMistake[] = [];
  const url = providerUrlOf(claims.iss);
  const statements = statementsOf(doc);
  let anyWebIdentityAction = false;
  statements.forEach((st, i) => {
    if (st.Effect === "Deny") return;
    const federated = principalValues(st.Principal, "Federated");
    const isFederated = federated !== "*" && federated.length > 0;
    if (isFederated && !federated.includes(providerArn)) {
      const c = federated.map((f) => classifyProvider(f, providerArn)).find((x) => x !== undefined);
      if (c)
        out.push({
          kind: c.kind,
          statementIndex: i,
          detail: c.detail,
          expected: providerArn,
          actual: federated.join(", "),
        });
    }
    if (isFederated && actionCovered(st, WEB_IDENTITY_ACTION)) anyWebIdentityAction = true;
    if (isFederated && !actionCovered(st, WEB_IDENTITY_ACTION)) {
      out.push({
        kind: "action-missing",
        statementIndex: i,
        detail: `the statement allows ${asList(st.Action ?? st.NotAction).join(", ") || "no action"}, not ${WEB_IDENTITY_ACTION}`,
        expected: WEB_IDENTITY_ACTION,
        actual: asList(st.Action).join(", "),
      });
    }
    let hasSub = false;
    for (const block of Object.values(st.Condition ?? {})) {
      for (const [key, raw] of Object.entries(block ?? {})) {
        const values = asList(raw);
        const suffix = /:(sub|aud|amr)$/i.exec(key)?.[1]?.toLowerCase();
        if (!suffix) continue;
        if (suffix === "sub") hasSub = true;
        const prefix = key.slice(0, key.length - suffix.length - 1);
        if (prefix.startsWith("arn:")) {
          out.push({
            kind: "condition-key-is-arn",
            statementIndex: i,
            detail: `the condition key is the provider ARN; it must be the provider URL ("${url}:${suffix}")`,
            expected: `${url}:${suffix}`,
            actual: key,
          });
        } else if (/^https?:\/\//i.test(prefix)) {
          out.push({
            kind: "condition-key-has-scheme",
            statementIndex: i,
            detail: `the condition key starts with a scheme; IAM keys use the URL without "https://" ("${url}:${suffix}")`,
            expected: `${url}:${suffix}`,
            actual: key,
          });
        } else if (prefix.toLowerCase() !== url.toLowerCase()) {
          const c = classifyProvider(
            `arn:aws:iam::000000000000:oidc-provider/${prefix}`,
            `arn:aws:iam::000000000000:oidc-provider/${url}`,
          );
          out.push({
            kind: "condition-key-other-provider",
            statementIndex: i,
            detail: `the condition key names provider "${prefix}", not this cluster's "${url}"${c ? ` (${c.detail})` : ""}`,
            expected: `${url}:${suffix}`,
            actual: key,
          });
        }
        if (suffix === "sub" && values.length && values.every((v) => !v.startsWith("system:serviceaccount:"))) {
          if (values.includes(claims.aud) || values.includes("sts.amazonaws.com")) {
            out.push({
              kind: "sub-aud-swapped",
              statementIndex: i,
              detail: `the :sub condition holds an audience (${values.join(", ")}); the :aud condition probably holds the subject`,
              expected: claims.sub,
              actual: values.join(", "),
            });
          }
        }
        if (suffix === "aud" && values.some((v) => v.startsWith("system:serviceaccount:"))) {
          if (!out.some((m) => m.kind === "sub-aud-swapped" && m.statementIndex === i)) {
            out.push({
              kind: "sub-aud-swapped",
              statementIndex: i,
              detail: `the :aud condition holds a subject (${values.join(", ")}); it should be "${claims.aud}"`,
              expected: claims.aud,
              actual: values.join(", "),
            });
          }
        }
      }
    }
    if (isFederated && actionCovered(st, WEB_IDENTITY_ACTION) && !hasSub) {
      out.push({
        kind: "subject-condition-missing",
        statementIndex: i,
        detail: "no :sub condition: every service account in the cluster can assume this role",
      });
    }
  });
  if (statements.length && !anyWebIdentityAction && !out.some((m) => m.kind === "action-missing")) {
    out.push({
      kind: "action-missing",
      statementIndex: -1,
      detail: `no Allow statement for a Federated principal allows ${WEB_IDENTITY_ACTION}`,
      expected: WEB_IDENTITY_ACTION,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// EKS Pod Identity: the EKS Auth service assumes the role with sts:AssumeRole + sts:TagSession
