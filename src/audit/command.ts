// `wi-doctor audit`: one cluster, or several kube contexts merged into one report.
import type { CliStreams } from "../cli/io.js";
import type { Environment } from "../providers/environment.js";
import { type AuditResult, auditCluster, mergeAudits } from "./index.js";

export interface AuditCommandOptions {
  namespace?: string;
  allNamespaces?: boolean;
  context?: string[];
  cursor?: string;
  pageSize?: number;
  json?: boolean;
  scenario?: string;
}

/** Audit and print to io (the command line's streams); returns the exit code: 0 healthy, 1 broken, 2 inconclusive. */
export async function runAudit(
  opts: AuditCommandOptions,
  open: (context: string | undefined) => Promise<{ env: Environment; close?: () => Promise<void> }>,
  io: Pick<CliStreams, "stdout" | "stderr">,
): Promise<number> {
  if (opts.namespace && opts.allNamespaces) throw new Error("choose one of --namespace and --all-namespaces");
  const contexts: (string | undefined)[] = opts.context?.length ? opts.context : [undefined];
  if (opts.scenario && contexts.length > 1) throw new Error("--context may be repeated only against live clusters");
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  const results: AuditResult[] = [];
  try {
    for (const context of contexts) {
      const world = await open(context);
      try {
        results.push(
          await auditCluster(world.env, {
            namespace: opts.namespace,
            signal: controller.signal,
            context: world.env.kubeconfig?.getCurrentContext() || context,
            progress: async (message, done, total) => {
              if (!opts.json && io.stderr.isTTY) io.stderr.write(`… ${message}${total ? ` (${done}/${total})` : ""}\n`);
            },
          }),
        );
      } finally {
        await world.close?.();
      }
    }
  } finally {
    process.off("SIGINT", onSignal);
  }
  const { pageOf, renderAudit } = await import("../tools/audit_cluster.js");
  const merged = results.length === 1 ? results[0] : mergeAudits(results);
  const page = pageOf(merged, opts.cursor, opts.pageSize ?? 25);
  io.stdout.write(`${opts.json ? JSON.stringify(page, null, 2) : renderAudit(page)}\n`);
  return merged.verdict === "healthy" ? 0 : merged.verdict === "broken" ? 1 : 2;
}
