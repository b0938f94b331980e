// The IAM policy evaluator STS applies to a role's trust policy: principals, actions, condition operators and
// keys, explicit denies; the evaluation names the clause that fails. Mechanism-specific parts: ./trust-policy.ts.
import { wildcardMatches } from "../wildcard.js";

export type { PolicyDocument, PolicyStatement, PolicyValue } from "../../model/iam-policy.js";
import type { PolicyDocument, PolicyStatement } from "../../model/iam-policy.js";

export const WEB_IDENTITY_ACTION = "sts:AssumeRoleWithWebIdentity";
export const POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com";
export const POD_IDENTITY_ACTIONS = ["sts:AssumeRole", "sts:TagSession"];

/** One request to assume the role: who asks, which actions, and the condition context STS builds. */
export interface AssumeRequest {
  principalType: "Federated" | "Service" | "AWS";
  principal: string;
  /** Every action must be allowed (Pod Identity needs AssumeRole and TagSession). */
  actions: string[];
  /** Condition keys (case-insensitive) to their values; absent keys are simply not there. */
  context: Record<string, string | string[] | undefined>;
}

export interface Clause {
  statementIndex: number;
  /** A condition key, or "Principal.Federated" / "Principal.Service" / "Action" / "Effect". */
  key: string;
  operator: string;
  expected: string[];
  actual: string | string[] | undefined;
  holds: boolean;
  reason: string;
}

export interface StatementEvaluation {
  index: number;
  sid?: string;
  effect: "Allow" | "Deny";
  principalMatches: boolean;
  /** The requested actions this statement covers. */
  actionsCovered: string[];
  clauses: Clause[];
  conditionsHold: boolean;
  /** Principal, actions (at least one) and all conditions hold. */
  applies: boolean;
}

export type MistakeKind =
  | "wildcard-in-stringequals"
  | "condition-key-is-arn"
  | "condition-key-has-scheme"
  | "condition-key-other-provider"
  | "sub-aud-swapped"
  | "provider-other-account"
  | "provider-region-mismatch"
  | "provider-other-cluster"
  | "provider-url-typo"
  | "action-missing"
  | "subject-condition-missing"
  | "service-principal-missing"
  | "unknown-operator"
  | "malformed-document";

export interface TrustMistake {
  kind: MistakeKind;
  statementIndex: number;
  detail: string;
  expected?: string;
  actual?: string;
}

export interface FailingClause {
  statementIndex: number;
  key: string;
  operator: string;
  expected: string[];
  actual: string | string[] | undefined;
  reason: string;
}

export interface TrustEvaluation {
  accepted: boolean;
  decision: "allow" | "explicit-deny" | "implicit-deny";
  /** Index of the Allow statement that grants every requested action alone, when there is one. */
  allowedBy?: number;
  deniedBy?: number;
  failingClause?: FailingClause;
  statements: StatementEvaluation[];
  mistakes: TrustMistake[];
}

// ---------------------------------------------------------------------------------------------
// Generic evaluation

export function statementsOf(doc: PolicyDocument | undefined): PolicyStatement[] {
  if (!doc || typeof doc !== "object") return [];
  const s = doc.Statement;
  if (!s) return [];
  return Array.isArray(s) ? s : [s];
}

export function asList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map((x) => String(x));
  return [String(v)];
}

