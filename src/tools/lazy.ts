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
  /** The tools/list entry. */
  listing: Tool;
}

/** Where each tool is defined (file name = tool name); test/tools-list.test.ts checks it against the registry. */
export const TOOL_MODULES: Record<string, () => Promise<Record<string, unknown>>> = {
  diagnose_workload_identity: () => import("./diagnose_workload_identity.js"),
  show_cluster_oidc: () => import("./show_cluster_oidc.js"),
  list_federated_credentials: () => import("./list_federated_credentials.js"),
  inspect_service_account: () => import("./inspect_service_account.js"),
  inspect_workload: () => import("./inspect_workload.js"),
  check_webhook: () => import("./check_webhook.js"),
  inspect_token: () => import("./inspect_token.js"),
  test_token_exchange: () => import("./test_token_exchange.js"),
  check_role_assignments: () => import("./check_role_assignments.js"),
  check_keyvault_access: () => import("./check_keyvault_access.js"),
  explain_error: () => import("./explain_error.js"),
  inspect_pod_identity: () => import("./inspect_pod_identity.js"),
  plan_migration: () => import("./plan_migration.js"),
  inspect_iam_role: () => import("./inspect_iam_role.js"),
  audit_cluster: () => import("./audit_cluster.js"),
  set_federated_credential: () => import("./set_federated_credential.js"),
  annotate_service_account: () => import("./annotate_service_account.js"),
  label_pod_template: () => import("./label_pod_template.js"),
  restart_workload: () => import("./restart_workload.js"),
  update_role_trust_policy: () => import("./update_role_trust_policy.js"),
  create_pod_identity_association: () => import("./create_pod_identity_association.js"),
  create_role_assignment: () => import("./create_role_assignment.js"),
  add_keyvault_access_policy: () => import("./add_keyvault_access_policy.js"),
  add_keyvault_network_rule: () => import("./add_keyvault_network_rule.js"),
  set_iam_oidc_provider: () => import("./set_iam_oidc_provider.js"),
  set_secret_provider_class_client_id: () => import("./set_secret_provider_class_client_id.js"),
  set_azure_identity_binding: () => import("./set_azure_identity_binding.js"),
};

/** The definition of a tool, from its own module. */
export async function importTool(name: string): Promise<ToolDefinition | undefined> {
  const load = Object.hasOwn(TOOL_MODULES, name) ? TOOL_MODULES[name] : undefined;
  if (!load) return undefined;
  const exported = Object.values(await load());
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
  return { name: tool.name, annotations: tool.annotations, toolsets: tool.toolsets, listing: listedTool(tool) };
}

/** The registry's cards, made from the tool modules (running from the sources, where no cards were built). */
export async function registryCards(): Promise<ToolCard[]> {
  const { allTools } = await import("./index.js");
  return allTools.map(toolCard);
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
export function lazyToolSource(selection: Selection, built: ToolCard[] | undefined = builtCards()): ToolSource {
  let selected: Promise<ToolCard[]> | undefined;
  const cards = () => {
    selected ??= (built ? Promise.resolve(built) : registryCards()).then((all) => selectCards(all, selection));
    return selected;
  };
  const loaded = new Map<string, Promise<ToolDefinition | undefined>>();
  return {
    cards,
    async load(name) {
      if (!(await cards()).some((c) => c.name === name)) return undefined;
      if (!loaded.has(name)) loaded.set(name, importTool(name));
      return loaded.get(name);
    },
  };
}
