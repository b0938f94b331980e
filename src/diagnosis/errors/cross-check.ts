// Compare what the error text says Entra saw (issuer, subject, audience, client ID) with what the
// cluster and the cloud actually hold, and say which field is wrong and what it should be. Pure.
import type { CrossCheckReport, ExplainResult } from "./explain.js";
import { parseSubject } from "./extract.js";
import { azureExchangeAudiences, classInfo, type ErrorClass } from "./taxonomy.js";

export interface CrossCheckFacts {
  /** The issuer URL of the cluster we are connected to. */
  clusterIssuer?: string;
  /** Other clusters' issuers we could read (to recognise "the token came from another cluster"). */
  otherClusterIssuers?: { name: string; issuer: string }[];
  namespaces?: string[];
  serviceAccounts?: { namespace: string; name: string; clientId?: string }[];
  /** Federated credentials of the identity the text names (by client ID). */
  federatedCredentials?: { name: string; issuer: string; subject: string; audiences: string[] }[];
  /** What could not be read, and why. */
  skipped?: string[];
}

type Finding = CrossCheckReport["findings"][number];

/** Levenshtein distance, bounded: names are short. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length > 253 || b.length > 253) return Math.abs(a.length - b.length) + 253;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

function nearest(value: string, candidates: string[]): { value: string; distance: number } | undefined {
  let best: { value: string; distance: number } | undefined;
  for (const c of candidates) {
    const d =
      editDistance(value.toLowerCase(), c.toLowerCase()) +
      (c === value ? 0 : c.toLowerCase() === value.toLowerCase() ? 0.5 : 0);
    if (!best || d < best.distance) best = { value: c, distance: d };
  }
  return best;
}

const stripSlash = (s: string) => s.replace(/\/+$/, "");

/** How two issuer URLs differ: equal, only a trailing slash, only case, or different. */
export function compareIssuers(presented: string, expected: string): "equal" | "trailing-slash" | "case" | "different" {
  if (presented === expected) return "equal";
  if (stripSlash(presented) === stripSlash(expected)) return "trailing-slash";
  if (
    presented.toLowerCase() === expected.toLowerCase() ||
    stripSlash(presented).toLowerCase() === stripSlash(expected).toLowerCase()
  )
    return "case";
  return "different";
}

function describeIssuerDiff(kind: ReturnType<typeof compareIssuers>): string {
  return kind === "trailing-slash"
    ? "differs only by the trailing slash; Entra compares issuers exactly"
    : kind === "case"
      ? "differs only in letter case; Entra compares issuers exactly"
      : "is a different issuer";
}

/** What the comparison accumulates: findings, what could not be compared, and the class the facts confirm. */
interface Comparison {
  findings: Finding[];
  skipped: string[];
  confirm: (c: ErrorClass) => void;
}

type Extracted = Pick<ExplainResult, "extracted">["extracted"];
type Subject = { namespace: string; serviceAccount: string } | undefined;

/** The comparison itself: findings, and the class the facts settle on (if they do). */
export function crossCheck(result: Pick<ExplainResult, "extracted">, facts: CrossCheckFacts): CrossCheckReport {
  const x = result.extracted;
  const findings: Finding[] = [];
  const skipped = [...(facts.skipped ?? [])];
  let confirmed: ErrorClass | undefined;
  const cmp: Comparison = {
    findings,
    skipped,
    confirm: (c) => {
      confirmed ??= c;
    },
  };
  // 2. The subject's namespace and service account against what exists.
  const sa = x.subject
    ? parseSubject(x.subject)
    : x.namespace && x.serviceAccount
      ? { namespace: x.namespace, serviceAccount: x.serviceAccount }
      : undefined;
  compareIssuer(cmp, x, facts);
  compareServiceAccount(cmp, x, facts, sa);
  compareCredentials(cmp, x, facts, sa);
  return { findings, confirmedClass: confirmed, skipped };
}