/** IAM's `*` and `?` wildcards. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  return wildcardMatches(pattern, value, { question: true, ignoreCase });
}

export function principalValues(principal: unknown, type: AssumeRequest["principalType"]): string[] | "*" {
  if (principal === "*") return "*";
  if (!principal || typeof principal !== "object") return [];
  const entry = Object.entries(principal as Record<string, unknown>).find(([k]) => k === type);
  return entry ? asList(entry[1]) : [];
}

function principalMatches(st: PolicyStatement, req: AssumeRequest): boolean {
  if (st.Principal !== undefined) {
    const vals = principalValues(st.Principal, req.principalType);
    if (vals === "*") return true;
    if (vals.includes("*")) return true;
    return vals.includes(req.principal);
  }
  if (st.NotPrincipal !== undefined) {
    const vals = principalValues(st.NotPrincipal, req.principalType);
    if (vals === "*") return false;
    return !vals.includes(req.principal);
  }
  return false;
}

export function actionCovered(st: PolicyStatement, action: string): boolean {
  if (st.Action !== undefined) return asList(st.Action).some((a) => wildcardMatch(a, action, true));
  if (st.NotAction !== undefined) return !asList(st.NotAction).some((a) => wildcardMatch(a, action, true));
  return false;
}

interface ParsedOperator {
  base: string;
  setOp?: "ForAnyValue" | "ForAllValues";
  ifExists: boolean;
}

const KNOWN_BASES = new Set([
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
  "StringLike",
  "StringNotLike",
  "Null",
  "Bool",
  "ArnEquals",
  "ArnLike",
  "ArnNotEquals",
  "ArnNotLike",
]);

export function parseOperator(op: string): ParsedOperator {
  let rest = op;
  let setOp: ParsedOperator["setOp"];
  if (rest.startsWith("ForAnyValue:")) {
    setOp = "ForAnyValue";
    rest = rest.slice("ForAnyValue:".length);
  } else if (rest.startsWith("ForAllValues:")) {
    setOp = "ForAllValues";
    rest = rest.slice("ForAllValues:".length);
  }
  let ifExists = false;
  if (rest.endsWith("IfExists") && rest !== "IfExists") {
    ifExists = true;
    rest = rest.slice(0, -"IfExists".length);
  }
  return { base: rest, setOp, ifExists };
}

function isNegated(base: string): boolean {
  return base.includes("Not");
}

/** Does one context value match one policy value under a (non-negated form of the) operator? */
function valueMatches(base: string, expected: string, actual: string): boolean {
  switch (base) {
    case "StringEquals":
    case "StringNotEquals":
    case "ArnEquals":
    case "ArnNotEquals":
      return expected === actual;
    case "StringEqualsIgnoreCase":
    case "StringNotEqualsIgnoreCase":
      return expected.toLowerCase() === actual.toLowerCase();
    case "StringLike":
    case "StringNotLike":
    case "ArnLike":
    case "ArnNotLike":
      return wildcardMatch(expected, actual);
    case "Bool":
      return expected.toLowerCase() === actual.toLowerCase();
    default:
      return false;
  }
}

function lookup(context: AssumeRequest["context"], key: string): string[] | undefined {
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(context)) {
    if (k.toLowerCase() === lower && v !== undefined) return asList(v);
  }
  return undefined;
}

/** Evaluate one condition key under one operator, as IAM's documented semantics say. */
export function evaluateCondition(
  operator: string,
  key: string,
  expectedRaw: unknown,
  context: AssumeRequest["context"],
): { holds: boolean; known: boolean; actual: string[] | undefined } {
  const { base, setOp, ifExists } = parseOperator(operator);
  const expected = asList(expectedRaw);
  const actual = lookup(context, key);
  if (!KNOWN_BASES.has(base)) return { holds: false, known: false, actual };
  if (base === "Null") {
    // Null:true means "the key must be absent".
    const wantAbsent = expected.some((e) => e.toLowerCase() === "true");
    return { holds: wantAbsent ? actual === undefined : actual !== undefined, known: true, actual };
  }
  if (actual === undefined || actual.length === 0) {
    if (ifExists) return { holds: true, known: true, actual };
    if (setOp === "ForAllValues") return { holds: true, known: true, actual };
    if (setOp === "ForAnyValue") return { holds: false, known: true, actual };
    // A missing key never matches; a negated operator therefore holds.
    return { holds: isNegated(base), known: true, actual };
  }
  const anyMatch = (a: string) => expected.some((e) => valueMatches(base, e, a));
  let holds: boolean;
  if (setOp === "ForAllValues") {
    holds = isNegated(base) ? actual.every((a) => !anyMatch(a)) : actual.every(anyMatch);
  } else if (setOp === "ForAnyValue") {
    holds = isNegated(base) ? actual.some((a) => !anyMatch(a)) : actual.some(anyMatch);
  } else {
    // A single-valued key: positive operators need a match with any listed value, negated ones with none.
    holds = isNegated(base) ? !actual.some(anyMatch) : actual.some(anyMatch);
  }
  return { holds, known: true, actual };
}

