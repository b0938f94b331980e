// The move from aad-pod-identity to workload identity, planned from facts. The order keeps every workload able to
// get a token at every step: the new path is built and proven while the old one still works, and only then is
// the old one taken away.
import type { V1Pod, V1PodTemplateSpec } from "@kubernetes/client-node";
import type { FederatedCredentialFacts, IdentityFacts } from "../aks/facts.js";
import { sh, WI_CLIENT_ID, WI_TENANT_ID, WI_USE_LABEL } from "../aks/names.js";
import {
  type AzureIdentityView,
  type BindingView,
  bindingsSelecting,
  identityForBinding,
  PODID_GROUP,
  PODID_LABEL,
  PODID_VERSION,
  parseIdentityResourceId,
  type RawObject,
  readBinding,
  readIdentity,
} from "./facts.js";
import { assessSdk, type SdkAssessment } from "./sdk.js";

export const INJECT_PROXY_SIDECAR = "azure.workload.identity/inject-proxy-sidecar";
export const PROXY_SIDECAR_PORT = "azure.workload.identity/proxy-sidecar-port";
export const DEFAULT_PROXY_PORT = "8000";

export interface MigrationWorkload {
  namespace: string;
  kind: string;
  name: string;
  podTemplate: V1PodTemplateSpec;
  pods?: V1Pod[];
}

export interface MigrationFacts {
  /** Plan for this namespace only; undefined plans every binding. */
  namespace?: string;
  cluster?: {
    name: string;
    resourceGroup: string;
    subscriptionId: string;
    oidcIssuerEnabled: boolean;
    workloadIdentityEnabled: boolean;
    issuerUrl?: string;
  };
  /** The issuer the API server announces: used when ARM cannot be read. */
  apiServerIssuer?: string;
  /** The tenant the webhook injects by default; a tenant-id annotation is added only for identities elsewhere. */
  tenantId?: string;
  audience: string;
  identities: RawObject[];
  bindings: RawObject[];
  workloads: MigrationWorkload[];
  /** Pods with the label that no workload owns (they cannot be rolled, only recreated). */
  barePods?: V1Pod[];
  serviceAccounts: { namespace: string; name: string; annotations: Record<string, string> }[];
  /** ARM's view of the identities AzureIdentities name, keyed by lower-cased resource id. */
  armIdentities: Record<string, IdentityFacts | null>;
  /** Federated credentials that already exist, keyed by lower-cased resource id (or client id for apps). */
  federatedCredentials: Record<string, FederatedCredentialFacts[]>;
  /** Whether aad-pod-identity is installed as the AKS add-on (removed with az aks update). */
  podIdentityAddon?: boolean;
}

export interface PlanIdentity {
  kind: "managedIdentity" | "application";
  name?: string;
  resourceGroup?: string;
  subscriptionId?: string;
  resourceId?: string;
  clientId: string;
}

export type PlanChange =
  | { type: "cluster-features"; cluster: string; resourceGroup: string; oidcIssuer: boolean; workloadIdentity: boolean }
  | { type: "service-account"; namespace: string; name: string; create: boolean; annotations: Record<string, string> }
  | {
      type: "federated-credential";
      identity: PlanIdentity;
      name: string;
      issuer: string;
      subject: string;
      audiences: string[];
    }
  | {
      type: "pod-template";
      namespace: string;
      workload: { kind: string; name: string };
      serviceAccountName?: string;
      addLabels: Record<string, string>;
      removeLabels: string[];
      addAnnotations: Record<string, string>;
    }
  | { type: "delete"; apiVersion: string; kind: string; namespace: string; name: string };

export type StepKind =
  | "enable-cluster-features"
  | "create-service-account"
  | "annotate-service-account"
  | "create-federated-credential"
  | "check-sdk"
  | "switch-pod-template"
  | "roll-out"
  | "verify"
  | "remove-pod-identity-label"
  | "delete-binding"
  | "delete-azure-identity"
  | "uninstall-pod-identity";

