// What tools/list sends: each tool's input schema in full (a caller needs every constraint), and an output schema
// that describes the shape of the answer without repeating every nested definition. The answer is still checked
// against the tool's full zod output schema before it is sent; this listing only has to be true, not exhaustive,
// so every structured result validates against it (the SDK client checks that).
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { GUID_RE } from "../diagnosis/compare.js";
import type { ToolDefinition } from "./define.js";

type JsonSchema = Record<string, unknown> & {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  required?: string[];
  description?: string;
};

/** Objects nested deeper than this are summarised as `object` (their fields are in the tool description and docs). */
const OUTPUT_DEPTH = 0;

/**
 * Shapes every report-like answer shares, described once per schema under $defs by the fields that identify them
 * (the rest of a finding — evidence, fix, remediation — is in the tool's text answer and docs/findings.md).
 */
const SHARED: Record<string, { matches: (s: JsonSchema) => boolean; keep: string[] }> = {
  finding: {
    matches: (s) => hasKeys(s, ["id", "severity", "title", "evidence", "fix"]),
    keep: ["id", "severity", "title"],
  },
  check: { matches: (s) => hasKeys(s, ["id", "status", "detail"]), keep: ["id", "status", "detail"] },
};

/** The identifying fields of a shared shape. */
function only(s: JsonSchema, keep: string[]): JsonSchema {
  const properties = Object.fromEntries(Object.entries(s.properties ?? {}).filter(([k]) => keep.includes(k)));
  return { ...s, properties };
}

function hasKeys(s: JsonSchema, keys: string[]): boolean {
  const props = s.properties;
  return Boolean(props) && keys.every((k) => props && k in props);
}

/**
 * The listed output schema: top-level fields with their types (which of them are always present is left out); a
 * shared shape that occurs more than once is described once under $defs and referenced, one that occurs once is
 * written in place (a reference would only add bytes).
 */
export function compactOutputSchema(schema: z.ZodType): JsonSchema {
  const full = z.toJSONSchema(schema, { target: "draft-7", io: "output" }) as JsonSchema;
  const defs: Record<string, JsonSchema> = {};
  const root = summarise(full, 0, defs);
  const uses = new Map<string, number>();
  JSON.stringify(root, (k, v) => {
    if (k === "$ref") uses.set(v, (uses.get(v) ?? 0) + 1);
    return v;
  });
  const once = (ref: string) => uses.get(ref) === 1;
  const inlined = inlineRefs(root, defs, once) as JsonSchema;
  const kept = Object.fromEntries(Object.entries(defs).filter(([name]) => !once(`#/$defs/${name}`)));
  return Object.keys(kept).length ? { ...inlined, $defs: kept } : inlined;
}

function inlineRefs(s: unknown, defs: Record<string, JsonSchema>, once: (ref: string) => boolean): unknown {
  if (Array.isArray(s)) return s.map((x) => inlineRefs(x, defs, once));
  if (!s || typeof s !== "object") return s;
  const ref = (s as JsonSchema).$ref;
  if (typeof ref === "string" && once(ref)) return defs[ref.slice("#/$defs/".length)];
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, inlineRefs(v, defs, once)]));
}

function summarise(s: JsonSchema, depth: number, defs: Record<string, JsonSchema>, shared = true): JsonSchema {
  const described = (o: JsonSchema): JsonSchema =>
    s.description && depth <= OUTPUT_DEPTH ? { description: s.description, ...o } : o;
  if (s.anyOf) {
    const parts = s.anyOf.map((p) => summarise(p, depth, defs));
    const simple = parts.every((p) => Object.keys(p).length === 1 && typeof p.type === "string");
    return described(simple ? { type: [...new Set(parts.map((p) => p.type as string))] } : { anyOf: parts });
  }
  if (s.type === "array") {
    return described(s.items ? { type: "array", items: summarise(s.items, depth, defs) } : { type: "array" });
  }
  if (s.type === "object" || s.properties) {
    for (const [name, { matches, keep }] of Object.entries(SHARED)) {
      if (!shared || !matches(s)) continue;
      defs[name] ??= summarise(only(s, keep), 0, defs, false);
      return { $ref: `#/$defs/${name}` };
    }
    if (depth > OUTPUT_DEPTH || !s.properties) return described({ type: "object" });
    const properties: Record<string, JsonSchema> = {};
    for (const [k, v] of Object.entries(s.properties)) properties[k] = summarise(v, depth + 1, defs);
    return described({ type: "object", properties });
  }
  const out: JsonSchema = {};
  // An enum or a const says the type already.
  const keys = s.enum !== undefined || s.const !== undefined ? ["enum", "const"] : ["type"];
  for (const k of keys) if (s[k] !== undefined) out[k] = s[k];
  return described(out);
}

/** A GUID field says so by its standard format rather than by a 70-character pattern (zod still checks it). */
function compactInput(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(compactInput);
  if (!s || typeof s !== "object") return s;
  const o = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, compactInput(v)])) as JsonSchema;
  if (o.pattern === GUID_RE.source) {
    delete o.pattern;
    delete o.maxLength;
    o.format = "uuid";
  }
  return o;
}

/** One tools/list entry. */
export function listedTool(tool: ToolDefinition): Tool {
  const { $schema: _, ...full } = z.toJSONSchema(tool.inputSchema, { target: "draft-7", io: "input" });
  const inputSchema = compactInput(full);
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: inputSchema as Tool["inputSchema"],
    outputSchema: compactOutputSchema(tool.outputSchema) as Tool["outputSchema"],
    // The title is said once, at the top (annotations.title would repeat it).
    annotations: { ...tool.annotations },
  };
}
