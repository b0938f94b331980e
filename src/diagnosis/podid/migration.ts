// The move from aad-pod-identity to workload identity, planned from facts. The order keeps every workload able to
// get a token at every step: the new path is built and proven while the old one still works, and only then is
// the old one taken away.
import { sh, WI_CLIENT_ID, WI_TENANT_ID } from "../aks/names.js";
import {
  type AzureIdentityView,
  type BindingView,
  bindingsSelecting,
  identityForBinding,
  PODID_LABEL,
  parseIdentityResourceId,
  readBinding,
  readIdentity,
} from "./facts.js";
import {
  checkSdkStep,
  cleanUpSteps,
  ficName,
  type PlanStep,
  ref,
  removeLabelStep,
  switchTemplateSteps,
  yamlOf,
} from "./migration-steps.js";
import type {
  MigrationFacts,
  MigrationPlan,
  MigrationWorkload,
  PlanIdentity,
  PlannedBinding,
} from "./migration-types.js";
import { assessSdk } from "./sdk.js";

export * from "./migration-types.js";

/** What planning accumulates: the facts read once, the decisions taken, and the steps of each phase. */
interface Plan {
  facts: MigrationFacts;
  identities: AzureIdentityView[];
  bindings: BindingView[];
  warnings: string[];
  issuer?: string;
  issuerSource: MigrationPlan["issuerSource"];
  /** The issuer as a command argument: the URL, or how to read it. */
  issuerText: string;
  prepare: PlanStep[];
  switchSteps: PlanStep[];
  removeSteps: PlanStep[];
  cleanUp: PlanStep[];
  createdFics: Set<string>;
  planned: PlannedBinding[];
  bindingsDone: BindingView[];
  /** Service accounts already annotated by a step. */
  annotated: Set<string>;
  /** Each workload's bindings (namespace/kind/name), its default identity's first. */
  workloadBindings: Map<string, BindingView[]>;
  /** Each workload's service account, decided by its default identity before any step is written. */
  saFor: Map<string, { sa: string; isNew: boolean; current: string }>;
}

const workloadKey = (w: MigrationWorkload) => `${w.namespace}/${ref(w)}`;

export function planMigration(facts: MigrationFacts): MigrationPlan {
  const plan = startPlan(facts);
  const step = enableClusterStep(facts.cluster);
  if (step) plan.prepare.push(step);
  chooseServiceAccounts(plan);
  for (const b of plan.bindings) planBinding(plan, b);
  cleanUpSteps(plan);
  const { prepare, switchSteps, removeSteps, cleanUp, issuer, warnings } = plan;
  const steps = [...prepare, ...switchSteps, ...removeSteps, ...cleanUp].map((s, i) => ({ order: i + 1, ...s }));
  if (!issuer)
    warnings.push(
      "The cluster's issuer is unknown until the OIDC issuer is enabled; the federated credential command reads it from az aks show.",
    );
  return {
    issuer,
    issuerSource: plan.issuerSource,
    audience: facts.audience,
    bindings: plan.planned,
    steps,
    warnings: [...new Set(warnings)],
  };
}

function startPlan(facts: MigrationFacts): Plan {
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
  return {
    facts,
    identities,
    bindings,
    warnings,
    issuer,
    issuerSource: issuerFromArm ? "arm" : facts.apiServerIssuer ? "api-server" : "unknown",
    issuerText,
    prepare: [],
    switchSteps: [],
    removeSteps: [],
    cleanUp: [],
    createdFics: new Set(),
    planned: [],
    bindingsDone: [],
    annotated: new Set(),
    workloadBindings: new Map(),
    saFor: new Map(),
  };
}

function enableClusterStep(c: MigrationFacts["cluster"]): PlanStep | undefined {
  if (c?.oidcIssuerEnabled && c.workloadIdentityEnabled) return undefined;
  return {
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
  };
}

/** The client id a binding's identity has: ARM's when it could be read, else the AzureIdentity's. */
function clientIdFor(plan: Plan, b: BindingView): string | undefined {
  const id = identityForBinding(b, plan.identities);
  if (!id) return undefined;
  return plan.facts.armIdentities[id.resourceID.toLowerCase()]?.clientId ?? (id.clientID || undefined);
}

/** Each workload's bindings and service account, decided by its default identity before any step is written. */
function chooseServiceAccounts(plan: Plan): void {
  const { facts, warnings } = plan;
  const sasByNs = new Map<string, Map<string, Record<string, string>>>();
  for (const sa of facts.serviceAccounts) {
    if (!sasByNs.has(sa.namespace)) sasByNs.set(sa.namespace, new Map());
    sasByNs.get(sa.namespace)!.set(sa.name, sa.annotations);
  }
  /** Service accounts this plan gives a client id: namespace/name → client id. */
  const claimed = new Map<string, string>();
  // A workload bound to several identities keeps one as its default; the others get credentials too.
  for (const w of facts.workloads) {
    const labels = w.podTemplate.metadata?.labels ?? {};
    const sel = bindingsSelecting(labels, plan.bindings).sort(
      (a, b) => (b.weight ?? 0) - (a.weight ?? 0) || a.name.localeCompare(b.name),
    );
    plan.workloadBindings.set(workloadKey(w), sel);
  }
  for (const w of facts.workloads) {
    const key = workloadKey(w);
    const primary = plan.workloadBindings.get(key)?.[0];
    if (!primary) continue;
    const clientId = clientIdFor(plan, primary);
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
    plan.saFor.set(key, { sa, isNew: !nsSas.has(sa), current });
  }
}

