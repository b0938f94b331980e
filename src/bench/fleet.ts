// Fleet figures: an audit of a generated 10,000-pod world (list calls, wall time warm, peak memory), and
// 1,000 MCP calls at concurrency 50 against the HTTP server on loopback.
import { performance } from "node:perf_hooks";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { auditCluster } from "../audit/index.js";
import { startHttpServer } from "../http/server.js";
import { startSimSession } from "../sim/environment.js";
import { loadScenario } from "../sim/scenario.js";
import { fleetScenario } from "./fleet-world.js";

export const FLEET = { namespaces: 50, serviceAccounts: 2000, pods: 10_000, identities: 500, brokenEvery: 20 };

export async function benchAudit(size = FLEET, report: (run: string, r: AuditRun) => void = () => undefined) {
  const session = await startSimSession(fleetScenario(size), { timeoutMs: 60_000 });
  // memoryUsage.rss() reads only the resident size: memoryUsage() also walks the heap, which costs CPU here.
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 50);
  try {
    const run = async (): Promise<AuditRun> => {
      const lists = session.world.stats.byService["kubernetes.list"] ?? 0;
      const requests = session.world.stats.requests;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const r = await auditCluster(session.env, {
        signal: AbortSignal.timeout(3_600_000),
        progress: async () => undefined,
        concurrency: 16,
      });
      return {
        ms: performance.now() - t0,
        cpuMs: cpuMs(process.cpuUsage(cpu0)),
        lists: (session.world.stats.byService["kubernetes.list"] ?? 0) - lists,
        requests: session.world.stats.requests - requests,
        audited: r.summary.audited,
        broken: r.summary.verdicts.broken,
        peakRssMiB: Math.round(peakRss / 1024 / 1024),
      };
    };
    report("cold", await run());
    report("warm", await run());
  } finally {
    clearInterval(sampler);
    await session.close();
  }
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

export interface AuditRun {
  ms: number;
  /** CPU time of this process (client and simulated world both run in it): wall time without other load. */
  cpuMs: number;
  lists: number;
  requests: number;
  audited: number;
  broken: number;
  peakRssMiB: number;
}

export async function benchHttp(calls = 1000, concurrency = 50) {
  const session = await startSimSession(loadScenario("aks-healthy"));
  const http = await startHttpServer({
    host: "127.0.0.1",
    port: 0,
    environment: async () => session.env,
    log: () => undefined,
  });
  const clients = await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const c = new Client({ name: "bench", version: "0.0.0" });
      await c.connect(new StreamableHTTPClientTransport(new URL(http.url)));
      return c;
    }),
  );
  let next = 0;
  let ok = 0;
  let failed = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  try {
    await Promise.all(
      clients.map(async (c) => {
        while (next < calls) {
          const i = next++;
          const s = performance.now();
          try {
            const r = await c.callTool({
              name: "explain_error",
              arguments: { text: `AADSTS700213: No matching federated identity record found (call ${i})` },
            });
            if (r.isError) failed++;
            else ok++;
          } catch {
            failed++;
          }
          latencies.push(performance.now() - s);
        }
      }),
    );
    const ms = performance.now() - t0;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]);
    return { calls, concurrency, ok, failed, lost: calls - ok - failed, ms, p50: pct(0.5), p99: pct(0.99) };
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await http.close();
    await session.close();
  }
}

export async function printFleetBench() {
  const h = await benchHttp();
  console.log(`\n## HTTP: ${h.calls} tools/call (explain_error) at concurrency ${h.concurrency} on loopback\n`);
  console.log(
    `ok ${h.ok}, failed ${h.failed}, lost ${h.lost}; ${Math.round(h.ms)} ms total, ${Math.round((h.calls / h.ms) * 1000)} calls/s, p50 ${h.p50} ms, p99 ${h.p99} ms`,
  );
  console.log(
    `\n## Audit: ${FLEET.pods} pods, ${FLEET.serviceAccounts} service accounts, ${FLEET.identities} identities\n`,
  );
  console.log(
    "| run | wall ms | CPU ms | Kubernetes list calls | requests (all services) | audited | broken | peak RSS MiB |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  await benchAudit(FLEET, (name, r) =>
    console.log(
      `| ${name} | ${Math.round(r.ms)} | ${Math.round(r.cpuMs)} | ${r.lists} | ${r.requests} | ${r.audited} | ${r.broken} | ${r.peakRssMiB} |`,
    ),
  );
}
