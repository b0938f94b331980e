// One pipeline for every mechanism: a registry of checks in root-cause order, run over the facts, ranked,
// given a verdict and shaped into a report. AKS workload identity, EKS (IRSA and Pod Identity) and
// aad-pod-identity all go through `diagnoseWith`; step tools run a subset with `runSelected`.
import {
  type Check,
  type CheckResult,
  type Finding,
  type RegisteredCheck,
  rankFindings,
  runChecks,
  targetCheck,
  type Unsettled,
  type Verdict,
  verdictFields,
} from "./types.js";

/** A mechanism's checks, in root-cause order: upstream causes first (this order ranks the findings too). */
export type Registry<F, Id extends string = string> = readonly RegisteredCheck<F, Id>[];

/** The id union of a registry. */
export type CheckIdOf<R> = R extends readonly Check<never, infer Id>[] ? Id : never;

/** The ids of a registry in root-cause order. */
export const idsOf = <Id extends string>(registry: readonly Check<never, Id>[]): Id[] => registry.map((c) => c.id);

export interface DiagnoseOptions<Id extends string> {
  /**
   * Why the named target cannot be examined (`targetCheck`), or undefined when it can: the report then starts
   * with the essential `target.exists` check. Leave the key out for a diagnosis without one.
   */
  targetProblem?: string;
  /** Essential checks that stronger evidence settled (a successful live exchange). */
  settled?: readonly Id[];
}

/** The parts every report shares, in the order reports print them. */
export type Diagnosed<H> = { verdict: Verdict; unsettled?: Unsettled[] } & H & {
    findings: Finding[];
    checks: CheckResult[];
  };

/**
 * Run → rank → verdict → report: the one pipeline. `head` is what the mechanism adds before the findings
 * (platform, target, mechanism); anything it adds after them it spreads onto the result.
 */
export function diagnoseWith<F, Id extends string, H extends object>(
  registry: Registry<F, Id>,
  facts: F,
  options: DiagnoseOptions<Id>,
  head: H,
): Diagnosed<H> {
  const { findings, checks } = runChecks(registry, facts);
  if ("targetProblem" in options) checks.unshift(targetCheck(options.targetProblem));
  const ranked = rankFindings(findings, idsOf(registry));
  return { ...verdictFields(ranked, checks, options.settled ?? []), ...head, findings: ranked, checks };
}

/** Run the named checks of a registry (in its root-cause order) and rank their findings as the diagnosis does. */
export function runSelected<F, Id extends string>(
  registry: Registry<F, Id>,
  facts: F,
  ids: readonly Id[],
  mechanism = "",
): { findings: Finding[]; checks: CheckResult[] } {
  const known = idsOf(registry);
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length) throw new Error(`unknown ${mechanism ? `${mechanism} ` : ""}check ids: ${unknown.join(", ")}`);
  const { findings, checks } = runChecks(
    registry.filter((c) => ids.includes(c.id)),
    facts,
  );
  return { findings: rankFindings(findings, known), checks };
}
