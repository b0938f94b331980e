// The vocabulary of a migration plan from aad-pod-identity to workload identity: the facts it is planned from,
// and the plan (bindings, workloads, ordered steps with commands, manifests and machine-readable changes).
import type { V1Pod, V1PodTemplateSpec } from "@kubernetes/client-node";
import type { FederatedCredentialFacts, IdentityFacts } from "../aks/facts.js";
import type { RawObject } from "./facts.js";
import type { SdkAssessment } from "./sdk.js";

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
      /** The service account the template runs as before the step. */
      currentServiceAccountName?: string;
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
