// One error type for every provider, so a failing call becomes a clear skipped/error check, never a crash.
import { failed, type Gathered, ok, skipped } from "../diagnosis/types.js";

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

/** A signal that aborts on the caller's signal or after `ms`. */
export function timeoutSignal(ms: number, parent?: AbortSignal): AbortSignal {
  const signals = [AbortSignal.timeout(ms)];
  if (parent) signals.push(parent);
  return AbortSignal.any(signals);
}

/** Run `fn` with a deadline; a timeout or cancellation becomes a ProviderError. */
export async function withTimeout<T>(
  what: string,
  ms: number,
  parent: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const signal = timeoutSignal(ms, parent);
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
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
  deadline.catch(() => undefined);
  try {
    return await Promise.race([fn(signal), deadline]);
  } finally {
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
