// Every mechanism's check tables in one place, keyed like src/diagnosis/confirms.ts's registries: what
// checks.test.ts runs, and what it holds the registries against (a check without a table fails).
import type { registries } from "../../src/diagnosis/confirms.js";
import { aksTables } from "./aks/tables.js";
import { aksBindingTables } from "./aks/tables-bindings.js";
import { eksTables } from "./eks/tables.js";
import { eksPodTables } from "./eks/tables-pods.js";
import { eksPodIdentityTables } from "./eks/tables-pod-identity.js";
import { eksTrustTables } from "./eks/tables-trust.js";
import { podIdTables } from "./podid/tables.js";
import { podIdMicTables } from "./podid/tables-mic.js";
import type { Table } from "./rule-tester.js";

/** A table of any mechanism's facts (each part is typed by its own facts where it is written). */
type AnyTable = Table<unknown>;

/** Each mechanism's tables, as separate parts (a check id in two parts is a mistake the test reports). */
export const tableParts: Record<keyof typeof registries, Partial<Record<string, AnyTable>>[]> = {
  aks: [aksTables, aksBindingTables],
  eks: [eksTables, eksTrustTables, eksPodTables, eksPodIdentityTables],
  podid: [podIdTables, podIdMicTables],
};

/** Checks that can never run on facts (what they would read is not reachable through any API): skipped tables only. */
export const NEVER_RUNS: readonly string[] = ["podid.iptables-rule"];
