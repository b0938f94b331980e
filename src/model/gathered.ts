// The outcome of reading one fact: shared vocabulary of the providers (which produce it) and the diagnosis (which
// reads it). Pure data, no I/O.

/**
 * The outcome of gathering one fact from the world. `skipped` means we could not look
 * (no credential, no permission, not applicable) and says why and how to grant access;
 * `error` means we looked and the call failed.
 */
export type Gathered<T> =
  | { status: "ok"; value: T }
  | { status: "skipped"; reason: string }
  | { status: "error"; reason: string };

export const ok = <T>(value: T): Gathered<T> => ({ status: "ok", value });
export const skipped = <T>(reason: string): Gathered<T> => ({ status: "skipped", reason });
export const failed = <T>(reason: string): Gathered<T> => ({ status: "error", reason });

export function valueOf<T>(g: Gathered<T> | undefined): T | undefined {
  return g && g.status === "ok" ? g.value : undefined;
}