/** The token's issuer against the cluster's. */
function compareIssuer({ findings, skipped }: Comparison, x: Extracted, facts: CrossCheckFacts): void {
  // 1. The token's issuer against the cluster's.
  if (x.issuer && facts.clusterIssuer) {
    const kind = compareIssuers(x.issuer, facts.clusterIssuer);
    if (kind === "equal") {
      findings.push({
        field: "issuer",
        presented: x.issuer,
        expected: facts.clusterIssuer,
        verdict: "match",
        detail: "the token came from this cluster's issuer",
      });
    } else {
      const other = facts.otherClusterIssuers?.find((o) => compareIssuers(x.issuer as string, o.issuer) === "equal");
      findings.push({
        field: "issuer",
        presented: x.issuer,
        expected: facts.clusterIssuer,
        verdict: "mismatch",
        detail: other
          ? `the token came from cluster '${other.name}', not the cluster we are connected to`
          : `the presented issuer ${describeIssuerDiff(kind)} from this cluster's issuer`,
      });
    }
  } else if (x.issuer) skipped.push("the cluster's issuer (not read)");
}

/** The subject's namespace and service account against what exists. */
function compareServiceAccount(
  { findings, skipped, confirm }: Comparison,
  x: Extracted,
  facts: CrossCheckFacts,
  sa: Subject,
): void {
  if (sa && facts.serviceAccounts) {
    const exists = facts.serviceAccounts.find((s) => s.namespace === sa.namespace && s.name === sa.serviceAccount);
    if (exists) {
      findings.push({
        field: "serviceAccount",
        presented: `${sa.namespace}/${sa.serviceAccount}`,
        verdict: "match",
        detail: "the service account exists",
      });
      if (x.clientId && exists.clientId && exists.clientId.toLowerCase() !== x.clientId.toLowerCase()) {
        findings.push({
          field: "clientId",
          presented: x.clientId,
          expected: exists.clientId,
          verdict: "mismatch",
          detail: "the request used a client ID other than the one annotated on the service account",
        });
        confirm("wrong_client_id");
      }
    } else {
      const namespaces = facts.namespaces ?? [...new Set(facts.serviceAccounts.map((s) => s.namespace))];
      if (!namespaces.includes(sa.namespace)) {
        const n = nearest(sa.namespace, namespaces);
        findings.push({
          field: "namespace",
          presented: sa.namespace,
          expected: n && n.distance <= 3 ? n.value : undefined,
          verdict: "mismatch",
          detail:
            n && n.distance <= 3
              ? `namespace '${sa.namespace}' does not exist; did you mean '${n.value}'?`
              : `namespace '${sa.namespace}' does not exist`,
        });
      } else {
        const names = facts.serviceAccounts.filter((s) => s.namespace === sa.namespace).map((s) => s.name);
        const n = nearest(sa.serviceAccount, names);
        findings.push({
          field: "serviceAccount",
          presented: sa.serviceAccount,
          expected: n && n.distance <= 3 ? n.value : undefined,
          verdict: "mismatch",
          detail:
            n && n.distance <= 3
              ? `service account '${sa.serviceAccount}' does not exist in '${sa.namespace}'; did you mean '${n.value}'?`
              : `service account '${sa.serviceAccount}' does not exist in '${sa.namespace}'`,
        });
      }
    }
  } else if (sa) skipped.push("service accounts (not read)");
}

