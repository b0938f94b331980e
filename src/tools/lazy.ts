// Tools without importing them: tools/list is answered from cards (name, annotations, toolsets and the listed
// definition), written at build time to dist/tools/manifest.json, and a tool's module — with everything its
// handler needs — is imported on the tool's first call. Starting the server then costs no tool code at all.
import { readFileSync } from "node:fs";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { isWriteTool, type ToolAnnotations, type ToolDefinition, type Toolset } from "./define.js";
import { listedTool } from "./listing.js";
import { selectTools } from "./toolsets.js";

/** What the server knows of a tool before its first call. */
export interface ToolCard {
  name: string;
  annotations: ToolAnnotations;
  toolsets?: readonly Toolset[];
  /** Present (true) for a tool that answers in one call: the prompt does not list it among the step tools. */
  oneCall?: boolean;
  /** The tools/list entry. */
  listing: Tool;
}

/** Set in the bundled build (esbuild `define`, scripts/bundle.mjs); absent in tsc's output and the sources. */
declare const WI_DOCTOR_BUNDLED: boolean | undefined;

/**
 * The extension a tool's module is imported with: `.ts` in the bundle (esbuild matches the pattern against the
 * source files) and when running from the sources (tests); `.js` in tsc's output.
 */
const EXT = typeof WI_DOCTOR_BUNDLED !== "undefined" || import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/**
 * A tool's module, by its file name: the tool's name (src/tools/<name>.ts). Tool names are snake_case with at least
 * two words and no other file here has an underscore, so `./<verb>_<rest>` names exactly the tool files: esbuild
 * bundles the pattern as one lazy chunk per tool file, and nothing lists the modules by hand.
 * test/lazy-tools.test.ts checks that the files and the registry agree.
 */
function importModule(name: string): Promise<Record<string, unknown>> {
  const cut = name.indexOf("_");
  // The pattern ends in a variable extension, which Vite (the tests) does not glob: it imports the path as given.
  return import(/* @vite-ignore */ `./${name.slice(0, cut)}_${name.slice(cut + 1)}${EXT}`);
}

/** A tool's name as its module's file name must spell it: snake_case, at least two words. */
export const TOOL_NAME = /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/;

/** The definition of a listed tool, from its own module; undefined for a name that is not among `names`. */
export async function importTool(name: string, names: readonly string[]): Promise<ToolDefinition | undefined> {
  if (!TOOL_NAME.test(name) || !names.includes(name)) return undefined;
  const exported = Object.values(await importModule(name));
  return exported.find((v): v is ToolDefinition => (v as ToolDefinition | undefined)?.name === name);
}

/** The listed tools and, on demand, their definitions. */
export interface ToolSource {
  cards(): Promise<readonly ToolCard[]>;
  /** A listed tool's definition; undefined for a name that is not listed (unknown, or a write tool not allowed). */
  load(name: string): Promise<ToolDefinition | undefined>;
}

export interface Selection {
  allowWrites?: boolean;
  toolsets?: readonly Toolset[];
}

/** The cards a server with this selection lists: its toolsets, and write tools only when allowed. */
export function selectCards<T extends ToolCard | ToolDefinition>(items: readonly T[], selection: Selection): T[] {
  const selected = selectTools(items, selection.toolsets);
  return selection.allowWrites ? selected : selected.filter((t) => !isWriteTool(t));
}

/** Cards set into a bundled build (esbuild `define`); absent otherwise. */
declare const WI_DOCTOR_TOOL_CARDS: ToolCard[] | undefined;

/** The cards written at build time next to this module, or undefined (running from the sources). */
export function builtCards(): ToolCard[] | undefined {
  if (typeof WI_DOCTOR_TOOL_CARDS !== "undefined") return WI_DOCTOR_TOOL_CARDS;
  try {
    return JSON.parse(readFileSync(new URL("./manifest.json", import.meta.url), "utf8")) as ToolCard[];
  } catch {
    return undefined;
  }
}

/** A tool's card: what tools/list needs of it. */
export function toolCard(tool: ToolDefinition): ToolCard {
  const card: ToolCard = {
    name: tool.name,
    annotations: tool.annotations,
    toolsets: tool.toolsets,
    listing: listedTool(tool),
  };
  if (tool.oneCall) card.oneCall = true;
  return card;
}

/** The registry's cards, made once per process: listing a tool compiles its schemas, and the registry is fixed. */
let registry: Promise<readonly ToolCard[]> | undefined;

/** The registry's cards, made from the tool modules (running from the sources, where no cards were built). */
export function registryCards(): Promise<readonly ToolCard[]> {
  registry ??= import("./index.js").then(({ allTools }) => allTools.map(toolCard));
  return registry;
}

/** Tools given as definitions (tests, the HTTP server): listed and called as they are. */
export function definitionSource(tools: readonly ToolDefinition[]): ToolSource {
  let cards: ToolCard[] | undefined;
  return {
    cards: async () => {
      cards ??= tools.map(toolCard);
      return cards;
    },
    load: async (name) => tools.find((t) => t.name === name),
  };
}

/**
 * Tools listed from the built cards (from the sources: cards made from the registry on first use), each imported
 * on its first call.
 */
export function lazyToolSource(
  selection: Selection,
  built: readonly ToolCard[] | undefined = builtCards(),
): ToolSource {
  let selected: Promise<ToolCard[]> | undefined;
  const cards = () => {
    selected ??= (built ? Promise.resolve(built) : registryCards()).then((all) => selectCards(all, selection));
    return selected;
  };
  const loaded = new Map<string, Promise<ToolDefinition | undefined>>();
  return {
    cards,
    async load(name) {
      const names = (await cards()).map((c) => c.name);
      if (!names.includes(name)) return undefined;
      if (!loaded.has(name)) loaded.set(name, importTool(name, names));
      return loaded.get(name);
    },
  };
}
