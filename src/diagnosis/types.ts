// The vocabulary of a diagnosis. Pure data: no I/O happens in src/diagnosis.
import type { ErrorClass } from "./errors/taxonomy.js";

export type Platform = "aks" | "eks";
export type Severity = "error" | "warning" | "info";
export type CheckStatus = "pass" | "fail" | "skipped" | "error";
export type Verdict = "healthy" | "broken" | "inconclusive";

/** What was asked about: a namespace plus a service account, pod or workload. */
export interface Target {
  namespace: string;
  serviceAccount?: string;
  pod?: string;
  /** "Deployment/payments-api" and friends. */
  workload?: string;
}

export interface Fix {
  summary: string;
  /** Ready to paste, filled with the user's real names: one sequence, run in order. */
  commands: string[];
  /**
   * Other ways to the same end, each a complete sequence on its own: do `commands` or one of these, never several.
   * `summary` and `commands` above are the first option.
   */
  alternatives?: FixOption[];
}

export interface FixOption {
  summary: string;
  commands: string[];
}

export interface Finding {
  /** Stable id, documented in docs/findings.md, e.g. "fic.subject-mismatch". */
  id: string;
  severity: Severity;
  title: string;
  /** The values that were compared, side by side, so a human can verify the verdict. */
  evidence: Record<string, unknown>;
  fix: Fix;
  /**
   * The write tool call that applies `fix` (a dry run: it returns a plan to review, then apply with its planId),
   * when the fix is mechanical. Absent when the fix needs a human decision (docs/findings.md says why).
   */
  remediation?: Remediation;
}

/** A call to a write tool (registered with --allow-writes), as an agent would make it. */
export interface Remediation {
  tool: string;
  arguments: Record<string, unknown>;
}

export interface CheckResult {
  id: string;
  status: CheckStatus;
  detail: string;
  /** Set when a verdict of "healthy" needs this check to have run and passed (see docs/findings.md, "Verdict"). */
  essential?: boolean;
}

/** An essential check that did not run: what could not be read, and what would settle it. */
export interface Unsettled {
  check: string;
  reason: string;
}

export interface Report {
  verdict: Verdict;
  platform: Platform;
  target: Target;
  findings: Finding[];
  checks: CheckResult[];
  /** Why the verdict is inconclusive: the essential checks that could not run, each with what would settle it. */
  unsettled?: Unsettled[];
}

export { failed, type Gathered, ok, skipped, valueOf } from "../model/gathered.js";

/** The sections of docs/findings.md that document check ids (their headings' anchors). */
export type FindingsSection = "aks-workload-identity" | "aad-pod-identity" | "eks";

/** A check's row in docs/findings.md, next to its id (Markdown, one line each). */
export interface CheckDoc {
  /** What a finding of it means: what was compared, what is wrong, what the fix does. */
  meaning: string;
  /** The symptom a workload shows: the error text or behaviour. */
  symptom: string;
  /** The severity column when the check's severity depends on the case ("error (warning when …)"). */
  severity?: string;
}

/**
 * A check: metadata plus a pure function from facts to findings. `run` returns the
 * findings it raises; an empty list with `applies` true is a pass. A check whose
 * inputs were not gathered reports itself as skipped via `skippedBecause`.
 * `Id` is the check's literal id (the id of every finding it raises); registries derive their id unions from it.
 */
export interface Check<F, Id extends string = string> {
  id: Id;
  title: string;
  /** The worst severity this check raises (docs/findings.md lists the milder cases). */
  severity?: Severity;
  /** The section of docs/findings.md whose table documents this id. */
  docs?: FindingsSection;
  /** Its row in that table, which is generated from this metadata (test/checks/metadata.test.ts, `vitest -u`). */
  doc?: CheckDoc;
  /**
   * Ids of checks whose findings this one explains when it raises an error: they are folded under its finding as
   * consequences (ranked after the root causes, their titles naming it), not ranked as second root causes.
   */
  supersedes?: readonly string[];
  /** The error classes (src/diagnosis/errors/taxonomy.ts) a finding of this check confirms: explain_error's map. */
  confirms?: readonly ErrorClass[];
  /** Why this check could not run on these facts, or undefined when it can. */
  skippedBecause?(facts: F): string | undefined;
  run(facts: F): Finding[];
  /**
   * Whether a verdict of "healthy" rests on this check for these facts: true for the links of the mechanism in
   * use; a function when the check matters only in some worlds (a Key Vault is referenced, or the list that would
   * say so could not be read). A skipped or errored essential check makes the verdict inconclusive.
   */
  essential?: boolean | ((facts: F) => boolean);
}