/** The identity's federated credentials against the presented issuer, subject and audience. */
function compareCredentials(
  { findings, skipped, confirm }: Comparison,
  x: Extracted,
  facts: CrossCheckFacts,
  sa: Subject,
): void {
  // 3. The identity's federated credentials against the presented issuer, subject and audience.
  const fics = facts.federatedCredentials;
  if (fics && (x.issuer || x.subject || x.audience)) {
    const audience = x.audience;
    const exact = fics.find(
      (f) =>
        (!x.issuer || f.issuer === x.issuer) &&
        (!x.subject || f.subject === x.subject) &&
        (!audience || f.audiences.includes(audience)),
    );
    if (fics.length === 0) {
      findings.push({
        field: "federatedCredentials",
        verdict: "mismatch",
        detail: "the identity has no federated credentials at all",
      });
      confirm("fic_missing");
    } else if (exact) {
      findings.push({
        field: "federatedCredentials",
        presented: x.subject,
        expected: exact.name,
        verdict: "match",
        detail: `federated credential '${exact.name}' matches every presented field: the request probably named another identity, or the credential is newer than a few minutes`,
      });
      confirm("wrong_client_id");
    } else {
      // The closest credential: the one that agrees on the most fields, then by subject distance.
      const scored = fics
        .map((f) => {
          const issuerOk = !x.issuer || f.issuer === x.issuer;
          const subjectOk = !x.subject || f.subject === x.subject;
          const audienceOk = !audience || f.audiences.includes(audience);
          const dist = x.subject ? editDistance(f.subject, x.subject) : 0;
          return { f, issuerOk, subjectOk, audienceOk, ok: +issuerOk + +subjectOk + +audienceOk, dist };
        })
        .sort((a, b) => b.ok - a.ok || a.dist - b.dist);
      const best = scored[0];
      if (!best.issuerOk && x.issuer) {
        const kind = compareIssuers(x.issuer, best.f.issuer);
        findings.push({
          field: "issuer",
          presented: x.issuer,
          expected: best.f.issuer,
          verdict: "mismatch",
          detail: `federated credential '${best.f.name}' has issuer '${best.f.issuer}', which ${describeIssuerDiff(kind)}; set it to '${x.issuer}'`,
        });
        confirm("fic_issuer_mismatch");
      }
      if (!best.subjectOk && x.subject) {
        const caseOnly = best.f.subject.toLowerCase() === x.subject.toLowerCase();
        const fs = parseSubject(best.f.subject);
        const part =
          fs && sa
            ? fs.namespace !== sa.namespace
              ? `its namespace is '${fs.namespace}', the workload's is '${sa.namespace}'`
              : `its service account is '${fs.serviceAccount}', the workload's is '${sa.serviceAccount}'`
            : "the subjects differ";
        findings.push({
          field: "subject",
          presented: x.subject,
          expected: best.f.subject,
          verdict: "mismatch",
          detail: `federated credential '${best.f.name}' has subject '${best.f.subject}': ${caseOnly ? "they differ only in letter case, and matching is case-sensitive" : part}`,
        });
        confirm("fic_subject_mismatch");
      }
      if (!best.audienceOk && audience) {
        findings.push({
          field: "audience",
          presented: audience,
          expected: best.f.audiences.join(", "),
          verdict: "mismatch",
          detail: azureExchangeAudiences.includes(audience)
            ? `federated credential '${best.f.name}' does not list the standard audience '${audience}'`
            : `the token carries audience '${audience}'; the projected token should request ${best.f.audiences.join(", ")}`,
        });
        confirm("fic_audience_mismatch");
      }
    }
  } else if (x.issuer || x.subject) skipped.push("the identity's federated credentials (not read)");
}

/**
 * Fold the cross-check into the explanation: the class the live facts confirm moves to the top with
 * high confidence; nothing else changes.
 */
export function applyCrossCheck(result: ExplainResult, report: CrossCheckReport): ExplainResult {
  const causes = [...result.causes];
  const c = report.confirmedClass;
  if (c) {
    const detail = report.findings
      .filter((f) => f.verdict === "mismatch" || c === "wrong_client_id")
      .map((f) => f.detail)
      .join("; ");
    const at = causes.findIndex((k) => k.class === c);
    const ctx = { x: result.extracted, platform: result.platform };
    const confirmed = {
      ...(at >= 0
        ? causes[at]
        : {
            class: c,
            confidence: 0,
            explanation: "",
            confirmWith: classInfo[c].confirmWith(ctx),
            fixes: classInfo[c].fixes(ctx),
          }),
      confidence: 0.95,
      explanation: `${classInfo[c].title}. Confirmed against the live cluster and cloud: ${detail}.`,
    };
    if (at >= 0) causes.splice(at, 1);
    causes.unshift(confirmed);
    // The live facts decided what the text could not.
    const { undecided: _decided, ...rest } = result;
    return { ...rest, causes, crossCheck: report };
  }
  return { ...result, causes, crossCheck: report };
}
