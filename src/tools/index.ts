// The tool registry: one entry per file in src/tools. Read-only filtering reads the annotations.
import type { ToolDefinition } from "./define.js";

export const allTools: ToolDefinition[] = [];
