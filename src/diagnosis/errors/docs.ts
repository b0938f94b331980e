// The catalogue as Markdown: docs/errors.md (checked against this by a test) and the
// wi-doctor://errors/{code} resources are both rendered from the one table.
import { type CatalogueEntry, catalogue } from "./catalogue.js";
import { serviceCodes } from "./codes.js";
import { classInfo, errorClasses } from "./taxonomy.js";

const platformNames: Record<string, string> = {
  "aks-workload-identity": "AKS workload identity",
  "aad-pod-identity": "aad-pod-identity (legacy)",
  "azure-sdk": "Azure SDK",
  "eks-irsa": "EKS IRSA",
  "eks-pod-identity": "EKS Pod Identity",
  unknown: "unknown",
};

function matchers(e: CatalogueEntry): string[] {
  const lines: string[] = [];
  if (e.codes?.length) lines.push(`codes ${e.codes.map((c) => `\`${c}\``).join(", ")}`);
  for (const g of (e.text ?? []).slice(0, 6)) lines.push(g.map((s) => `"${s}"`).join(" + "));
  if ((e.text?.length ?? 0) > 6) lines.push(`…and ${(e.text?.length ?? 0) - 6} more wordings`);
  return lines;
}

/** One catalogue row as a Markdown page (the wi-doctor://errors/{code} resource). */
export function entryMarkdown(e: CatalogueEntry): string {
  const lines = [
    `# ${e.code}: ${e.title}`,
    "",
    `Platform: ${platformNames[e.platform]}. Source: ${[e.docs, ...(e.alsoFrom ?? [])].join(", ")}`,
    "",
    "## Recognised by",
    "",
    ...matchers(e).map((m) => `- ${m}`),
    "",
    "## Likely causes (confidence from this signature alone)",
    "",
    ...e.causes.map(([c, w]) => `- \`${c}\` (${w.toFixed(2)}): ${classInfo[c].title}`),
    "",
    "Call explain_error with the full text to get the values it names, the tools that confirm each cause, and the fixes.",
  ];
  return `${lines.join("\n")}\n`;
}

export function renderErrorsDoc(): string {
  const out: string[] = [
    "# Error catalogue",
    "",
    "<!-- Rendered from src/diagnosis/errors (catalogue.ts and taxonomy.ts); test/errors/docs.test.ts fails when this file and the code disagree. -->",
    "",
    "`explain_error` (and `wi-doctor explain`) reads an error text, finds the codes and values in it, and ranks the causes below. Each",
    "catalogue row is also served as the MCP resource `wi-doctor://errors/{code}`.",
    "",
    "## Classes",
    "",
    "Every cause has one class from this fixed list. A class is added only with a written reason (see *Added* below).",
    "",
  ];
  for (const c of errorClasses) {
    const info = classInfo[c];
    out.push(`### \`${c}\``, "", `${info.title}.`, "");
    if (info.addedBecause) out.push(`*Added:* ${info.addedBecause}`, "");
  }
  out.push("## Catalogue", "", "| code | platform | title | causes | source |", "| --- | --- | --- | --- | --- |");
  for (const e of catalogue) {
    const causes = e.causes.map(([c, w]) => `\`${c}\` ${w.toFixed(2)}`).join(", ");
    const sources = [e.docs, ...(e.alsoFrom ?? [])].join("<br>");
    out.push(`| \`${e.code}\` | ${platformNames[e.platform]} | ${e.title} | ${causes} | ${sources} |`);
  }
  out.push(
    "",
    "## Service codes",
    "",
    "Every code below is recognised and explained even when no catalogue row reads the text around it; its causes then get the",
    "lower confidence the code alone supports. The meanings are ours, from the services' reference pages.",
    "",
    "| code | meaning | causes | source |",
    "| --- | --- | --- | --- |",
  );
  for (const c of serviceCodes) {
    const causes = c.causes.map(([k, w]) => `\`${k}\` ${w.toFixed(2)}`).join(", ");
    out.push(`| \`${c.code}\` | ${c.meaning} | ${causes} | ${c.source} |`);
  }
  out.push(
    "",
    "## How ranking works",
    "",
    "- Codes are read whole (`AADSTS70021` is not `AADSTS700211`); wordings are matched case-insensitively after Go, JSON and HTML escapes are undone.",
    "- Each matching row gives its causes the listed confidence; a second row for the same cause adds a little. Values in the text then adjust the ranking, e.g. an audience that is not a token-exchange audience, an internal API-server issuer, a client ID that is not a GUID, or a hard-coded pre-v1.6.0 token path.",
    "- The confidences are how often each cause produces such a text. When other causes are within 0.12 of the leading one, the result says the text cannot decide between them (`undecided`, most frequent first) and names the tool call that does (the one that confirms the most of them), e.g. `list_federated_credentials` or `inspect_token`.",
    "- A log with several errors on separate lines: the latest one's leading cause is ranked first. Of a log longer than 1 MB the last 1 MB is read.",
    "- Text that matches no row is reported as `unknown`, with at most three loosely related classes at low confidence.",
    "- Accuracy is measured on the public corpus in `test/corpus/errors`: a tuning split and a frozen evaluation split (`frozen/`, never tuned on); `npm run bench` reports both apart.",
    "- With `crossCheck`, the issuer, subject, audience and client ID in the text are compared with the cluster's issuer, the service accounts that exist and the identity's federated credentials; a confirmed mismatch moves its class to the top.",
    "- Secrets in the text (JWTs, client secrets, access tokens, AWS keys, SAS signatures) are replaced with `[REDACTED]` before anything is read.",
    "",
  );
  return out.join("\n");
}
