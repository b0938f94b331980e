// Typed EKS fact builders: an IRSA world that works end to end, written in code, and edits that break one link.
import type { EksFacts, PodLike } from "../../src/diagnosis/eks/facts.js";
import { ok } from "../../src/diagnosis/types.js";

export const ACCOUNT = "111122223333";
export const REGION = "eu-west-1";
export const EKS_NS = "orders";
export const EKS_SA = "orders-api";
export const OIDC_ID = "EXAMPLED539D4633E53DE1B71EXAMPLE";
export const EKS_ISSUER = `https://oidc.eks.${REGION}.amazonaws.com/id/${OIDC_ID}`;
export const PROVIDER_URL = `oidc.eks.${REGION}.amazonaws.com/id/${OIDC_ID}`;
export const PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/${PROVIDER_URL}`;
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/orders-api`;
export const EKS_SUBJECT = `system:serviceaccount:${EKS_NS}:${EKS_SA}`;
const TOKEN_DIR = "/var/run/secrets/eks.amazonaws.com/serviceaccount";

/** A pod the pod-identity-webhook injected for IRSA. */
export function irsaPod(name = "orders-api-5d8f7c9b6-k4m2x"): PodLike {
  return {
    metadata: { name, namespace: EKS_NS, creationTimestamp: "2026-01-02T00:00:00Z" },
    spec: {
      serviceAccountName: EKS_SA,
      containers: [
        {
          name: "app",
          env: [
            { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" },
            { name: "AWS_DEFAULT_REGION", value: REGION },
            { name: "AWS_REGION", value: REGION },
            { name: "AWS_ROLE_ARN", value: ROLE_ARN },
            { name: "AWS_WEB_IDENTITY_TOKEN_FILE", value: `${TOKEN_DIR}/token` },
          ],
          volumeMounts: [{ name: "aws-iam-token", mountPath: TOKEN_DIR }],
        },
      ],
      volumes: [
        {
          name: "aws-iam-token",
          projected: {
            sources: [
              { serviceAccountToken: { audience: "sts.amazonaws.com", expirationSeconds: 86400, path: "token" } },
            ],
          },
        },
      ],
    },
    status: { phase: "Running" },
  };
}

/** EKS IRSA, working end to end. */
export function healthyIrsa(): EksFacts {
  return {
    target: { namespace: EKS_NS, serviceAccount: EKS_SA },
    serviceAccountName: EKS_SA,
    region: REGION,
    accountId: ok(ACCOUNT),
    cluster: ok({
      name: "orders",
      arn: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/orders`,
      version: "1.31",
      status: "ACTIVE",
      issuer: EKS_ISSUER,
      region: REGION,
    }),
    issuer: ok(EKS_ISSUER),
    kubernetesVersion: "v1.31.2",
    oidcProviderArns: ok([PROVIDER_ARN]),
    oidcProvider: ok({ arn: PROVIDER_ARN, url: PROVIDER_URL, clientIds: ["sts.amazonaws.com"], thumbprints: [] }),
    serviceAccount: ok({
      name: EKS_SA,
      namespace: EKS_NS,
      annotations: { "eks.amazonaws.com/role-arn": ROLE_ARN },
      lastModified: "2026-01-01T00:00:00Z",
    }),
    pods: ok([irsaPod()]),
    webhook: ok({ name: "pod-identity-webhook", failurePolicy: "Ignore", caBundlePresent: true }),
    podIdentityAgent: ok(null),
    associations: ok([]),
    irsaRole: ok({
      arn: ROLE_ARN,
      name: "orders-api",
      trustPolicy: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Federated: PROVIDER_ARN },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: { [`${PROVIDER_URL}:sub`]: EKS_SUBJECT, [`${PROVIDER_URL}:aud`]: "sts.amazonaws.com" },
            },
          },
        ],
      },
    }),
    podIdentityRoles: {},
    token: ok({ iss: EKS_ISSUER, sub: EKS_SUBJECT, aud: ["sts.amazonaws.com"] }),
    exchange: ok({
      ok: true,
      assumedRoleArn: `arn:aws:sts::${ACCOUNT}:assumed-role/orders-api/wi-doctor`,
      roleArn: ROLE_ARN,
    }),
  };
}

export const POD_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/orders-api-pod-identity`;
export const ASSOCIATION_ID = "a-abcdefghijklmnop1";

/** A pod the webhook injected for EKS Pod Identity (the agent's credentials endpoint and token file). */
export function podIdentityPod(name = "orders-api-5d8f7c9b6-p7q8r"): PodLike {
  return {
    metadata: { name, namespace: EKS_NS, creationTimestamp: "2026-01-02T00:00:00Z" },
    spec: {
      serviceAccountName: EKS_SA,
      containers: [
        {
          name: "app",
          env: [
            { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" },
            { name: "AWS_DEFAULT_REGION", value: REGION },
            { name: "AWS_REGION", value: REGION },
            { name: "AWS_CONTAINER_CREDENTIALS_FULL_URI", value: "http://169.254.170.23/v1/credentials" },
            {
              name: "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
              value: "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
            },
          ],
          volumeMounts: [
            { name: "eks-pod-identity-token", mountPath: "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount" },
          ],
        },
      ],
      volumes: [
        {
          name: "eks-pod-identity-token",
          projected: {
            sources: [
              {
                serviceAccountToken: {
                  audience: "pods.eks.amazonaws.com",
                  expirationSeconds: 86400,
                  path: "eks-pod-identity-token",
                },
              },
            ],
          },
        },
      ],
    },
    status: { phase: "Running" },
  };
}

/** EKS Pod Identity, working end to end: an association, the agent, and a role that trusts the agent. */
export function healthyPodIdentity(): EksFacts {
  const f = healthyIrsa();
  return {
    ...f,
    serviceAccount: ok({ name: EKS_SA, namespace: EKS_NS, annotations: {}, lastModified: "2026-01-01T00:00:00Z" }),
    pods: ok([podIdentityPod()]),
    podIdentityAgent: ok({ name: "eks-pod-identity-agent", namespace: "kube-system", desired: 2, ready: 2 }),
    associations: ok([
      { associationId: ASSOCIATION_ID, namespace: EKS_NS, serviceAccount: EKS_SA, roleArn: POD_ROLE_ARN },
    ]),
    irsaRole: { status: "skipped", reason: "the service account names no IRSA role" },
    podIdentityRoles: {
      [POD_ROLE_ARN]: ok({
        arn: POD_ROLE_ARN,
        name: "orders-api-pod-identity",
        trustPolicy: {
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "pods.eks.amazonaws.com" },
              Action: ["sts:AssumeRole", "sts:TagSession"],
            },
          ],
        },
      }),
    },
    exchange: { status: "skipped", reason: "EKS Pod Identity: no web identity exchange" },
  };
}
