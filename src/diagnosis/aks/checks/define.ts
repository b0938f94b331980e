// How an AKS workload identity check is declared, and the conditions its `essential` metadata reads.
import { defineCheck, type Gathered, valueOf } from "../../types.js";
import type { AksFacts } from "../facts.js";

/** Declares an AKS workload identity check (documented under docs/findings.md#aks-workload-identity). */
export const aksCheck = defineCheck<AksFacts>("aks-workload-identity");

/** Whether one of these facts could not be read (an unread fact keeps the checks that need it essential). */
export const unread = (...gs: (Gathered<unknown> | undefined)[]) =>
  gs.some((g) => g !== undefined && g.status !== "ok");

export const vaults = (f: AksFacts) => valueOf(f.keyVaults) ?? [];

/** No pod runs and no workload was read: the pod checks have nothing to look at. */
export const podsCheckNotApplicable = (f: AksFacts) =>
  f.pods.status === "ok" && !f.pods.value.length && !valueOf(f.workload ?? { status: "skipped", reason: "" });
