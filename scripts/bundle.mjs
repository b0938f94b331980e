// The bundled CLI (esbuild): our modules and the packages every start needs (the MCP SDK, zod, commander) in a few
// files instead of some 1,200, which Node reads and links noticeably faster. ESM with code splitting, so every
// import() stays a separate chunk loaded on demand; the cloud and Kubernetes SDKs and every other package stay
// external (loaded from node_modules when first needed, exactly as the compiled build loads them).
//
//   node scripts/bundle.mjs <entry.ts> <outdir> [cards.json]
import { readFileSync } from "node:fs";
import { build } from "esbuild";

/** Packages inlined into the bundle; every other bare import is left to Node at run time. */
const BUNDLED = /^(@modelcontextprotocol\/sdk|zod|zod-to-json-schema|commander)(\/|$)/;

const externals = {
  name: "externals",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      BUNDLED.test(args.path) ? undefined : { path: args.path, external: true },
    );
  },
};

export async function bundle({ entry, outdir, cards }) {
  return build({
    entryPoints: { cli: entry },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    chunkNames: "chunks/[name]-[hash]",
    // commander is CommonJS: its require() of Node built-ins needs a require in an ES module.
    banner: {
      js: 'import { createRequire as __wiDoctorRequire } from "node:module";\nconst require = __wiDoctorRequire(import.meta.url);',
    },
    // tools/list is answered from these cards without reading a file; WI_DOCTOR_BUNDLED makes src/tools/lazy.ts
    // import a tool's module by its source name, which esbuild's glob of `./<verb>_<rest>` maps to its chunk.
    define: { WI_DOCTOR_BUNDLED: "true", ...(cards ? { WI_DOCTOR_TOOL_CARDS: JSON.stringify(cards) } : {}) },
    plugins: [externals],
    logLevel: "warning",
    metafile: true,
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [entry, outdir, cardsFile] = process.argv.slice(2);
  const cards = cardsFile ? JSON.parse(readFileSync(cardsFile, "utf8")) : undefined;
  await bundle({ entry, outdir, cards });
}