export function evaluateStatements(doc: PolicyDocument | undefined, req: AssumeRequest): StatementEvaluation[] {
  return statementsOf(doc).map((st, index) => {
    const effect = st.Effect === "Deny" ? "Deny" : "Allow";
    const principalOk = principalMatches(st, req);
    const actionsCovered = req.actions.filter((a) => actionCovered(st, a));
    const clauses: Clause[] = [];
    for (const [operator, block] of Object.entries(st.Condition ?? {})) {
      if (!block || typeof block !== "object") continue;
      for (const [key, raw] of Object.entries(block)) {
        const r = evaluateCondition(operator, key, raw, req.context);
        const expected = asList(raw);
        const actual = r.actual === undefined ? undefined : r.actual.length === 1 ? r.actual[0] : r.actual;
        clauses.push({
          statementIndex: index,
          key,
          operator,
          expected,
          actual,
          holds: r.holds,
          reason: r.holds ? "holds" : clauseReason(operator, key, expected, r.actual, r.known),
        });
      }
    }
    const conditionsHold = clauses.every((c) => c.holds);
    return {
      index,
      sid: st.Sid,
      effect,
      principalMatches: principalOk,
      actionsCovered,
      clauses,
      conditionsHold,
      applies: principalOk && actionsCovered.length > 0 && conditionsHold,
    };
  });
}

function clauseReason(operator: string, key: string, expected: string[], actual: string[] | undefined, known: boolean) {
  const { base } = parseOperator(operator);
  if (!known) return `${operator} is not an IAM condition operator, so the condition never holds`;
  if (actual === undefined) {
    if (key.startsWith("arn:"))
      return `the key "${key}" is an ARN; STS never sets such a key, so the condition cannot hold`;
    return `STS does not set the key "${key}" for this request, so ${operator} cannot hold`;
  }
  if (base === "StringEquals" && expected.some((e) => /[*?]/.test(e))) {
    return `${operator} compares literally: "*" and "?" are not wildcards there (use StringLike)`;
  }
  if (isNegated(base)) return `the value ${JSON.stringify(actual.join(","))} is excluded by ${operator}`;
  return `${JSON.stringify(actual.length === 1 ? actual[0] : actual)} does not match ${expected.map((e) => JSON.stringify(e)).join(" or ")}`;
}

/**
 * Decide like IAM: an explicit Deny wins; otherwise every requested action needs an Allow statement
 * whose principal, action and conditions all hold.
 */
export function decide(statements: StatementEvaluation[], req: AssumeRequest) {
  const deny = statements.find((s) => s.effect === "Deny" && s.applies);
  if (deny) return { accepted: false, decision: "explicit-deny" as const, deniedBy: deny.index };
  const allows = statements.filter((s) => s.effect === "Allow" && s.applies);
  const covered = new Set(allows.flatMap((s) => s.actionsCovered));
  const all = req.actions.every((a) => covered.has(a));
  if (!all) return { accepted: false, decision: "implicit-deny" as const };
  const single = allows.find((s) => req.actions.every((a) => s.actionsCovered.includes(a)));
  return { accepted: true, decision: "allow" as const, allowedBy: single?.index ?? allows[0]?.index };
}