/** The Azure identity behind a binding, as the plan will use it, and what stands in the way. */
function planIdentity(plan: Plan, b: BindingView) {
  const problems: string[] = [];
  const idView: AzureIdentityView | undefined = identityForBinding(b, plan.identities);
  let identity: PlannedBinding["identity"] = null;
  if (!idView) {
    problems.push(
      `binding ${b.namespace}/${b.name} names AzureIdentity "${b.azureIdentity}", which does not exist: nothing to migrate`,
    );
  } else if ((idView.type ?? 0) === 0) {
    const parsed = parseIdentityResourceId(idView.resourceID);
    const arm = plan.facts.armIdentities[idView.resourceID.toLowerCase()];
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
    plan.warnings.push(
      `AzureIdentity ${idView.namespace}/${idView.name} is a service principal (type ${idView.type}): workload identity uses the same app registration with a federated credential; its secret or certificate can be removed afterwards.`,
    );
  }
  return { idView, identity, problems };
}

function planBinding(plan: Plan, b: BindingView): void {
  const { facts } = plan;
  const { idView, identity, problems } = planIdentity(plan, b);
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
  plan.planned.push(entry);
  for (const p of facts.barePods ?? []) {
    if (p.metadata?.labels?.[PODID_LABEL] === b.selector) {
      problems.push(
        `pod ${p.metadata?.namespace}/${p.metadata?.name} has no owning workload: recreate it from a manifest with the changes below`,
      );
    }
  }
  if (!identity || problems.some((p) => p.includes("does not exist") || p.includes("no valid resourceID"))) return;
  if (selected.length === 0) {
    problems.push(`no workload's pod template carries ${PODID_LABEL}=${b.selector}`);
  }
  for (const w of selected) planWorkload(plan, b, entry, identity, w);
  if (selected.length && entry.workloads.length === selected.length) plan.bindingsDone.push(b);
}

function planWorkload(
  plan: Plan,
  b: BindingView,
  entry: PlannedBinding,
  identity: PlanIdentity,
  w: MigrationWorkload,
): void {
  const key = workloadKey(w);
  const all = plan.workloadBindings.get(key) ?? [b];
  const primary = all[0]?.name === b.name && all[0]?.namespace === b.namespace;
  const { sa, isNew, current } = plan.saFor.get(key)!;
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
  if (primary) serviceAccountStep(plan, w, identity, { sa, isNew, current });
  federatedCredentialStep(plan, w, identity, { sa, subject, primary, problems: entry.problems });
  if (!primary) {
    plan.warnings.push(
      `${w.namespace}/${ref(w)} is bound to several identities; workload identity injects one client id (from ${all[0]?.namespace}/${all[0]?.name}). Requests for ${identity.clientId} must name it explicitly.`,
    );
    return;
  }
  const sdkStep = checkSdkStep(w, sdk, proxySidecar);
  if (sdkStep) plan.switchSteps.push(sdkStep);
  plan.switchSteps.push(...switchTemplateSteps(w, b, sa, proxySidecar));
  plan.removeSteps.push(removeLabelStep(w));
}

function serviceAccountStep(
  plan: Plan,
  w: MigrationWorkload,
  identity: PlanIdentity,
  { sa, isNew, current }: { sa: string; isNew: boolean; current: string },
): void {
  const { facts } = plan;
  const saKey = `${w.namespace}/${sa}`;
  if (plan.annotated.has(saKey)) return;
  plan.annotated.add(saKey);
  const annotations: Record<string, string> = { [WI_CLIENT_ID]: identity.clientId };
  const arm = identity.resourceId ? facts.armIdentities[identity.resourceId.toLowerCase()] : undefined;
  if (arm?.tenantId && facts.tenantId && arm.tenantId !== facts.tenantId) annotations[WI_TENANT_ID] = arm.tenantId;
  const annotate = `kubectl annotate serviceaccount ${sh(sa)} -n ${sh(w.namespace)} ${Object.entries(annotations)
    .map(([k, v]) => `${k}=${sh(v)}`)
    .join(" ")} --overwrite`;
  plan.prepare.push({
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

function federatedCredentialStep(
  plan: Plan,
  w: MigrationWorkload,
  identity: PlanIdentity,
  { sa, subject, primary, problems }: { sa: string; subject: string; primary: boolean; problems: string[] },
): void {
  const { facts, issuer, issuerText } = plan;
  const ficKey = `${identity.clientId.toLowerCase()}|${subject}`;
  const existing = facts.federatedCredentials[(identity.resourceId ?? identity.clientId).toLowerCase()] ?? [];
  const present = existing.some(
    (f) => f.issuer === issuer && f.subject === subject && f.audiences.includes(facts.audience),
  );
  if (!plan.createdFics.has(ficKey) && !present) {
    plan.createdFics.add(ficKey);
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
    plan.prepare.push({
      phase: "prepare",
      kind: "create-federated-credential",
      description: `Trust ${subject} from this cluster's issuer on ${identity.name ?? `app ${identity.clientId}`}${primary ? "" : " (a further identity the workload is bound to; the app must ask for its client id explicitly)"}. New credentials take a few seconds to propagate.`,
      commands: [command],
      change: issuer
        ? { type: "federated-credential", identity, name, issuer, subject, audiences: [facts.audience] }
        : undefined,
    });
  } else if (present) {
    plan.warnings.push(
      `${identity.name ?? identity.clientId} already trusts ${subject}; no new federated credential is needed.`,
    );
  }
}
