// The steps of a migration plan that switch a workload to workload identity, prove it, and take pod identity
// away afterwards (src/diagnosis/podid/migration.ts decides which steps each binding and workload gets).
import { sh, WI_USE_LABEL } from "../aks/names.js";
import {
  type AzureIdentityView,
  type BindingView,
  identityForBinding,
  PODID_GROUP,
  PODID_LABEL,
  PODID_VERSION,
} from "./facts.js";
import {
  DEFAULT_PROXY_PORT,
  INJECT_PROXY_SIDECAR,
  type MigrationFacts,
  type MigrationStep,
  type MigrationWorkload,
  type PlannedBinding,
  PROXY_SIDECAR_PORT,
} from "./migration-types.js";
import type { SdkAssessment } from "./sdk.js";

export type PlanStep = Omit<MigrationStep, "order">;

export const ficName = (ns: string, sa: string) =>
  `${ns}-${sa}`
    .replace(/[^A-Za-z0-9_-]/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 120) || "workload-identity";

export function patchTemplate(kind: string, template: Record<string, unknown>): string {
  const body =
    kind.toLowerCase() === "cronjob" ? { spec: { jobTemplate: { spec: { template } } } } : { spec: { template } };
  return sh(JSON.stringify(body));
}

/** KIND/NAME of a workload as one shell word. */
export const ref = (w: { kind: string; name: string }) => sh(`${w.kind.toLowerCase()}/${w.name}`);
const rollable = (kind: string) => ["deployment", "statefulset", "daemonset"].includes(kind.toLowerCase());

export function yamlOf(lines: (string | false | undefined)[]): string {
  return lines.filter((l): l is string => typeof l === "string").join("\n");
}

/** What planning has decided by the time the steps are written (src/diagnosis/podid/migration.ts). */
export interface PlanSoFar {
  facts: MigrationFacts;
  identities: AzureIdentityView[];
  bindings: BindingView[];
  planned: PlannedBinding[];
  /** Bindings whose every workload got its steps. */
  bindingsDone: BindingView[];
  cleanUp: PlanStep[];
}

/** Check the identity libraries, or add the migration sidecar for those too old for workload identity. */
export function checkSdkStep(w: MigrationWorkload, sdk: SdkAssessment[], proxySidecar: boolean): PlanStep | undefined {
  const unknown = sdk.filter((s) => s.status === "unknown");
  const manual = sdk.filter((s) => s.status === "manual-login");
  if (!unknown.length && !manual.length && !proxySidecar) return undefined;
  return {
    phase: "switch",
    kind: "check-sdk",
    description: [
      `${w.namespace}/${ref(w)}:`,
      ...sdk
        .filter((s) => s.status !== "ok")
        .map((s) => `container ${s.container} (${s.image ?? "no image"}): ${s.note}.`),
      proxySidecar
        ? "The plan adds the migration sidecar, which answers the old IMDS requests with workload identity tokens until the library is upgraded (Linux pods only)."
        : `If a library turns out too old, add the migration sidecar with the command below.`,
    ].join(" "),
    commands: proxySidecar
      ? []
      : [
          `kubectl patch ${ref(w)} -n ${sh(w.namespace)} --type=merge -p ${patchTemplate(w.kind, {
            metadata: {
              annotations: { [INJECT_PROXY_SIDECAR]: "true", [PROXY_SIDECAR_PORT]: DEFAULT_PROXY_PORT },
            },
          })}`,
        ],
  };
}