export interface MigrationStep {
  order: number;
  phase: "prepare" | "switch" | "verify" | "clean-up";
  kind: StepKind;
  description: string;
  commands: string[];
  manifest?: string;
  /** The change as data, for tools and tests that apply plans. Absent for steps that only look or wait. */
  change?: PlanChange;
}

export interface PlannedWorkload {
  namespace: string;
  kind: string;
  name: string;
  serviceAccount: string;
  serviceAccountIsNew: boolean;
  /** The current pods (running under aad-pod-identity). */
  pods: string[];
  sdk: SdkAssessment[];
  proxySidecar: boolean;
}

export interface PlannedBinding {
  binding: string;
  selector: string;
  azureIdentity: string | null;
  identity: PlanIdentity | null;
  workloads: PlannedWorkload[];
  problems: string[];
}

export interface MigrationPlan {
  issuer?: string;
  issuerSource: "arm" | "api-server" | "unknown";
  audience: string;
  bindings: PlannedBinding[];
  steps: MigrationStep[];
  warnings: string[];
}

const ficName = (ns: string, sa: string) =>
  `${ns}-${sa}`
    .replace(/[^A-Za-z0-9_-]/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 120) || "workload-identity";

function patchTemplate(kind: string, template: Record<string, unknown>): string {
  const body =
    kind.toLowerCase() === "cronjob" ? { spec: { jobTemplate: { spec: { template } } } } : { spec: { template } };
  return sh(JSON.stringify(body));
}

/** KIND/NAME of a workload as one shell word. */
const ref = (w: { kind: string; name: string }) => sh(`${w.kind.toLowerCase()}/${w.name}`);
const rollable = (kind: string) => ["deployment", "statefulset", "daemonset"].includes(kind.toLowerCase());

function yamlOf(lines: (string | false | undefined)[]): string {
  return lines.filter((l): l is string => typeof l === "string").join("\n");
}

