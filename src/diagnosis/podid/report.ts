// The aad-pod-identity report: the checks over the gathered facts, ranked, with the target check first and the
// verdict, the same shape the AKS and EKS reports have. Pure: no I/O.
import { rankFindings, type Report, runChecks, targetCheck, verdictFields } from "../types.js";
import { PODID_ROOT_CAUSE_ORDER, podIdChecks } from "./checks.js";
import type { PodIdFacts } from "./facts.js";

export function diagnosePodIdentityFacts(facts: PodIdFacts): Report {
  const { findings, checks } = runChecks(podIdChecks, facts);
  const ranked = rankFindings(findings, PODID_ROOT_CAUSE_ORDER);
  const wl = facts.workload;
  checks.unshift(
    targetCheck(
      facts.podMissing ?? (wl && wl.status !== "ok" ? `the workload could not be read: ${wl.reason}` : undefined),
    ),
  );
  return { ...verdictFields(ranked, checks), platform: "aks", target: facts.target, findings: ranked, checks };
}
