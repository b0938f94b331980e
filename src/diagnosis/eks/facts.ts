// The facts an EKS diagnosis rests on (IRSA and EKS Pod Identity). Plain data, gathered elsewhere.
import type { PodIdentityExchange } from "../../model/aws.js";
import type { Gathered, Target } from "../types.js";
import type { PolicyDocument } from "./trust-policy.js";

export interface EksClusterFact {
  name: string;
  arn: string;
  endpoint?: string;
  version?: string;
  status?: string;
  issuer?: string;
  region: string;
}

export interface OidcProviderFact {
  arn: string;
  url: string;
  clientIds: string[];
  thumbprints: string[];
}

export interface RoleFact {
  arn: string;
  name: string;
  trustPolicy?: PolicyDocument;
  trustPolicyProblem?: string;
  attachedPolicies?: string[];
  /** Inline permission policies by name; read only where a check needs them (a Pod Identity source role). */
  inlinePolicies?: Record<string, PolicyDocument>;
}

export interface AssociationFact {
  associationId: string;
  namespace: string;
  serviceAccount: string;
  roleArn?: string;
  /** The role the association's role assumes next, and the external id its trust must match. */
  targetRoleArn?: string;
  externalId?: string;
  disableSessionTags?: boolean;
}

/** Just enough of core/v1 objects: the shapes @kubernetes/client-node returns fit. */
export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  creationTimestamp?: Date | string;
}

export interface EnvVarLike {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface SecurityContextLike {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  fsGroup?: number;
}

export interface ContainerLike {
  name: string;
  image?: string;
  env?: EnvVarLike[];
  volumeMounts?: { name: string; mountPath: string }[];
  securityContext?: SecurityContextLike;
}

export interface VolumeLike {
  name: string;
  projected?: { sources?: { serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string } }[] };
}

export interface PodLike {
  metadata?: ObjectMetaLike;
  spec?: {
    serviceAccountName?: string;
    containers: ContainerLike[];
    initContainers?: ContainerLike[];
    volumes?: VolumeLike[];
    securityContext?: SecurityContextLike;
  };
  status?: { phase?: string };
}

export interface ServiceAccountFact {
  name: string;
  namespace: string;
  annotations: Record<string, string>;
  /** The latest write to the object (managedFields), to tell whether pods predate a change. */
  lastModified?: string;
}

export interface WebhookFact {
  name: string;
  failurePolicy?: string;
  caBundlePresent: boolean;
  /** "service <ns>/<name>" or "url <url>". */
  target?: string;
  objectSelector?: unknown;
  namespaceSelector?: unknown;
}

export interface DaemonSetFact {
  name: string;
  namespace: string;
  desired: number;
  ready: number;
  /** false when the object carries no status (the controller has not reported), so the counts mean nothing. */
  statusKnown?: boolean;
}

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp?: number;
  kid?: string;
}

export type ExchangeFact =
  | { ok: true; assumedRoleArn: string; expiration?: string; roleArn: string }
  | { ok: false; code: string; message: string; httpStatus?: number; roleArn: string };

/** EKS Auth AssumeRoleForPodIdentity: the outcome, never the credentials (src/model/aws.ts). */
export type PodIdentityExchangeFact = PodIdentityExchange;

export interface EksFacts {
  target: Target;
  /** The service account the diagnosis is about (from the target, or from the pod). */
  serviceAccountName?: string;
  region?: string;
  /** The account the operator's credential belongs to (sts:GetCallerIdentity). */
  accountId: Gathered<string>;
  /** null: the API server is not an EKS endpoint we could find in this account and region. */
  cluster: Gathered<EksClusterFact | null>;
  /** The issuer service-account tokens carry: the cluster's, else the API server's discovery document. */
  issuer: Gathered<string>;
  kubernetesVersion?: string;
  oidcProviderArns: Gathered<string[]>;
  /** The provider whose URL equals the issuer; null when there is none. */
  oidcProvider: Gathered<OidcProviderFact | null>;
  serviceAccount: Gathered<ServiceAccountFact | null>;
  /** The target pods (the named pod, the workload's pods, or the pods using the service account). */
  pods: Gathered<PodLike[]>;
  /** The workload's pod template, when a workload was named: what the user wrote, before any webhook. */
  podTemplate?: PodLike;
  /** The pod-identity-webhook MutatingWebhookConfiguration; null when absent. */
  webhook: Gathered<WebhookFact | null>;
  /** The eks-pod-identity-agent DaemonSet in kube-system; null when absent. */
  podIdentityAgent: Gathered<DaemonSetFact | null>;
  associations: Gathered<AssociationFact[]>;
  /** The role the IRSA annotation names; skipped when there is no usable annotation. */
  irsaRole: Gathered<RoleFact | null>;
  /** Roles of the Pod Identity associations, by role ARN. */
  podIdentityRoles: Record<string, Gathered<RoleFact | null>>;
  /** Claims of a freshly minted token for the service account (never the token). */
  token: Gathered<TokenClaims>;
  /** STS AssumeRoleWithWebIdentity with that token; skipped when not allowed or not applicable. */
  exchange: Gathered<ExchangeFact>;
  /** Target roles of the Pod Identity associations (role chaining), by role ARN. */
  podIdentityTargetRoles?: Record<string, Gathered<RoleFact | null>>;
  /** Inline permission policies of association roles that chain to a target role, by role ARN. */
  podIdentitySourcePolicies?: Record<string, Gathered<Record<string, PolicyDocument>>>;
  /** EKS Auth's answer for a pods.eks.amazonaws.com token of the service account; absent outside Pod Identity. */
  podIdentityExchange?: Gathered<PodIdentityExchangeFact>;
  errorText?: string;
}