/** A check as a registry holds it: its metadata complete. */
export interface RegisteredCheck<F, Id extends string = string> extends Check<F, Id> {
  severity: Severity;
  docs: FindingsSection;
  doc: CheckDoc;
  confirms: readonly ErrorClass[];
}

/**
 * The definer of one mechanism's checks: keeps each check's literal id (so registries can derive their id
 * union) and fills the docs section the mechanism's checks share.
 */
export function defineCheck<F>(docs: FindingsSection) {
  return <const Id extends string>(
    check: Omit<RegisteredCheck<F, Id>, "docs" | "confirms"> & Partial<Pick<RegisteredCheck<F, Id>, "confirms">>,
  ): RegisteredCheck<F, Id> => ({ ...check, docs, confirms: check.confirms ?? [] });
}

/** Run a list of checks over facts and assemble a report (findings ranked by the caller's order). */
export function runChecks<F>(checks: readonly Check<F>[], facts: F): { findings: Finding[]; checks: CheckResult[] } {
  const findings: Finding[] = [];
  const results: CheckResult[] = [];
  for (const check of checks) {
    let essential = false;
    try {
      essential = typeof check.essential === "function" ? check.essential(facts) : check.essential === true;
    } catch {
      essential = true;
    }
    const mark = essential ? { essential } : {};
    const why = check.skippedBecause?.(facts);
    if (why) {
      results.push({ id: check.id, status: "skipped", detail: why, ...mark });
      continue;
    }
    try {
      const raised = check.run(facts);
      findings.push(...raised);
      results.push({
        ...mark,
        id: check.id,
        status: raised.some((f) => f.severity === "error") ? "fail" : "pass",
        // Findings carry the details; a passing check needs no words beyond its id (keeps reports small).
        detail: raised.length ? `${raised.length} finding${raised.length === 1 ? "" : "s"}` : "ok",
      });
    } catch (err) {
      results.push({ id: check.id, status: "error", detail: `check failed: ${(err as Error).message}`, ...mark });
    }
  }
  return { findings, checks: results };
}

/**
 * The target itself, as an essential check: a named pod or workload that does not exist (or could not be read)
 * leaves nothing whose identity could be verified, so the verdict cannot be "healthy" (docs/findings.md, "Verdict").
 */
export function targetCheck(problem: string | undefined): CheckResult {
  return problem
    ? { id: "target.exists", status: "skipped", detail: problem, essential: true }
    : { id: "target.exists", status: "pass", detail: "ok", essential: true };
}

const severityRank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/**
 * Most likely root cause first: by severity, then by the order of `rootCauseOrder`
 * (upstream causes such as a disabled issuer before their downstream symptoms).
 */
export function rankFindings(findings: Finding[], rootCauseOrder: readonly string[]): Finding[] {
  const pos = (id: string) => {
    const i = rootCauseOrder.indexOf(id);
    return i === -1 ? rootCauseOrder.length : i;
  };
  const seen = new Set<string>();
  return [...findings]
    .sort((a, b) => severityRank[a.severity] - severityRank[b.severity] || pos(a.id) - pos(b.id))
    .filter((f) => {
      const key = `${f.id}|${JSON.stringify(f.evidence)}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/**
 * The essential checks that did not run and pass, less those `settled` by stronger evidence (a live token
 * exchange that succeeded settles the identity chain, and only that).
 */
export function unsettledChecks(checks: CheckResult[], settled: readonly string[] = []): Unsettled[] {
  return checks
    .filter((c) => c.essential && c.status !== "pass" && c.status !== "fail" && !settled.includes(c.id))
    .map((c) => ({ check: c.id, reason: c.detail }));
}

/**
 * The verdict is a promise: "broken" when a finding is an error; otherwise "healthy" only when every essential
 * check ran and passed (or was settled by a successful exchange); anything else is "inconclusive".
 */
export function verdictOf(findings: Finding[], checks: CheckResult[], settled: readonly string[] = []): Verdict {
  if (findings.some((f) => f.severity === "error")) return "broken";
  if (!checks.some((c) => c.essential)) return "inconclusive";
  return unsettledChecks(checks, settled).length ? "inconclusive" : "healthy";
}

/** Verdict and, when inconclusive, what was left unsettled: the fields every report carries. */
export function verdictFields(
  findings: Finding[],
  checks: CheckResult[],
  settled: readonly string[] = [],
): { verdict: Verdict; unsettled?: Unsettled[] } {
  const verdict = verdictOf(findings, checks, settled);
  if (verdict !== "inconclusive") return { verdict };
  const unsettled = unsettledChecks(checks, settled);
  return {
    verdict,
    unsettled: unsettled.length
      ? unsettled
      : [{ check: "(none)", reason: "no essential check applied to this target: nothing was verified" }],
  };
}
