// Wildcard patterns written by users (Azure role actions, IAM policy values) matched in linear time: the set of
// pattern positions is advanced once per character of the value (Thompson's construction), so no pattern can
// make the match backtrack. Never build a regular expression from a user's pattern.

interface Token {
  kind: "lit" | "one" | "star";
  ch?: string;
  /** An optional group: from this token the match may also jump to token `skipTo`. */
  skipTo?: number;
}

export interface WildcardOptions {
  /** Case-insensitive (Azure actions, IAM actions). */
  ignoreCase?: boolean;
  /** "?" matches one character (IAM); otherwise it is literal (Azure). */
  question?: boolean;
  /** Azure RBAC: "/*\/" also matches a single "/" (".../userAssignedIdentities/*\/assign/action"). */
  slashStarSlashOptional?: boolean;
}

function tokenize(pattern: string, opts: WildcardOptions): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") {
      // Consecutive stars are one star.
      if (tokens.at(-1)?.kind === "star" && tokens.at(-1)?.skipTo === undefined) continue;
      if (opts.slashStarSlashOptional && pattern[i - 1] === "/" && pattern[i + 1] === "/") {
        // "/*/": the star and the slash after it form an optional group.
        tokens.push({ kind: "star", skipTo: tokens.length + 2 }, { kind: "lit", ch: "/" });
        i++;
        continue;
      }
      tokens.push({ kind: "star" });
    } else if (c === "?" && opts.question) tokens.push({ kind: "one" });
    else tokens.push({ kind: "lit", ch: c });
  }
  return tokens;
}

/** Whether `value` matches the wildcard `pattern` ("*" any run of characters; see options). */
export function wildcardMatches(pattern: string, value: string, opts: WildcardOptions = {}): boolean {
  const p = opts.ignoreCase ? pattern.toLowerCase() : pattern;
  const v = opts.ignoreCase ? value.toLowerCase() : value;
  if (!p.includes("*") && !(opts.question && p.includes("?"))) return p === v;
  const tokens = tokenize(p, opts);
  const n = tokens.length;
  let current: number[] = [];
  let seen = new Uint32Array(n + 1);
  let generation = 1;
  const add = (list: number[], i: number) => {
    // Epsilon closure: a star may match nothing; an optional group may be skipped.
    const stack = [i];
    while (stack.length) {
      const k = stack.pop() as number;
      if (seen[k] === generation) continue;
      seen[k] = generation;
      list.push(k);
      const t = tokens[k];
      if (t?.kind === "star") {
        stack.push(k + 1);
        if (t.skipTo !== undefined) stack.push(t.skipTo);
      }
    }
  };
  add(current, 0);
  for (let vi = 0; vi < v.length && current.length; vi++) {
    const c = v[vi];
    const next: number[] = [];
    generation++;
    if (generation === 0xffffffff) {
      seen = new Uint32Array(n + 1);
      generation = 1;
    }
    for (const k of current) {
      const t = tokens[k];
      if (!t) continue;
      if (t.kind === "star") add(next, k);
      else if (t.kind === "one" || t.ch === c) add(next, k + 1);
    }
    current = next;
  }
  return current.includes(n);
}
