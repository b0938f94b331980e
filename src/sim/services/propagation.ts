// An optional propagation delay: for a while after a federated credential or a trust policy is written, the token
// service answers as if it had not seen the change (Entra documents "a few seconds, sometimes minutes"), so a
// client's re-verify loop is exercised. Off unless the scenario (`faults.propagationDelayMs`) or a test sets it.
import type { SimWorld } from "../world.js";

interface Propagation {
  delayMs: number;
  /** Key (Entra client id, IAM role name, lowercase) → when the last write becomes visible. */
  visibleAt: Map<string, number>;
}

const state = new WeakMap<SimWorld, Propagation>();

export function setPropagationDelay(world: SimWorld, delayMs: number): void {
  state.set(world, { delayMs, visibleAt: state.get(world)?.visibleAt ?? new Map() });
}

/** A write that the token service only sees after the delay (the test's, else the scenario's). */
export function noteWrite(world: SimWorld, key: string): void {
  const delayMs = state.get(world)?.delayMs ?? world.scenario.faults.propagationDelayMs ?? 0;
  if (delayMs <= 0) return;
  const p = state.get(world) ?? { delayMs, visibleAt: new Map<string, number>() };
  state.set(world, p);
  p.visibleAt.set(key.toLowerCase(), Date.now() + delayMs);
}

/** Whether the last write under this key is not visible yet. */
export function propagating(world: SimWorld, key: string): boolean {
  const at = state.get(world)?.visibleAt.get(key.toLowerCase());
  return at !== undefined && Date.now() < at;
}
