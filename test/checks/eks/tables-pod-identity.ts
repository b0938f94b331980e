// EKS Pod Identity check tables (run by test/checks/checks.test.ts), from facts written in code: a working association (and a working cross-account chain),
// then one edit that breaks one link: session tags, the target's trust, the source's permission, the SDK, the chain.
import type { EksFacts, PodLike, RoleFact } from "../../../src/diagnosis/eks/facts.js";
import type { EksCheckId } from "../../../src/diagnosis/eks/registry.js";
import type { PolicyDocument } from "../../../src/diagnosis/eks/trust-policy.js";
import { ok, skipped } from "../../../src/diagnosis/types.js";
import { edit } from "../builders.js";
import { ACCOUNT, EKS_NS, EKS_SA, healthyIrsa, REGION } from "../eks-builders.js";
import type { Table } from "../rule-tester.js";

const POD_ROLE = `arn:aws:iam::${ACCOUNT}:role/orders-api-podid`;
const TARGET = "arn:aws:iam::444455556666:role/orders-data-reader";
const EXTERNAL_ID = "7d0c4f6e-2b1a-4e8f-9c3d-5a6b7c8d9e01";
const TOKEN_DIR = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount";

const trust = (statement: Record<string, unknown>): PolicyDocument =>
  ({ Version: "2012-10-17", Statement: [statement] }) as PolicyDocument;
const POD_TRUST = trust({
  Effect: "Allow",
  Principal: { Service: "pods.eks.amazonaws.com" },
  Action: ["sts:AssumeRole", "sts:TagSession"],
});

function podIdentityPod(image = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/orders-api:3.2.0"): PodLike {
  return {
    metadata: { name: "orders-api-7c9d8b6f5-x2k4p", namespace: EKS_NS },
    spec: {
      serviceAccountName: EKS_SA,
      containers: [
        {
          name: "api",
          image,
          env: [
            { name: "AWS_REGION", value: REGION },
            { name: "AWS_CONTAINER_CREDENTIALS_FULL_URI", value: "http://169.254.170.23/v1/credentials" },
            { name: "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", value: `${TOKEN_DIR}/eks-pod-identity-token` },
          ],
          volumeMounts: [{ name: "eks-pod-identity-token", mountPath: TOKEN_DIR }],
        },
      ],
    },
    status: { phase: "Running" },
  };
}

/** EKS Pod Identity, working end to end (no IRSA annotation, the agent running, EKS Auth issuing credentials). */
function healthyPodIdentity(): EksFacts {
  return edit(healthyIrsa(), (f) => {
    if (f.serviceAccount.status === "ok" && f.serviceAccount.value) f.serviceAccount.value.annotations = {};
    f.irsaRole = skipped("no IRSA annotation");
    f.exchange = skipped("the service account has no IRSA annotation");
    f.podIdentityAgent = ok({ name: "eks-pod-identity-agent", namespace: "kube-system", desired: 2, ready: 2 });
    f.associations = ok([
      { associationId: "a-1", namespace: EKS_NS, serviceAccount: EKS_SA, roleArn: POD_ROLE, disableSessionTags: false },
    ]);
    f.podIdentityRoles = { [POD_ROLE]: ok({ arn: POD_ROLE, name: "orders-api-podid", trustPolicy: POD_TRUST }) };
    f.pods = ok([podIdentityPod()]);
    f.podIdentityTargetRoles = {};
    f.podIdentitySourcePolicies = {};
    f.podIdentityExchange = ok({
      ok: true,
      assumedRoleArn: `arn:aws:sts::${ACCOUNT}:assumed-role/orders-api-podid/eks-orders-api`,
    });
  });
}

const targetRole = (doc: PolicyDocument): RoleFact => ({ arn: TARGET, name: "orders-data-reader", trustPolicy: doc });
const TARGET_TRUST = trust({
  Effect: "Allow",
  Principal: { AWS: POD_ROLE },
  Action: ["sts:AssumeRole", "sts:TagSession"],
  Condition: { StringEquals: { "sts:ExternalId": EXTERNAL_ID } },
});

