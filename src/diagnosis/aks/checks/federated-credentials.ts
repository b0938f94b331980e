// Entra matches issuer, subject and audience exactly and case-sensitively: any difference is AADSTS70021/7002xx.
import { issuerDifference, subjectDifference } from "../../compare.js";
import type { CheckDoc, Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import type { AksFacts, FederatedCredentialFacts } from "../facts.js";
import { createFicCommand, names, sh, updateFicCommand } from "../names.js";
import { aksCheck } from "./define.js";
import type { ErrorClass } from "../../errors/taxonomy.js";
import { isBindingCredential, usesIdentityBinding } from "./binding-opt-in.js";

export const FIC_LIMIT = 20;

/** The values a matching credential must carry, taken from the tokens the cluster really issues. */
export function expectedFic(f: AksFacts) {
  const token = valueOf(f.token);
  const issuer = token?.claims.iss ?? valueOf(f.apiServerIssuer) ?? valueOf(f.cluster)?.issuerUrl;
  const n = names(f);
  return { issuer, subject: n.subject, audience: f.cloud.tokenExchangeAudience };
}

export interface FicComparison {
  credential: FederatedCredentialFacts;
  issuer?: string;
  subject?: string;
  audience?: string;
  score: number;
}

export function compareFic(cred: FederatedCredentialFacts, exp: ReturnType<typeof expectedFic>): FicComparison {
  const issuer = exp.issuer ? issuerDifference(exp.issuer, cred.issuer) : undefined;
  const subject = subjectDifference(exp.subject, cred.subject);
  const audience = cred.audiences.includes(exp.audience)
    ? undefined
    : `audiences ${JSON.stringify(cred.audiences)} do not include ${exp.audience}${
        cred.audiences.some((a) => a.toLowerCase() === exp.audience.toLowerCase()) ? " (letter case differs)" : ""
      }`;
  const score = [issuer, subject, audience].filter((x) => x === undefined).length;
  return { credential: cred, issuer, subject, audience, score };
}

/** The credential closest to matching: most fields right, then fewest character differences. */
export function bestCandidate(creds: FederatedCredentialFacts[], exp: ReturnType<typeof expectedFic>) {
  const compared = creds.map((c) => compareFic(c, exp));
  compared.sort((a, b) => b.score - a.score);
  return { compared, best: compared[0], match: compared.find((c) => c.score === 3) };
}

const needFics = (f: AksFacts) => {
  // The binding path exchanges through the proxy with the binding's credential: binding.* checks judge it.
  if (usesIdentityBinding(f))
    return "the pods use an identity binding (binding.credential-missing judges its credential)";
  if (!valueOf(f.identity)) return "the identity is not known";
  if (f.federatedCredentials.status !== "ok")
    return `federated credentials could not be read: ${f.federatedCredentials.reason}`;
  const creds = f.federatedCredentials.value;
  if (creds.length && creds.every((c) => isBindingCredential(f, c)))
    return "the identity's only credentials serve identity bindings (binding.pod-not-opted-in judges them)";
  return undefined;
};

/** Credentials that could serve the direct path: the one AKS keeps for identity bindings never does. */
const directCredentials = (f: AksFacts) => valueOf(f.federatedCredentials)!.filter((c) => !isBindingCredential(f, c));

export const ficNone = aksCheck({
  id: "fic.none",
  doc: { meaning: "The identity has no federated credentials.", symptom: "AADSTS70021 / 700211" },
  supersedes: ["exchange.failed"],
  severity: "error",
  confirms: ["fic_missing"],
  essential: (f) => !usesIdentityBinding(f),
  title: "The identity has at least one federated credential",
  skippedBecause: needFics,
  run(f) {
    const creds = valueOf(f.federatedCredentials)!;
    if (creds.length) return [];
    const n = names(f);
    const exp = expectedFic(f);
    return [
      {
        id: this.id,
        severity: "error",
        title: `Identity ${n.identityName} has no federated credentials, so no token can be exchanged (AADSTS70021)`,
        evidence: { identity: n.identityName, expected: exp },
        fix: { summary: "Create a federated credential for this service account.", commands: [createFicCommand(f)] },
      },
    ];
  },
});

function mismatchFinding(
  f: AksFacts,
  id: string,
  field: "issuer" | "subject" | "audience",
  cmp: FicComparison,
  exp: ReturnType<typeof expectedFic>,
): Finding {
  const actual = field === "audience" ? cmp.credential.audiences : cmp.credential[field];
  const expected = field === "audience" ? exp.audience : exp[field];
  const labels = { issuer: "issuer", subject: "subject", audience: "audience" } as const;
  return {
    id,
    severity: "error",
    title: `Federated credential "${cmp.credential.name}" has the wrong ${labels[field]}: ${cmp[field]}`,
    evidence: { credential: cmp.credential.name, field, expected, actual, reason: cmp[field] },
    fix: {
      summary: `Replace the credential with one whose ${field} is exactly ${JSON.stringify(expected)}.`,
      commands: [updateFicCommand(f, cmp.credential.name)],
    },
  };
}

function makeMismatchCheck<const Id extends string>(
  id: Id,
  field: "issuer" | "subject" | "audience",
  title: string,
  doc: CheckDoc,
  confirms: readonly ErrorClass[],
) {
  return aksCheck({
    id,
    title,
    doc,
    severity: "error",
    // The live exchange fails because of the mismatch: its finding is the consequence.
    supersedes: ["exchange.failed"],
    confirms: [...confirms, "fic_missing"],
    essential: (f) => !usesIdentityBinding(f),
    skippedBecause: (f) => needFics(f) ?? (expectedFic(f).issuer ? undefined : "the cluster's issuer is not known"),
    run(f) {
      const creds = directCredentials(f);
      if (!creds.length) return [];
      const exp = expectedFic(f);
      const { best, match } = bestCandidate(creds, exp);
      if (match || !best[field]) return [];
      return [mismatchFinding(f, id, field, best, exp)];
    },
  });
}

export const ficIssuerMismatch = makeMismatchCheck(
  "fic.issuer-mismatch",
  "issuer",
  "A federated credential carries the cluster's issuer",
  {
    meaning:
      "No credential carries the tokens' issuer; the evidence says why (trailing slash, case, another cluster's issuer).",
    symptom: "AADSTS70021 / 700211",
  },
  ["fic_issuer_mismatch"],
);
export const ficSubjectMismatch = makeMismatchCheck(
  "fic.subject-mismatch",
  "subject",
  "A federated credential names this service account",
  {
    meaning:
      "No credential names `system:serviceaccount:<namespace>:<name>`; the evidence names the wrong part (namespace or name typo, case).",
    symptom: "AADSTS70021 / 700213 / 7002137",
  },
  ["fic_subject_mismatch"],
);
export const ficAudienceMismatch = makeMismatchCheck(
  "fic.audience-mismatch",
  "audience",
  "A federated credential accepts the token's audience",
  {
    meaning: "The credential's audiences do not include `api://AzureADTokenExchange` (per cloud).",
    symptom: "AADSTS70021 / 700212",
  },
  ["fic_audience_mismatch"],
);

export const ficLimitReached = aksCheck({
  id: "fic.limit-reached",
  doc: {
    severity: "error (warning when a matching one exists)",
    meaning: "The identity holds 20 federated credentials, the maximum.",
    symptom: "cannot add a credential",
  },
  severity: "error",
  title: `The identity has room for another federated credential (at most ${FIC_LIMIT})`,
  skippedBecause: needFics,
  run(f) {
    const creds = valueOf(f.federatedCredentials)!;
    if (creds.length < FIC_LIMIT) return [];
    const exp = expectedFic(f);
    const { match } = bestCandidate(creds, exp);
    const n = names(f);
    return [
      {
        id: this.id,
        severity: match ? "warning" : "error",
        title: `Identity ${n.identityName} has ${creds.length} federated credentials, the maximum; a new one cannot be added`,
        evidence: { count: creds.length, limit: FIC_LIMIT, matching: match?.credential.name ?? null },
        fix: {
          summary: "Delete unused credentials (or use another identity) before adding one for this service account.",
          commands: [
            n.identityKind === "application"
              ? `az ad app federated-credential list --id ${sh(n.appObjectId)} -o table`
              : `az identity federated-credential list --identity-name ${sh(n.identityName)} --resource-group ${sh(n.identityResourceGroup)} -o table`,
          ],
        },
      },
    ];
  },
});
