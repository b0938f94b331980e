// One error type for every provider, so a failing call becomes a clear skipped/error check, never a crash.
import { setMaxListeners } from "node:events";
import { failed, type Gathered, ok, skipped } from "../model/gathered.js";

export type ProviderErrorKind =
  | "no-credential" // nothing to authenticate with: skip, and say how to provide one
  | "unauthorized" // 401: the credential was rejected
  | "forbidden" // 403: authenticated, but not allowed; say which permission grants it
  | "not-found" // 404
  | "timeout"
  | "cancelled"
  | "unavailable" // network error, 5xx, throttled after retries
  | "invalid-response"; // the service answered something we could not read

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly status?: number,
    /** What to grant or configure to make this call succeed (for forbidden / no-credential). */
    readonly remedy?: string,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}

/**
 * A signal that aborts on the caller's signal or after `ms`, and a function that releases it. The deadline is a
 * plain timer held by the event loop: signals made with AbortSignal.timeout and AbortSignal.any can be garbage
 * collected before they fire (and then never fire), which under memory pressure turns a deadline into a hang.
 */
export function deadline(ms: number, parent?: AbortSignal): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onParent = () => controller.abort(parent?.reason);
  // A diagnosis hangs dozens of concurrent calls on one caller's signal: that is by design, not a leak.
  if (parent) setMaxListeners(0, parent);
  const timer = setTimeout(() => controller.abort(new ProviderError("timeout", `no answer within ${ms} ms`)), ms);
  if (parent?.aborted) onParent();
  else parent?.addEventListener("abort", onParent, { once: true });
  return {
    signal: controller.signal,
    release() {
      clearTimeout(timer);
      parent?.removeEventListener("abort", onParent);
    },
  };
}

/** Run `fn` with a deadline; a timeout or cancellation becomes a ProviderError. */
export async function withTimeout<T>(
  what: string,
  ms: number,
  parent: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { signal, release } = deadline(ms, parent);
  let onAbort: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        parent?.aborted
          ? new ProviderError("cancelled", `${what}: cancelled`)
          : new ProviderError("timeout", `${what}: no answer within ${ms} ms`),
      );
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  // The race may be decided by fn; a later abort must not leave a rejected promise nobody awaits.
  expired.catch(() => undefined);
  try {
    return await Promise.race([fn(signal), expired]);
  } finally {
    release();
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Run a provider call and turn its outcome into a fact: ok, skipped (no credential, not allowed:
 * we could not look) or error (we looked and the call failed).
 */
export async function gather<T>(what: string, fn: () => Promise<T>): Promise<Gathered<T>> {
  try {
    return ok(await fn());
  } catch (err) {
    if (err instanceof ProviderError) {
      const text = `${what}: ${err.message}${err.remedy ? ` (${err.remedy})` : ""}`;
      if (err.kind === "no-credential" || err.kind === "forbidden" || err.kind === "unauthorized") return skipped(text);
      if (err.kind === "cancelled") throw err;
      return failed(text);
    }
    return failed(`${what}: ${(err as Error)?.message ?? String(err)}`);
  }
}
