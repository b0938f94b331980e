// The text rendering of an explanation (explain_error's answer), shared by the tool and the CLI's `explain`,
// which prints it without loading the tool's schemas.
import type { ExplainResult } from "../diagnosis/errors/explain.js";

export function renderExplanation(out: ExplainResult): string {
  const lines: string[] = [];
  lines.push(`Platform: ${out.platform}${out.codes.length ? `   Codes: ${out.codes.join(", ")}` : ""}`);
  const x = Object.entries(out.extracted).filter(([, v]) => v);
  if (x.length) lines.push(`Named in the text: ${x.map(([k, v]) => `${k}=${v}`).join(", ")}`);
  lines.push("");
  out.causes.forEach((c, i) => {
    lines.push(`${i + 1}. ${c.class} (${Math.round(c.confidence * 100)}%)`, `   ${c.explanation}`);
    if (c.confirmWith.length) {
      lines.push(
        `   Confirm with: ${c.confirmWith
          .map(
            (t) =>
              `${t.tool}(${Object.entries(t.arguments)
                .map(([k, v]) => `${k}=${v}`)
                .join(", ")})`,
          )
          .join("; ")}`,
      );
    }
    for (const f of c.fixes) {
      lines.push(`   Fix: ${f.summary}`);
      for (const cmd of f.commands) lines.push(`     $ ${cmd}`);
    }
  });
  if (out.undecided) {
    const t = out.undecided.decidingCall;
    const args = Object.entries(t.arguments)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ");
    lines.push("", `The text cannot decide between ${out.undecided.between.join(" and ")}: ${t.tool}(${args}) does.`);
  }
  for (const m of out.meanings) lines.push(`${m.code}: ${m.meaning} (${m.source})`);
  if (out.crossCheck) {
    lines.push("", "Cross-check:");
    for (const f of out.crossCheck.findings)
      lines.push(`  ${f.verdict === "mismatch" ? "✗" : f.verdict === "match" ? "✓" : "?"} ${f.field}: ${f.detail}`);
    for (const s of out.crossCheck.skipped) lines.push(`  skipped: ${s}`);
  }
  return lines.join("\n");
}