/** Label the pod template and run it as the service account, roll it out, and prove it works. */
export function switchTemplateSteps(
  w: MigrationWorkload,
  b: BindingView,
  sa: string,
  proxySidecar: boolean,
): PlanStep[] {
  const steps: PlanStep[] = [];
  const addAnnotations: Record<string, string> = proxySidecar
    ? { [INJECT_PROXY_SIDECAR]: "true", [PROXY_SIDECAR_PORT]: DEFAULT_PROXY_PORT }
    : {};
  const templateChange = {
    metadata: { labels: { [WI_USE_LABEL]: "true" }, ...(proxySidecar ? { annotations: addAnnotations } : {}) },
    spec: { serviceAccountName: sa },
  };
  steps.push({
    phase: "switch",
    kind: "switch-pod-template",
    description: `Label the pod template of ${w.namespace}/${ref(w)} for workload identity and run it as ${sa}. The ${PODID_LABEL} label stays for now, so pod identity still answers if anything goes wrong.`,
    commands: [
      `kubectl patch ${ref(w)} -n ${sh(w.namespace)} --type=merge -p ${patchTemplate(w.kind, templateChange)}`,
    ],
    manifest: yamlOf([
      "# in the pod template (spec.template):",
      "metadata:",
      "  labels:",
      `    ${WI_USE_LABEL}: "true"`,
      `    ${PODID_LABEL}: ${JSON.stringify(b.selector)}   # removed in a later step`,
      proxySidecar && "  annotations:",
      proxySidecar && `    ${INJECT_PROXY_SIDECAR}: "true"`,
      proxySidecar && `    ${PROXY_SIDECAR_PORT}: "${DEFAULT_PROXY_PORT}"`,
      "spec:",
      `  serviceAccountName: ${sa}`,
    ]),
    change: {
      type: "pod-template",
      namespace: w.namespace,
      workload: { kind: w.kind, name: w.name },
      serviceAccountName: sa,
      currentServiceAccountName: w.podTemplate.spec?.serviceAccountName || "default",
      addLabels: { [WI_USE_LABEL]: "true" },
      removeLabels: [],
      addAnnotations,
    },
  });
  steps.push({
    phase: "switch",
    kind: "roll-out",
    description: rollable(w.kind)
      ? `Wait for ${w.namespace}/${ref(w)} to roll out: the webhook mutates the new pods.`
      : `${w.kind} ${w.namespace}/${w.name} picks up the template on its next run.`,
    commands: rollable(w.kind) ? [`kubectl rollout status ${ref(w)} -n ${sh(w.namespace)} --timeout=10m`] : [],
  });
  steps.push({
    phase: "verify",
    kind: "verify",
    description: `Prove ${w.namespace}/${ref(w)} now gets its tokens through workload identity: the pods carry the injected variables and token volume, the full diagnosis is healthy, the application logs show no authentication errors, and NMI no longer serves these pods.`,
    commands: [
      `kubectl get pods -n ${sh(w.namespace)} -l ${WI_USE_LABEL}=true -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.containers[*].env[?(@.name=="AZURE_FEDERATED_TOKEN_FILE")].value}{"\\n"}{end}'`,
      `wi-doctor diagnose --namespace ${sh(w.namespace)} --workload ${sh(`${w.kind}/${w.name}`)}`,
      `kubectl logs ${ref(w)} -n ${sh(w.namespace)} --since=15m | grep -iE 'AADSTS|ManagedIdentityCredential|WorkloadIdentityCredential|401|403'`,
      `kubectl logs -n kube-system -l component=nmi --since=15m | grep ${sh(`${w.namespace}/`)}`,
    ],
  });
  return steps;
}

/** Only after the verification: take the workload off pod identity. */
export function removeLabelStep(w: MigrationWorkload): PlanStep {
  return {
    phase: "clean-up",
    kind: "remove-pod-identity-label",
    description: `Only after the verification passes: take ${w.namespace}/${ref(w)} off pod identity by removing the ${PODID_LABEL} label from its pod template, and roll it once more.`,
    commands: [
      `kubectl patch ${ref(w)} -n ${sh(w.namespace)} --type=merge -p ${patchTemplate(w.kind, { metadata: { labels: { [PODID_LABEL]: null } } })}`,
      ...(rollable(w.kind) ? [`kubectl rollout status ${ref(w)} -n ${sh(w.namespace)} --timeout=10m`] : []),
    ],
    change: {
      type: "pod-template",
      namespace: w.namespace,
      workload: { kind: w.kind, name: w.name },
      addLabels: {},
      removeLabels: [PODID_LABEL],
      addAnnotations: {},
    },
  };
}

