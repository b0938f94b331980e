// Reports as text for humans: the verdict and findings with fixes, short enough for one screen.
import type { Finding, Report } from "../diagnosis/types.js";

const ICON: Record<string, string> = { error: "✗", warning: "!", info: "i" };

function evidenceLines(f: Finding, max = 6): string[] {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(f.evidence)) {
    if (v === undefined) continue;
    const text = typeof v === "string" ? v : JSON.stringify(v);
    lines.push(`      ${k}: ${text.length > 160 ? `${text.slice(0, 157)}...` : text}`);
    if (lines.length >= max) break;
  }
  return lines;
}

export function renderFinding(f: Finding, index?: number): string[] {
  const head = `${index !== undefined ? `${index + 1}. ` : ""}${ICON[f.severity] ?? "-"} [${f.id}] ${f.title}`;
  const out = [head, ...evidenceLines(f)];
  const alternatives = f.fix.alternatives ?? [];
  if (!alternatives.length) {
    if (f.fix.summary) out.push(`    fix: ${f.fix.summary}`);
    for (const c of f.fix.commands) out.push(`      $ ${c}`);
    return out;
  }
  // Options are alternatives: each is complete on its own, so the user runs exactly one of them.
  out.push(`    fix (${alternatives.length + 1} options, run one of them):`);
  [{ summary: f.fix.summary, commands: f.fix.commands }, ...alternatives].forEach((o, i) => {
    out.push(`    Option ${i + 1}: ${o.summary}`);
    for (const c of o.commands) out.push(`      $ ${c}`);
  });
  return out;
}

export function renderReport(
  r: Report & { errorText?: { note: string; explanation?: string; confirmedBy?: string[] }; mechanism?: string },
): string {
  const who = [
    r.target.workload,
    r.target.pod && `pod/${r.target.pod}`,
    r.target.serviceAccount && `sa/${r.target.serviceAccount}`,
  ]
    .filter(Boolean)
    .join(", ");
  const verdict = { healthy: "HEALTHY", broken: "BROKEN", inconclusive: "INCONCLUSIVE" }[r.verdict];
  const lines = [
    `${verdict}  ${r.platform.toUpperCase()} ${r.mechanism ?? "workload identity"} for ${r.target.namespace}${who ? ` (${who})` : ""}`,
  ];
  const errors = r.findings.filter((f) => f.severity !== "info");
  if (errors.length) {
    lines.push("");
    errors.forEach((f, i) => {
      lines.push(...renderFinding(f, i));
    });
  }
  if (r.errorText) {
    lines.push("", `Error text: ${r.errorText.note}`);
    if (!r.errorText.confirmedBy?.length && r.errorText.explanation) lines.push(`  ${r.errorText.explanation}`);
  }
  if (r.verdict === "inconclusive" && r.unsettled?.length) {
    lines.push("", "Not healthy until these can be read (each says what would settle it):");
    for (const u of r.unsettled.slice(0, 8)) lines.push(`  ? [${u.check}] ${u.reason}`);
    if (r.unsettled.length > 8) lines.push(`  … and ${r.unsettled.length - 8} more`);
  }
  const count = (s: string) => r.checks.filter((c) => c.status === s).length;
  lines.push(
    "",
    `checks: ${count("pass")} passed, ${count("fail")} failed, ${count("skipped")} skipped, ${count("error")} errored`,
  );
  const skippedChecks = r.checks.filter((c) => c.status === "skipped" || c.status === "error");
  const reasons = [...new Set(skippedChecks.map((c) => c.detail))].slice(0, 4);
  for (const reason of reasons) lines.push(`  skipped: ${reason}`);
  return lines.join("\n");
}