export function planMigration(facts: MigrationFacts): MigrationPlan {
  const identities = facts.identities.map(readIdentity);
  const bindings = facts.bindings
    .map(readBinding)
    .filter(
      (b) =>
        !facts.namespace ||
        b.namespace === facts.namespace ||
        facts.workloads.some((w) => w.podTemplate.metadata?.labels?.[PODID_LABEL] === b.selector),
    );
  const warnings: string[] = [];
  const issuerFromArm = facts.cluster?.oidcIssuerEnabled ? facts.cluster.issuerUrl : undefined;
  const issuer = issuerFromArm ?? facts.apiServerIssuer;
  const issuerSource = issuerFromArm ? "arm" : facts.apiServerIssuer ? "api-server" : "unknown";
  const issuerText =
    issuer ??
    (facts.cluster
      ? `"$(az aks show --name ${sh(facts.cluster.name)} --resource-group ${sh(facts.cluster.resourceGroup)} --query oidcIssuerProfile.issuerUrl -o tsv)"`
      : "<cluster OIDC issuer URL>");
  if (!issuerFromArm && facts.apiServerIssuer) {
    warnings.push(
      "The issuer was taken from the API server's discovery document because ARM could not be read; on AKS it must equal oidcIssuerProfile.issuerURL.",
    );
  }

  const prepare: Omit<MigrationStep, "order">[] = [];
  const switchSteps: Omit<MigrationStep, "order">[] = [];
  const removeSteps: Omit<MigrationStep, "order">[] = [];
  const cleanUp: Omit<MigrationStep, "order">[] = [];

  const c = facts.cluster;
  if (!c?.oidcIssuerEnabled || !c.workloadIdentityEnabled) {
    prepare.push({
      phase: "prepare",
      kind: "enable-cluster-features",
      description: c
        ? `Enable ${[!c.oidcIssuerEnabled && "the OIDC issuer", !c.workloadIdentityEnabled && "workload identity (the mutating webhook)"].filter(Boolean).join(" and ")} on ${c.name}. Pod identity keeps working meanwhile.`
        : "Make sure the cluster has the OIDC issuer and workload identity enabled (the cluster could not be read from ARM).",
      commands: [
        `az aks update --name ${sh(c?.name ?? "<cluster>")} --resource-group ${sh(c?.resourceGroup ?? "<resource-group>")} --enable-oidc-issuer --enable-workload-identity`,
        `az aks show --name ${sh(c?.name ?? "<cluster>")} --resource-group ${sh(c?.resourceGroup ?? "<resource-group>")} --query "{issuer: oidcIssuerProfile.issuerUrl, workloadIdentity: securityProfile.workloadIdentity.enabled}"`,
      ],
      change: c
        ? {
            type: "cluster-features",
            cluster: c.name,
            resourceGroup: c.resourceGroup,
            oidcIssuer: true,
            workloadIdentity: true,
          }
        : undefined,
    });
  }

  const sasByNs = new Map<string, Map<string, Record<string, string>>>();
  for (const sa of facts.serviceAccounts) {
    if (!sasByNs.has(sa.namespace)) sasByNs.set(sa.namespace, new Map());
    sasByNs.get(sa.namespace)!.set(sa.name, sa.annotations);
  }
  /** Service accounts this plan gives a client id: namespace/name → client id. */
  const claimed = new Map<string, string>();
  const createdFics = new Set<string>();
  const planned: PlannedBinding[] = [];
  const bindingsDone: BindingView[] = [];

  const clientIdFor = (b: BindingView): string | undefined => {
    const id = identityForBinding(b, identities);
    if (!id) return undefined;
    return facts.armIdentities[id.resourceID.toLowerCase()]?.clientId ?? (id.clientID || undefined);
  };

  // A workload bound to several identities keeps one as its default; the others get credentials too.
  const workloadBindings = new Map<string, BindingView[]>();
  for (const w of facts.workloads) {
    const labels = w.podTemplate.metadata?.labels ?? {};
    const sel = bindingsSelecting(labels, bindings).sort(
      (a, b) => (b.weight ?? 0) - (a.weight ?? 0) || a.name.localeCompare(b.name),
    );
    workloadBindings.set(`${w.namespace}/${ref(w)}`, sel);
  }

  // Each workload's service account, decided by its default identity before any step is written.
  const saFor = new Map<string, { sa: string; isNew: boolean; current: string }>();
  for (const w of facts.workloads) {
    const key = `${w.namespace}/${ref(w)}`;
    const primary = workloadBindings.get(key)?.[0];
    if (!primary) continue;
    const clientId = clientIdFor(primary);
    const current = w.podTemplate.spec?.serviceAccountName || w.podTemplate.spec?.serviceAccount || "default";
    const nsSas = sasByNs.get(w.namespace) ?? new Map<string, Record<string, string>>();
    const claimedBy = claimed.get(`${w.namespace}/${current}`);
    const existingClientId = nsSas.get(current)?.[WI_CLIENT_ID];
    const conflict =
      current === "default" ||
      (claimedBy !== undefined && clientId !== undefined && claimedBy !== clientId) ||
      (existingClientId !== undefined &&
        clientId !== undefined &&
        existingClientId.toLowerCase() !== clientId.toLowerCase());
    let sa = current;
    if (conflict) {
      const own = nsSas.get(w.name)?.[WI_CLIENT_ID];
      sa =
        nsSas.has(w.name) && own !== undefined && own.toLowerCase() !== clientId?.toLowerCase()
          ? `${w.name}-wi`
          : w.name;
      if (current !== "default") {
        warnings.push(
          `${w.namespace}/${ref(w)} runs as ${current}, which is already tied to another client id; the plan gives it its own service account ${sa}.`,
        );
      }
    }
    if (clientId && !claimed.has(`${w.namespace}/${sa}`)) claimed.set(`${w.namespace}/${sa}`, clientId);
    saFor.set(key, { sa, isNew: !nsSas.has(sa), current });
  }
  const annotated = new Set<string>();

  for (const b of bindings) {
    const problems: string[] = [];
    const idView: AzureIdentityView | undefined = identityForBinding(b, identities);
    let identity: PlannedBinding["identity"] = null;
    if (!idView) {
      problems.push(
        `binding ${b.namespace}/${b.name} names AzureIdentity "${b.azureIdentity}", which does not exist: nothing to migrate`,
      );
    } else if ((idView.type ?? 0) === 0) {
      const parsed = parseIdentityResourceId(idView.resourceID);
      const arm = facts.armIdentities[idView.resourceID.toLowerCase()];
      if (!parsed) {
        problems.push(
          `AzureIdentity ${idView.namespace}/${idView.name} has no valid resourceID; fix it (see inspect_pod_identity) before planning`,
        );
      } else {
        if (arm === null) problems.push(`identity ${parsed.name} does not exist in ARM`);
        const clientId = arm?.clientId ?? idView.clientID;
        if (arm && idView.clientID && arm.clientId.toLowerCase() !== idView.clientID.toLowerCase()) {
          problems.push(
            `AzureIdentity clientID ${idView.clientID} differs from ARM's ${arm.clientId}; the plan uses ARM's`,
          );
        }
        identity = {
          kind: "managedIdentity",
          name: parsed.name,
          resourceGroup: parsed.resourceGroup,
          subscriptionId: parsed.subscriptionId,
          resourceId: idView.resourceID,
          clientId,
        };
      }
    } else {
      identity = { kind: "application", clientId: idView.clientID };
      warnings.push(
        `AzureIdentity ${idView.namespace}/${idView.name} is a service principal (type ${idView.type}): workload identity uses the same app registration with a federated credential; its secret or certificate can be removed afterwards.`,
      );
    }

    const selected = facts.workloads.filter(
      (w) =>
        w.podTemplate.metadata?.labels?.[PODID_LABEL] === b.selector &&
        (!facts.namespace || w.namespace === facts.namespace),
    );
    const entry: PlannedBinding = {
      binding: `${b.namespace}/${b.name}`,
      selector: b.selector,
      azureIdentity: idView ? `${idView.namespace}/${idView.name}` : null,
      identity,
      workloads: [],
      problems,
    };
    planned.push(entry);
    for (const p of facts.barePods ?? []) {
      if (p.metadata?.labels?.[PODID_LABEL] === b.selector) {
        problems.push(
          `pod ${p.metadata?.namespace}/${p.metadata?.name} has no owning workload: recreate it from a manifest with the changes below`,
        );
      }
    }
    if (!identity || problems.some((p) => p.includes("does not exist") || p.includes("no valid resourceID"))) continue;
    if (selected.length === 0) {
      problems.push(`no workload's pod template carries ${PODID_LABEL}=${b.selector}`);
    }

    for (const w of selected) {
      const key = `${w.namespace}/${ref(w)}`;
      const all = workloadBindings.get(key) ?? [b];
      const primary = all[0]?.name === b.name && all[0]?.namespace === b.namespace;
      const choice = saFor.get(key)!;
      const sa = choice.sa;
      const isNew = choice.isNew;
      const current = choice.current;
      const subject = `system:serviceaccount:${w.namespace}:${sa}`;
      const sdk = assessSdk(w.podTemplate);
      const proxySidecar = sdk.some((s) => s.status === "too-old");
      entry.workloads.push({
        namespace: w.namespace,
        kind: w.kind,
        name: w.name,
        serviceAccount: sa,
        serviceAccountIsNew: isNew,
        pods: (w.pods ?? []).map((p) => p.metadata?.name ?? ""),
        sdk,
        proxySidecar,
      });

      if (primary) {
        const saKey = `${w.namespace}/${sa}`;
        if (!annotated.has(saKey)) {
          annotated.add(saKey);
          const annotations: Record<string, string> = { [WI_CLIENT_ID]: identity.clientId };
          const arm = identity.resourceId ? facts.armIdentities[identity.resourceId.toLowerCase()] : undefined;
          if (arm?.tenantId && facts.tenantId && arm.tenantId !== facts.tenantId)
            annotations[WI_TENANT_ID] = arm.tenantId;
          const annotate = `kubectl annotate serviceaccount ${sh(sa)} -n ${sh(w.namespace)} ${Object.entries(
            annotations,
          )
            .map(([k, v]) => `${k}=${sh(v)}`)
            .join(" ")} --overwrite`;
          prepare.push({
            phase: "prepare",
            kind: isNew ? "create-service-account" : "annotate-service-account",
            description: isNew
              ? `Create service account ${w.namespace}/${sa} for ${ref(w)} with the identity's client id (${
                  current === "default"
                    ? `the workload runs as "default", which every pod in the namespace shares`
                    : `the workload runs as "${current}"`
                }).`
              : `Annotate service account ${w.namespace}/${sa} with the identity's client id. Harmless until pods are labelled for workload identity.`,
            commands: isNew ? [`kubectl create serviceaccount ${sh(sa)} -n ${sh(w.namespace)}`, annotate] : [annotate],
            manifest: yamlOf([
              "apiVersion: v1",
              "kind: ServiceAccount",
              "metadata:",
              `  name: ${sa}`,
              `  namespace: ${w.namespace}`,
              "  annotations:",
              ...Object.entries(annotations).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`),
            ]),
            change: { type: "service-account", namespace: w.namespace, name: sa, create: isNew, annotations },
          });
        }
      }

      const ficKey = `${identity.clientId.toLowerCase()}|${subject}`;
      const existing = facts.federatedCredentials[(identity.resourceId ?? identity.clientId).toLowerCase()] ?? [];
      const present = existing.some(
        (f) => f.issuer === issuer && f.subject === subject && f.audiences.includes(facts.audience),
      );
      if (!createdFics.has(ficKey) && !present) {
        createdFics.add(ficKey);
        const name = ficName(w.namespace, sa);
        if (existing.length >= 20) {
          problems.push(
            `identity ${identity.name ?? identity.clientId} already has 20 federated credentials, the most one identity can hold`,
          );
        }
        const command =
          identity.kind === "managedIdentity"
            ? [
                "az identity federated-credential create",
                `--name ${sh(name)}`,
                `--identity-name ${sh(identity.name!)}`,
                `--resource-group ${sh(identity.resourceGroup!)}`,
                ...(identity.subscriptionId ? [`--subscription ${sh(identity.subscriptionId)}`] : []),
                `--issuer ${issuer ? sh(issuer) : issuerText}`,
                `--subject ${sh(subject)}`,
                `--audience ${sh(facts.audience)}`,
              ].join(" ")
            : `az ad app federated-credential create --id ${sh(identity.clientId)} --parameters ${sh(
                JSON.stringify({ name, issuer: issuer ?? "<issuer>", subject, audiences: [facts.audience] }),
              )}`;
        prepare.push({
          phase: "prepare",
          kind: "create-federated-credential",
          description: `Trust ${subject} from this cluster's issuer on ${identity.name ?? `app ${identity.clientId}`}${primary ? "" : " (a further identity the workload is bound to; the app must ask for its client id explicitly)"}. New credentials take a few seconds to propagate.`,
          commands: [command],
          change: issuer
            ? { type: "federated-credential", identity, name, issuer, subject, audiences: [facts.audience] }
            : undefined,
        });
      } else if (present) {
        warnings.push(
          `${identity.name ?? identity.clientId} already trusts ${subject}; no new federated credential is needed.`,
        );
      }
      if (!primary) {
        warnings.push(
          `${w.namespace}/${ref(w)} is bound to several identities; workload identity injects one client id (from ${all[0]?.namespace}/${all[0]?.name}). Requests for ${identity.clientId} must name it explicitly.`,
        );
        continue;
      }

      const unknown = sdk.filter((s) => s.status === "unknown");
      const manual = sdk.filter((s) => s.status === "manual-login");
      if (unknown.length || manual.length || proxySidecar) {
        switchSteps.push({
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
        });
      }
      const addAnnotations: Record<string, string> = proxySidecar
        ? { [INJECT_PROXY_SIDECAR]: "true", [PROXY_SIDECAR_PORT]: DEFAULT_PROXY_PORT }
        : {};
      const templateChange = {
        metadata: { labels: { [WI_USE_LABEL]: "true" }, ...(proxySidecar ? { annotations: addAnnotations } : {}) },
        spec: { serviceAccountName: sa },
      };
      switchSteps.push({
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
          addLabels: { [WI_USE_LABEL]: "true" },
          removeLabels: [],
          addAnnotations,
        },
      });
      switchSteps.push({
        phase: "switch",
        kind: "roll-out",
        description: rollable(w.kind)
          ? `Wait for ${w.namespace}/${ref(w)} to roll out: the webhook mutates the new pods.`
          : `${w.kind} ${w.namespace}/${w.name} picks up the template on its next run.`,
        commands: rollable(w.kind) ? [`kubectl rollout status ${ref(w)} -n ${sh(w.namespace)} --timeout=10m`] : [],
      });
      switchSteps.push({
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
      removeSteps.push({
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
      });
    }
    if (selected.length && entry.workloads.length === selected.length) bindingsDone.push(b);
  }

  // Bindings and identities go last, and only those nothing else still uses.
  const doneKeys = new Set(bindingsDone.map((b) => `${b.namespace}/${b.name}`));
  for (const b of bindingsDone) {
    const stillSelected = facts.workloads.some(
      (w) =>
        w.podTemplate.metadata?.labels?.[PODID_LABEL] === b.selector &&
        !planned.some(
          (p) =>
            p.binding === `${b.namespace}/${b.name}` &&
            p.workloads.some((x) => x.namespace === w.namespace && x.kind === w.kind && x.name === w.name),
        ),
    );
    if (stillSelected) continue;
    cleanUp.push({
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
  const deletedIdentities = new Set<string>();
  for (const b of bindingsDone) {
    const id = identityForBinding(b, identities);
    if (!id || deletedIdentities.has(`${id.namespace}/${id.name}`)) continue;
    const otherUsers = bindings.filter((o) => o.azureIdentity === id.name && !doneKeys.has(`${o.namespace}/${o.name}`));
    if (otherUsers.length) continue;
    deletedIdentities.add(`${id.namespace}/${id.name}`);
    cleanUp.push({
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
  const everything =
    bindings.length > 0 && bindings.every((b) => doneKeys.has(`${b.namespace}/${b.name}`)) && !facts.namespace;
  if (everything) {
    cleanUp.push({
      phase: "clean-up",
      kind: "uninstall-pod-identity",
      description:
        "Every binding is migrated: remove aad-pod-identity. Delete the bindings first and give MIC a minute to unassign, so no AzureAssignedIdentity is left holding its finalizer.",
      commands: facts.podIdentityAddon
        ? [
            `az aks update --name ${sh(c?.name ?? "<cluster>")} --resource-group ${sh(c?.resourceGroup ?? "<resource-group>")} --disable-pod-identity`,
          ]
        : [
            "kubectl get azureassignedidentity -A   # wait until this is empty",
            "helm uninstall aad-pod-identity -n kube-system   # or kubectl delete -f the manifest it was installed from",
          ],
    });
  }

  const steps = [...prepare, ...switchSteps, ...removeSteps, ...cleanUp].map((s, i) => ({ order: i + 1, ...s }));
  if (!issuer)
    warnings.push(
      "The cluster's issuer is unknown until the OIDC issuer is enabled; the federated credential command reads it from az aks show.",
    );
  return { issuer, issuerSource, audience: facts.audience, bindings: planned, steps, warnings: [...new Set(warnings)] };
}
