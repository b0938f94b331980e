// After a write: diagnose the target again. A change Entra or IAM must first see (a federated credential, a trust
// policy, a Pod Identity association) is retried with backoff until it holds or the deadline passes, and reported
// as `propagating` meanwhile: Entra documents that a new credential takes "a few seconds, sometimes minutes".
import { z } from "zod";
import { diagnose } from "../gather/index.js";
import type { Environment } from "../providers/environment.js";
import type { ToolContext } from "../tools/define.js";
import type { WritePlan } from "./contract.js";

export const VerificationSchema = z.object({
  status: z
    .enum(["healthy", "fixed", "propagating", "still-broken", "inconclusive"])
    .describe(
      "healthy: the target's verdict is healthy; fixed: the findings this write addressed are gone (others remain); propagating: the token service does not see the change yet; still-broken: the findings remain",
    ),
  verdict: z.enum(["healthy", "broken", "inconclusive"]),
  attempts: z.number().int(),
  remaining: z.array(z.string()).describe("Error finding ids still raised, root cause first"),
  detail: z.string(),
});
export type Verification = z.infer<typeof VerificationSchema>;

/** The token exchange is what propagation delays. */
const EXCHANGE_FINDINGS = ["exchange.failed"];

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener("abort", stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener("abort", stop, { once: true });
  });
}

export async function verifyAfterApply(
  env: Environment,
  plan: Pick<WritePlan, "verify" | "propagates">,
  ctx: Pick<ToolContext, "signal" | "progress">,
  withinMs: number,
): Promise<Verification> {
  const v = plan.verify;
  if (!v) throw new Error("internal: nothing to verify");
  const deadline = Date.now() + withinMs;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    await ctx.progress(`verifying the change: diagnosis ${attempt}`, attempt);
    const report = await diagnose(env, v.target, { signal: ctx.signal, progress: async () => undefined });
    const remaining = report.findings.filter((f) => f.severity === "error").map((f) => f.id);
    const addressed = remaining.filter((id) => v.fixes.some((f) => (f.endsWith(".") ? id.startsWith(f) : id === f)));
    const waiting = plan.propagates === true && remaining.some((id) => EXCHANGE_FINDINGS.includes(id));
    const base = { verdict: report.verdict, attempts: attempt, remaining };
    if (report.verdict === "healthy") {
      return { ...base, status: "healthy", detail: "the diagnosis of the target is healthy" };
    }
    if (!addressed.length && !waiting) {
      return {
        ...base,
        status: report.verdict === "inconclusive" && !remaining.length ? "inconclusive" : "fixed",
        detail: remaining.length
          ? `the addressed finding is gone; next: ${remaining[0]}`
          : "the addressed finding is gone; the verdict is inconclusive (see the diagnosis's unsettled checks)",
      };
    }
    // A propagating change is asked about at least twice when there is time at all.
    const expired = withinMs <= 0 || (attempt >= 2 && Date.now() + delay > deadline);
    if (!plan.propagates || expired) {
      return {
        ...base,
        status: plan.propagates ? "propagating" : "still-broken",
        detail: plan.propagates
          ? `the token service does not accept the change yet after ${attempt} attempts (${remaining.join(", ")}); it can take minutes: diagnose again later`
          : `still raised: ${[...addressed, ...remaining.filter((r) => !addressed.includes(r))].join(", ")}`,
      };
    }
    await sleep(delay, ctx.signal);
    delay = Math.min(delay * 2, 8000);
  }
}
