// Tie an error message the user saw to the findings of a live diagnosis: does the world confirm it?
import { FINDINGS_FOR_CLASS as findingsForClass } from "./confirms.js";
import type { Finding } from "./types.js";

/** What an error message asserts (from explain_error). */
export interface ErrorTextFacts {
  codes: string[];
  classes: string[];
  /** What the most likely cause means, in a sentence or two. */
  explanation?: string;
  extracted: {
    issuer?: string;
    subject?: string;
    audience?: string;
    clientId?: string;
    tenantId?: string;
    roleArn?: string;
  };
}

export interface ErrorTextSection {
  codes: string[];
  classes: string[];
  asserted: Record<string, string>;
  confirmedBy: string[];
  explanation?: string;
  note: string;
}

/** For each error class, the findings (of any platform) that would explain it: from the checks' `confirms`. */
export const FINDINGS_FOR_CLASS: Record<string, readonly string[]> = findingsForClass;

/** Errors of credentials other than workload identity (secrets, certificates, scopes): the application's to fix. */
const OUTSIDE_IDENTITY_SETUP = [
  "client_secret_invalid",
  "client_secret_expired",
  "cert_invalid",
  "invalid_scope",
  "conditional_access",
  "sdk_too_old",
  "binding_proxy_not_enabled",
];

export function errorTextSection(e: ErrorTextFacts, findings: Finding[], notes: string[] = []): ErrorTextSection {
  const asserted: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.extracted)) if (v) asserted[k] = v;
  const ids = new Set(findings.map((f) => f.id));
  const confirmedBy = [...new Set(e.classes.flatMap((c) => FINDINGS_FOR_CLASS[c] ?? []).filter((id) => ids.has(id)))];
  const note = confirmedBy.length
    ? `The live checks confirm the error: ${confirmedBy.join(", ")}.`
    : e.classes.length && OUTSIDE_IDENTITY_SETUP.includes(e.classes[0])
      ? "The identity setup checks out; this error comes from how the application asks for its token."
      : e.classes.length
        ? "The live checks do not reproduce the error's cause now (it may be fixed already, or come from another workload or cluster)."
        : "The error text was not recognised.";
  return {
    codes: e.codes,
    classes: e.classes,
    asserted,
    confirmedBy,
    explanation: e.explanation,
    note: [note, ...notes].join(" "),
  };
}