/** A working cross-account chain, with the target's trust readable (as with a credential for both accounts). */
function healthyChain(): EksFacts {
  return edit(healthyPodIdentity(), (f) => {
    const a = f.associations.status === "ok" ? f.associations.value[0] : undefined;
    Object.assign(a!, { targetRoleArn: TARGET, externalId: EXTERNAL_ID });
    f.podIdentityTargetRoles = { [TARGET]: ok(targetRole(TARGET_TRUST)) };
    f.podIdentitySourcePolicies = {
      [POD_ROLE]: ok({
        assume: {
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: TARGET }],
        } as PolicyDocument,
      }),
    };
  });
}

const association = (f: EksFacts) => (f.associations.status === "ok" ? f.associations.value[0] : undefined)!;
const setPodTrust = (doc: PolicyDocument) => (f: EksFacts) => {
  f.podIdentityRoles[POD_ROLE] = ok({ arn: POD_ROLE, name: "orders-api-podid", trustPolicy: doc });
};
const refused = (f: EksFacts) => {
  f.podIdentityExchange = ok({ ok: false, code: "AccessDeniedException", message: "Access denied", httpStatus: 400 });
};
const healthy = healthyPodIdentity();
const chain = healthyChain();
const tagsDisabled = (f: EksFacts) => {
  association(f).disableSessionTags = true;
};
const TAG_CONDITIONS = trust({
  Effect: "Allow",
  Principal: { Service: "pods.eks.amazonaws.com" },
  Action: ["sts:AssumeRole", "sts:TagSession"],
  Condition: { StringEquals: { "aws:RequestTag/kubernetes-namespace": EKS_NS } },
});
const ASSUME_ONLY = trust({
  Effect: "Allow",
  Principal: { Service: "pods.eks.amazonaws.com" },
  Action: "sts:AssumeRole",
});
const bothSets = (roleArn: string) => (f: EksFacts) => {
  const c = (f.pods.status === "ok" ? f.pods.value[0] : undefined)!.spec!.containers[0];
  c.env!.push(
    { name: "AWS_ROLE_ARN", value: roleArn },
    { name: "AWS_WEB_IDENTITY_TOKEN_FILE", value: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token" },
  );
};
const IRSA_ROLE = `arn:aws:iam::${ACCOUNT}:role/orders-api`;

export const eksPodIdentityTables: Partial<Record<EksCheckId, Table<EksFacts>>> = {
  "eks.pod-identity-session-tags": {
    valid: [{ name: "tags disabled, trust without tag conditions", facts: edit(healthy, tagsDisabled) }],
    invalid: [
      {
        name: "tags disabled, trust conditions on aws:RequestTag",
        facts: edit(healthy, (f) => {
          tagsDisabled(f);
          setPodTrust(TAG_CONDITIONS)(f);
        }),
        findings: [{ evidence: { disableSessionTags: true } }],
      },
    ],
    skipped: [{ name: "the association keeps its tags", facts: healthy, reason: /keeps the session tags/ }],
  },
  "eks.pod-identity-source-permission": {
    valid: [{ name: "an inline policy allows both actions on the target", facts: chain }],
    invalid: [
      {
        name: "the inline policy allows sts:AssumeRole but not sts:TagSession",
        facts: edit(chain, (f) => {
          const g = f.podIdentitySourcePolicies![POD_ROLE];
          if (g.status === "ok") (g.value.assume.Statement as { Action: string[] }[])[0].Action = ["sts:AssumeRole"];
        }),
        findings: [{ evidence: { targetRoleArn: TARGET } }],
      },
    ],
    skipped: [
      {
        name: "the target is not chained",
        facts: healthy,
        reason: /no target role/,
      },
    ],
  },
  "eks.pod-identity-target-trust": {
    valid: [{ name: "the trust names the role with the external id", facts: chain }],
    invalid: [
      {
        name: "another external id",
        facts: edit(chain, (f) => {
          f.podIdentityTargetRoles![TARGET] = ok(
            targetRole(
              trust({
                Effect: "Allow",
                Principal: { AWS: POD_ROLE },
                Action: ["sts:AssumeRole", "sts:TagSession"],
                Condition: { StringEquals: { "sts:ExternalId": "0000" } },
              }),
            ),
          );
          refused(f);
        }),
        findings: [{ severity: "error", evidence: { externalIdCondition: "mismatch", externalId: EXTERNAL_ID } }],
      },
      {
        name: "no sts:ExternalId condition at all",
        facts: edit(chain, (f) => {
          f.podIdentityTargetRoles![TARGET] = ok(
            targetRole(
              trust({ Effect: "Allow", Principal: { AWS: POD_ROLE }, Action: ["sts:AssumeRole", "sts:TagSession"] }),
            ),
          );
        }),
        findings: [{ severity: "warning", evidence: { externalIdCondition: "absent" } }],
      },
      {
        name: "the target's trust is in an unreadable account and EKS Auth refuses",
        facts: edit(chain, (f) => {
          f.podIdentityTargetRoles![TARGET] = skipped("the role is in account 444455556666");
          refused(f);
        }),
        findings: [{ evidence: { eksAuthCode: "AccessDeniedException" }, title: /cannot read/ }],
      },
    ],
    skipped: [
      {
        name: "unreadable and EKS Auth not asked",
        facts: edit(chain, (f) => {
          f.podIdentityTargetRoles![TARGET] = skipped("the role is in account 444455556666");
          f.podIdentityExchange = skipped("the token exchange is disabled (--no-exchange)");
        }),
        reason: /could not be read/,
      },
    ],
  },
  "eks.pod-identity-exchange": {
    valid: [
      { name: "EKS Auth accepts what we predict", facts: healthy },
      {
        name: "EKS Auth refuses what we predict it refuses",
        facts: edit(healthy, (f) => {
          setPodTrust(ASSUME_ONLY)(f);
          refused(f);
        }),
      },
    ],
    invalid: [
      {
        name: "EKS Auth refuses a configuration we read as working",
        facts: edit(healthy, refused),
        findings: [{ severity: "error", evidence: { predictedFromConfiguration: "accepted" } }],
      },
      {
        name: "EKS Auth issues credentials we predicted it would refuse",
        facts: edit(healthy, setPodTrust(ASSUME_ONLY)),
        findings: [{ severity: "warning", evidence: { predictedFromConfiguration: "rejected" } }],
      },
    ],
  },
  "eks.pod-identity-mechanism-served": {
    valid: [{ name: "only Pod Identity's variables", facts: healthy }],
    invalid: [
      {
        name: "both sets, the IRSA role missing",
        facts: edit(healthy, (f) => {
          bothSets(IRSA_ROLE)(f);
          if (f.serviceAccount.status === "ok" && f.serviceAccount.value)
            f.serviceAccount.value.annotations = { "eks.amazonaws.com/role-arn": IRSA_ROLE };
          f.irsaRole = ok(null);
        }),
        findings: [{ severity: "error", evidence: { servedBy: "IRSA" } }],
      },
      {
        name: "both sets, an IRSA role we know nothing wrong about",
        facts: edit(healthy, bothSets(IRSA_ROLE)),
        findings: [{ severity: "info", evidence: { servedBy: "IRSA" } }],
      },
    ],
  },
  "eks.pod-identity-sdk-too-old": {
    valid: [
      {
        name: "AWS CLI 2.15.0",
        facts: edit(healthy, (f) => (f.pods = ok([podIdentityPod("public.ecr.aws/aws-cli/aws-cli:2.15.0")]))),
      },
    ],
    invalid: [
      {
        name: "AWS CLI 2.13.25",
        facts: edit(healthy, (f) => (f.pods = ok([podIdentityPod("amazon/aws-cli:2.13.25")]))),
        findings: [{ evidence: { version: "2.13.25", minimum: "2.15.0" } }],
      },
    ],
    skipped: [{ name: "an application image", facts: healthy, reason: /does not reveal its AWS SDK version/ }],
  },
};

/** The session-tag cases of eks.pod-identity-trust-invalid (its main table is in tables-pods.ts). */
export const podIdentityTrustWithTags: Table<EksFacts> = {
  valid: [
    { name: "the documented trust", facts: healthy },
    {
      name: "sts:AssumeRole alone with session tags disabled",
      facts: edit(healthy, (f) => {
        tagsDisabled(f);
        setPodTrust(ASSUME_ONLY)(f);
      }),
    },
  ],
  invalid: [
    {
      name: "sts:AssumeRole alone with session tags",
      facts: edit(healthy, setPodTrust(ASSUME_ONLY)),
      findings: [{}],
    },
  ],
};