/** Bindings and identities go last, and only those nothing else still uses; then aad-pod-identity itself. */
export function cleanUpSteps(plan: PlanSoFar): void {
  const doneKeys = new Set(plan.bindingsDone.map((b) => `${b.namespace}/${b.name}`));
  deleteBindingSteps(plan);
  deleteIdentitySteps(plan, doneKeys);
  const c = plan.facts.cluster;
  const everything =
    plan.bindings.length > 0 &&
    plan.bindings.every((b) => doneKeys.has(`${b.namespace}/${b.name}`)) &&
    !plan.facts.namespace;
  if (everything) {
    plan.cleanUp.push({
      phase: "clean-up",
      kind: "uninstall-pod-identity",
      description:
        "Every binding is migrated: remove aad-pod-identity. Delete the bindings first and give MIC a minute to unassign, so no AzureAssignedIdentity is left holding its finalizer.",
      commands: plan.facts.podIdentityAddon
        ? [
            `az aks update --name ${sh(c?.name ?? "<cluster>")} --resource-group ${sh(c?.resourceGroup ?? "<resource-group>")} --disable-pod-identity`,
          ]
        : [
            "kubectl get azureassignedidentity -A   # wait until this is empty",
            "helm uninstall aad-pod-identity -n kube-system   # or kubectl delete -f the manifest it was installed from",
          ],
    });
  }
}

function deleteBindingSteps(plan: PlanSoFar): void {
  // Bindings and identities go last, and only those nothing else still uses.
  for (const b of plan.bindingsDone) {
    const stillSelected = plan.facts.workloads.some(
      (w) =>
        w.podTemplate.metadata?.labels?.[PODID_LABEL] === b.selector &&
        !plan.planned.some(
          (p) =>
            p.binding === `${b.namespace}/${b.name}` &&
            p.workloads.some((x) => x.namespace === w.namespace && x.kind === w.kind && x.name === w.name),
        ),
    );
    if (stillSelected) continue;
    plan.cleanUp.push({
      phase: "clean-up",
      kind: "delete-binding",
      description: `Delete AzureIdentityBinding ${b.namespace}/${b.name}: no pod template selects it any more. MIC then removes the identity from the nodes (the identity itself stays: workload identity uses it).`,
      commands: [`kubectl delete azureidentitybinding ${sh(b.name)} -n ${sh(b.namespace)}`],
      change: {
        type: "delete",
        apiVersion: `${PODID_GROUP}/${PODID_VERSION}`,
        kind: "AzureIdentityBinding",
        namespace: b.namespace,
        name: b.name,
      },
    });
  }
}

function deleteIdentitySteps(plan: PlanSoFar, doneKeys: Set<string>): void {
  const deletedIdentities = new Set<string>();
  for (const b of plan.bindingsDone) {
    const id = identityForBinding(b, plan.identities);
    if (!id || deletedIdentities.has(`${id.namespace}/${id.name}`)) continue;
    const otherUsers = plan.bindings.filter(
      (o) => o.azureIdentity === id.name && !doneKeys.has(`${o.namespace}/${o.name}`),
    );
    if (otherUsers.length) continue;
    deletedIdentities.add(`${id.namespace}/${id.name}`);
    plan.cleanUp.push({
      phase: "clean-up",
      kind: "delete-azure-identity",
      description: `Delete AzureIdentity ${id.namespace}/${id.name} (the Kubernetes object only; the Azure identity and its role assignments stay).`,
      commands: [`kubectl delete azureidentity ${sh(id.name)} -n ${sh(id.namespace)}`],
      change: {
        type: "delete",
        apiVersion: `${PODID_GROUP}/${PODID_VERSION}`,
        kind: "AzureIdentity",
        namespace: id.namespace,
        name: id.name,
      },
    });
  }
}
