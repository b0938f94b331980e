// How an EKS check (IRSA or Pod Identity) is declared, and the conditions its `essential` metadata reads.
import { defineCheck, valueOf } from "../../types.js";
import { unread } from "../../aks/checks/define.js";
import type { EksFacts } from "../facts.js";
import { mechanismOf } from "../names.js";

/** Declares an EKS check (documented under docs/findings.md#eks). */
export const eksCheck = defineCheck<EksFacts>("eks");

export { mechanismOf, unread };
export const irsa = (f: EksFacts) => mechanismOf(f) === "irsa";
export const podIdentity = (f: EksFacts) => mechanismOf(f) === "pod-identity";
export const somePods = (f: EksFacts) => unread(f.pods) || (valueOf(f.pods) ?? []).length > 0;
