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
  const ranked = rankWith(registry, findings);
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
  return { findings: rankWith(registry, findings), checks };
}

/** The findings ranked as a registry ranks them: root-cause order, then each consequence folded under its cause. */
export function rankWith(registry: readonly Check<never>[], findings: Finding[]): Finding[] {
  return foldConsequences(rankFindings(findings, idsOf(registry)), supersedesOf(registry));
}

/** Each check's `supersedes` list, by id. */
export function supersedesOf(registry: readonly Check<never>[]): Record<string, readonly string[]> {
  return Object.fromEntries(registry.filter((c) => c.supersedes?.length).map((c) => [c.id, c.supersedes!]));
}

/**
 * A finding whose check a firing root cause supersedes (an error finding of a check whose `supersedes` names it)
 * is that cause's consequence, not a second root: the root causes come first, in rank order, then the
 * consequences. A consequence is otherwise the finding its check raised (id, title, evidence, fix): exactly what a
 * step tool that runs that check alone reports. Chains resolve to the topmost cause.
 */
export function foldConsequences(ranked: Finding[], supersedes: Record<string, readonly string[]>): Finding[] {
  const { roots, consequences } = orderCauses(ranked, supersedes);
  return consequences.length ? [...roots, ...consequences.map((c) => c.finding)] : ranked;
}

/** The findings split into the root causes and the consequences (each with its cause's id), both in rank order. */
export function orderCauses(
  ranked: Finding[],
  supersedes: Record<string, readonly string[]>,
): { roots: Finding[]; consequences: { finding: Finding; cause: string }[] } {
  const causeOf = (f: Finding) =>
    ranked.find((r) => r !== f && r.id !== f.id && r.severity === "error" && supersedes[r.id]?.includes(f.id));
  const rootOf = new Map<Finding, Finding>();
  for (const f of ranked) {
    // Up the chain of causes to the topmost; a chain that leads back to f leaves f a root.
    const seen = new Set<Finding>([f]);
    let root: Finding | undefined;
    for (let up = causeOf(f); up && !seen.has(up); up = causeOf(up)) {
      seen.add(up);
      root = up;
    }
    if (root && causeOf(root) !== f) rootOf.set(f, root);
  }
  // A cause that is itself folded (a cycle in the metadata) cannot hold consequences: they stay roots.
  for (const [f, root] of [...rootOf]) if (rootOf.has(root)) rootOf.delete(f);
  return {
    roots: ranked.filter((f) => !rootOf.has(f)),
    consequences: ranked.filter((f) => rootOf.has(f)).map((f) => ({ finding: f, cause: rootOf.get(f)!.id })),
  };
}
