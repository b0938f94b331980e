// The aad-pod-identity report: the registry's one pipeline (src/diagnosis/podid/index.ts), under the name the
// gatherer and the inspect tool use. Pure: no I/O.
import type { Report } from "../types.js";
import type { PodIdFacts } from "./facts.js";
import { diagnosePodIdFacts } from "./index.js";

export function diagnosePodIdentityFacts(facts: PodIdFacts): Report {
  return diagnosePodIdFacts(facts);
}
