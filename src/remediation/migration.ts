// The migration plan's steps as write tool calls: a step an existing write tool can make carries
// `remediation: { tool, arguments }` (its dry run), so an agent applies the plan one reviewed step at a time.
// Steps without one (cluster updates, new service accounts, deleting bindings) are done by their commands.
import type { Remediation } from "../diagnosis/types.js";

interface StepView {
  kind: string;
  change?: Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);
const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function serviceAccountStep(c: Record<string, unknown>): Remediation | undefined {
  const namespace = str(c.namespace);
  const name = str(c.name);
  // A service account that does not exist yet is created by the step's commands first.
  if (!namespace || !name || c.create === true) return undefined;
  return {
    tool: "annotate_service_account",
    arguments: { namespace, serviceAccount: name, annotations: rec(c.annotations) },
  };
}

function federatedCredentialStep(c: Record<string, unknown>): Remediation | undefined {
  const subject = str(c.subject);
  const m = subject ? /^system:serviceaccount:([^:]+):([^:]+)$/.exec(subject) : null;
  const identity = rec(c.identity);
  const audience = Array.isArray(c.audiences) ? str(c.audiences[0]) : undefined;
  if (!m || !str(c.issuer) || !str(identity.clientId)) return undefined;
  return {
    tool: "set_federated_credential",
    arguments: {
      namespace: m[1],
      serviceAccount: m[2],
      identityClientId: identity.clientId,
      ...(str(c.name) ? { name: c.name } : {}),
      issuer: c.issuer,
      subject,
      ...(audience ? { audience } : {}),
    },
  };
}

function podTemplateStep(c: Record<string, unknown>): Remediation | undefined {
  const namespace = str(c.namespace);
  const w = rec(c.workload);
  const kind = str(w.kind);
  const name = str(w.name);
  if (!namespace || !kind || !name) return undefined;
  // label_pod_template sets labels only: a step that also adds annotations or changes the service account is not it.
  if (Object.keys(rec(c.addAnnotations)).length) return undefined;
  if (c.serviceAccountName !== undefined && c.serviceAccountName !== c.currentServiceAccountName) return undefined;
  const labels: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(rec(c.addLabels))) if (typeof v === "string") labels[k] = v;
  for (const k of Array.isArray(c.removeLabels) ? c.removeLabels : []) if (typeof k === "string") labels[k] = null;
  if (!Object.keys(labels).length) return undefined;
  return {
    tool: "label_pod_template",
    arguments: { namespace, workload: `${kind.toLowerCase()}/${name}`, labels },
  };
}

/** The write tool call that makes this migration step, when one does. */
export function migrationStepRemediation(step: StepView): Remediation | undefined {
  const c = rec(step.change);
  switch (c.type) {
    case "service-account":
      return serviceAccountStep(c);
    case "federated-credential":
      return federatedCredentialStep(c);
    case "pod-template":
      return podTemplateStep(c);
    default:
      return undefined;
  }
}
