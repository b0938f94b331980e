// Toolsets (`--toolsets aks,eks,podid,explain`, default all) and what is generated from the registry: the README's
// tool table and the troubleshooting prompt's list of step tools.
import { TOOLSETS, type ToolDefinition, ToolInputError, type Toolset } from "./define.js";

export { TOOLSETS, type Toolset };

/** "aks,eks" → ["aks", "eks"]; "all" or nothing → every toolset. Unknown names are refused, naming the valid ones. */
export function parseToolsets(value: string | undefined): Toolset[] {
  if (value === undefined || !value.trim() || value.trim() === "all") return [...TOOLSETS];
  const names = value
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const unknown = names.filter((n) => !(TOOLSETS as readonly string[]).includes(n));
  if (unknown.length) throw new ToolInputError("--toolsets", `a comma-separated list of ${TOOLSETS.join(", ")}`, value);
  return [...new Set(names)] as Toolset[];
}

/** The tools a server with these toolsets lists (a tool that names no toolset is always listed). */
export function selectTools<T extends Pick<ToolDefinition, "toolsets">>(
  tools: readonly T[],
  toolsets: readonly Toolset[] = TOOLSETS,
): T[] {
  return tools.filter((t) => !t.toolsets?.length || t.toolsets.some((s) => toolsets.includes(s)));
}

/** The README's tool table, one row per tool in registry order. */
export function toolTable(tools: readonly ToolDefinition[]): string {
  const rows = tools.map((t) => `| \`${t.name}\` | ${t.summary ?? t.title} |`);
  return ["| tool | what it answers |", "|---|---|", ...rows].join("\n");
}

/** The heading of the section each skill ends with (`skillToolSection`). */
export const SKILL_TOOLS_HEADING = "## wi-doctor tools";

/**
 * The section a skill (skills/<name>/SKILL.md) ends with: the tools of its toolset, one line each with its
 * summary, in registry order. Generated: test/references.test.ts compares it and `vitest -u` rewrites it.
 */
export function skillToolSection(tools: readonly ToolDefinition[], toolset: Toolset): string {
  const lines = selectTools(tools, [toolset]).map((t) => `- \`${t.name}\`: ${t.summary ?? t.title}`);
  return [
    SKILL_TOOLS_HEADING,
    "",
    "<!-- Generated from the tool registry (src/tools/index.ts); `npx vitest run test/references.test.ts -u` rewrites it. -->",
    "",
    ...lines,
    "",
  ].join("\n");
}

const MECHANISM: Record<Toolset, string> = { aks: "AKS", eks: "EKS", podid: "aad-pod-identity", explain: "errors" };

/**
 * The step tools grouped by the mechanism they serve, as the prompt lists them: "a, b (AKS); c (EKS); …". A tool
 * serving AKS and EKS is listed with AKS. Step tools are the read-only tools that do not declare `oneCall`.
 */
export function stepToolList(
  tools: readonly Pick<ToolDefinition, "name" | "annotations" | "toolsets" | "oneCall">[],
): string {
  const groups = new Map<Toolset, string[]>();
  for (const t of tools) {
    if (t.oneCall || !t.annotations.readOnlyHint) continue;
    const set = t.toolsets?.[0];
    if (!set) continue;
    groups.set(set, [...(groups.get(set) ?? []), t.name]);
  }
  return [...groups]
    .map(([set, names]) => {
      const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : names[0];
      return `${set === "podid" ? list : names.join(", ")} (${MECHANISM[set]})`;
    })
    .join("; ");
}