/** The clause to show a person: from the Allow statement that came closest, its first failure. */
export function pickFailingClause(
  doc: PolicyDocument | undefined,
  statements: StatementEvaluation[],
  req: AssumeRequest,
  decision: ReturnType<typeof decide>,
): FailingClause | undefined {
  if (decision.accepted) return undefined;
  if (decision.decision === "explicit-deny" && decision.deniedBy !== undefined) {
    const s = statements[decision.deniedBy];
    return {
      statementIndex: s.index,
      key: "Effect",
      operator: "Deny",
      expected: [],
      actual: req.principal,
      reason: `statement ${s.index}${s.sid ? ` (${s.sid})` : ""} explicitly denies this request, and a Deny always wins`,
    };
  }
  const allows = statements.filter((s) => s.effect === "Allow");
  if (allows.length === 0) {
    return {
      statementIndex: -1,
      key: "Statement",
      operator: "Allow",
      expected: [],
      actual: undefined,
      reason: "the trust policy has no Allow statement",
    };
  }
  const score = (s: StatementEvaluation) =>
    (s.principalMatches ? 100 : 0) +
    s.actionsCovered.length * 10 +
    (s.clauses.length ? s.clauses.filter((c) => c.holds).length / s.clauses.length : 1);
  const best = [...allows].sort((a, b) => score(b) - score(a) || a.index - b.index)[0];
  const st = statementsOf(doc)[best.index];
  if (!best.principalMatches) {
    const vals = principalValues(st.Principal, req.principalType);
    return {
      statementIndex: best.index,
      key: `Principal.${req.principalType}`,
      operator: "equals",
      expected: vals === "*" ? ["*"] : vals,
      actual: req.principal,
      reason:
        vals === "*" || vals.length
          ? `the statement trusts ${vals === "*" ? "*" : vals.join(", ")}, not ${req.principal}`
          : `the statement has no ${req.principalType} principal (it names ${Object.keys((st.Principal as object) ?? {}).join(", ") || "none"})`,
    };
  }
  const missing = req.actions.filter((a) => !best.actionsCovered.includes(a));
  if (missing.length) {
    return {
      statementIndex: best.index,
      key: "Action",
      operator: "includes",
      expected: asList(st.Action ?? st.NotAction),
      actual: missing.length === 1 ? missing[0] : missing,
      reason: `the statement does not allow ${missing.join(" and ")}`,
    };
  }
  const clause = best.clauses.find((c) => !c.holds);
  if (clause) {
    const { holds: _h, ...rest } = clause;
    return rest;
  }
  return undefined;
}

export function evaluateTrustPolicy(doc: PolicyDocument | undefined, req: AssumeRequest): TrustEvaluation {
  const mistakes: TrustMistake[] = [];
  if (!doc || typeof doc !== "object" || !doc.Statement) {
    mistakes.push({ kind: "malformed-document", statementIndex: -1, detail: "the trust policy has no Statement" });
  }
  const statements = evaluateStatements(doc, req);
  for (const s of statements) {
    for (const c of s.clauses) {
      if (!KNOWN_BASES.has(parseOperator(c.operator).base)) {
        mistakes.push({
          kind: "unknown-operator",
          statementIndex: s.index,
          detail: `"${c.operator}" is not an IAM condition operator`,
          actual: c.operator,
        });
      }
      const { base } = parseOperator(c.operator);
      if ((base === "StringEquals" || base === "StringNotEquals") && c.expected.some((e) => /[*?]/.test(e))) {
        mistakes.push({
          kind: "wildcard-in-stringequals",
          statementIndex: s.index,
          detail: `${c.operator} on "${c.key}" contains a wildcard, which ${base} compares literally; use StringLike for patterns`,
          actual: c.expected.find((e) => /[*?]/.test(e)),
        });
      }
    }
  }
  const d = decide(statements, req);
  return {
    accepted: d.accepted,
    decision: d.decision,
    allowedBy: "allowedBy" in d ? d.allowedBy : undefined,
    deniedBy: "deniedBy" in d ? d.deniedBy : undefined,
    failingClause: pickFailingClause(doc, statements, req, d),
    statements,
    mistakes,
  };
}

// ---------------------------------------------------------------------------------------------
// IRSA: AssumeRoleWithWebIdentity with a service-account token

export interface WebIdentityClaims {
  iss: string;
  sub: string;
  /** The audience STS matched against the provider's ClientIDList. */
  aud: string;
  amr?: string[];
}
