/**
 * The dependency arrows of the house (docs/architecture.md), checked by `npm run lint:arrows`.
 *
 *   cli / server / http  →  tools  →  gather  →  providers  →  SDKs, node:net/http/fs …
 *                               ↘        ↓
 *                                  diagnosis (pure: facts in, findings out)
 *
 * A rule names the edge that must not exist. Type-only imports are erased at build time and do no I/O, so the
 * rules about run-time behaviour (tools → providers, diagnosis → I/O) let them through; the layering rules
 * (providers → diagnosis/tools, gather → tools) do not.
 */
const IO_BUILTINS = "^(node:)?(fs|fs/promises|net|http|https|http2|tls|dns|dns/promises|dgram|child_process|worker_threads|cluster)$";
const IO_PACKAGES = "^node_modules/(@azure|@aws-sdk|@smithy|@kubernetes|jose|agent-base|https-proxy-agent|proxy-from-env|@modelcontextprotocol)/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "tools-no-provider",
      comment:
        "A tool is a thin view over gatherers and checks: it reaches providers only through src/gather. " +
        "Type-only imports (for signatures) are allowed.",
      severity: "error",
      from: { path: "^src/tools/" },
      to: { path: "^src/providers/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "providers-no-diagnosis-or-tools",
      comment: "Providers do I/O and translate errors; they know nothing of checks or tools (not even their types).",
      severity: "error",
      from: { path: "^src/providers/" },
      to: { path: "^src/(diagnosis|tools)/" },
    },
    {
      name: "diagnosis-no-io-modules",
      comment:
        "Checks are pure: facts in, findings out. No providers, gatherers, simulator or transports at run time " +
        "(type-only imports are fine).",
      severity: "error",
      from: { path: "^src/diagnosis/" },
      to: {
        path: "^src/(providers|gather|tools|sim|http|capture|audit|bench|cli)/|^src/(server|transport|cli|demo)\\.ts$",
        dependencyTypesNot: ["type-only"],
      },
    },
    {
      name: "diagnosis-no-io-builtins",
      comment: "Checks are pure: no file, network or process I/O from node built-ins (type-only imports are fine).",
      severity: "error",
      from: { path: "^src/diagnosis/" },
      to: { dependencyTypes: ["core"], path: IO_BUILTINS, dependencyTypesNot: ["type-only"] },
    },
    {
      name: "diagnosis-no-sdk",
      comment: "Checks are pure: cloud and Kubernetes SDKs only as `import type`.",
      severity: "error",
      from: { path: "^src/diagnosis/" },
      to: { path: IO_PACKAGES, dependencyTypesNot: ["type-only"] },
    },
    {
      name: "gather-no-tools",
      comment: "Gatherers sit below the tools: no tool schemas, handlers or rendering (not even their types).",
      severity: "error",
      from: { path: "^src/gather/" },
      to: { path: "^src/tools/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|test|scripts)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".d.ts", ".json"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
