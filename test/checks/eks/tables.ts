// EKS checks (IRSA: the service account, the OIDC provider, the role) from facts written in code: the healthy
// world passes, one edit raises the check's finding.
import type { EksFacts } from "../../../src/diagnosis/eks/facts.js";
import type { EksCheckId } from "../../../src/diagnosis/eks/registry.js";
import type { PolicyStatement } from "../../../src/diagnosis/eks/trust-policy.js";
import { ok } from "../../../src/diagnosis/types.js";
import { edit } from "../builders.js";
import { EKS_SUBJECT, healthyIrsa, PROVIDER_URL, ROLE_ARN } from "../eks-builders.js";
import type { Table } from "../rule-tester.js";

const healthy = healthyIrsa();
const valid = [{ name: "a working IRSA setup", facts: healthy }];
const annotate = (annotations: Record<string, string>) => (f: EksFacts) => {
  if (f.serviceAccount.status === "ok" && f.serviceAccount.value) f.serviceAccount.value.annotations = annotations;
};
const statement = (f: EksFacts): PolicyStatement => {
  const role = f.irsaRole.status === "ok" ? f.irsaRole.value : null;
  const st = role?.trustPolicy?.Statement;
  return (Array.isArray(st) ? st[0] : st)!;
};
const pods = (f: EksFacts) => (f.pods.status === "ok" ? f.pods.value : []);

export const eksTables: Partial<Record<EksCheckId, Table<EksFacts>>> = {
  "sa.not-found": {
    valid,
    invalid: [
      { name: "no service account", facts: edit(healthy, (f) => (f.serviceAccount = ok(null))), findings: [{}] },
    ],
  },
  "sa.annotation-typo": {
    valid,
    invalid: [
      {
        name: "eks.amazon.com instead of eks.amazonaws.com",
        facts: edit(healthy, annotate({ "eks.amazon.com/role-arn": ROLE_ARN })),
        findings: [{ severity: "error" }],
      },
    ],
  },
  "sa.role-arn-missing": {
    valid,
    invalid: [{ name: "no role annotation, no association", facts: edit(healthy, annotate({})), findings: [{}] }],
  },
  "sa.role-arn-malformed": {
    valid,
    invalid: [
      {
        name: "a short account id",
        facts: edit(healthy, annotate({ "eks.amazonaws.com/role-arn": "arn:aws:iam::11112222333:role/orders-api" })),
        findings: [{}],
      },
    ],
  },
  "sa.annotation-invalid": {
    valid,
    invalid: [
      {
        name: "a token expiration below 600 seconds",
        facts: edit(
          healthy,
          annotate({ "eks.amazonaws.com/role-arn": ROLE_ARN, "eks.amazonaws.com/token-expiration": "60" }),
        ),
        findings: [{ severity: "warning" }],
      },
    ],
  },
  "eks.oidc-provider-missing": {
    valid,
    invalid: [
      {
        name: "no IAM OIDC provider for the issuer",
        facts: edit(healthy, (f) => {
          f.oidcProvider = ok(null);
          f.oidcProviderArns = ok([]);
        }),
        findings: [{}],
      },
    ],
  },
  "eks.oidc-audience-missing": {
    valid,
    invalid: [
      {
        name: "the provider lacks sts.amazonaws.com",
        facts: edit(healthy, (f) => {
          if (f.oidcProvider.status === "ok" && f.oidcProvider.value) f.oidcProvider.value.clientIds = ["example.com"];
        }),
        findings: [{}],
      },
    ],
  },
  "iam.role-not-found": {
    valid,
    invalid: [
      { name: "the role does not exist", facts: edit(healthy, (f) => (f.irsaRole = ok(null))), findings: [{}] },
    ],
  },
  "iam.trust-subject-mismatch": {
    valid,
    invalid: [
      {
        name: "the :sub condition names another service account",
        facts: edit(healthy, (f) => {
          statement(f).Condition!.StringEquals![`${PROVIDER_URL}:sub`] = "system:serviceaccount:orders:order-api";
        }),
        findings: [{}],
      },
    ],
  },
  "iam.trust-audience-mismatch": {
    valid,
    invalid: [
      {
        name: "the :aud condition names another audience",
        facts: edit(healthy, (f) => {
          statement(f).Condition!.StringEquals![`${PROVIDER_URL}:aud`] = "sts.amazonaws.com.cn";
        }),
        findings: [{}],
      },
    ],
  },
  "iam.trust-action-missing": {
    valid,
    invalid: [
      {
        name: "sts:AssumeRole instead of sts:AssumeRoleWithWebIdentity",
        facts: edit(healthy, (f) => {
          statement(f).Action = "sts:AssumeRole";
        }),
        findings: [{}],
      },
    ],
  },
  "iam.trust-subject-unrestricted": {
    valid,
    invalid: [
      {
        name: "no :sub condition",
        facts: edit(healthy, (f) => {
          delete statement(f).Condition!.StringEquals![`${PROVIDER_URL}:sub`];
        }),
        findings: [{ severity: "warning", evidence: { suggestedSubject: EKS_SUBJECT } }],
      },
    ],
  },
  "pod.service-account-mismatch": {
    valid,
    invalid: [
      {
        name: "the pod runs as default",
        facts: edit(healthy, (f) => {
          f.target = { namespace: f.target.namespace, workload: "Deployment/orders-api", serviceAccount: "orders-api" };
          pods(f)[0].spec!.serviceAccountName = "default";
        }),
        findings: [{}],
      },
    ],
  },
  "exchange.failed": {
    valid,
    invalid: [
      {
        name: "STS refuses the token",
        facts: edit(
          healthy,
          (f) =>
            (f.exchange = ok({
              ok: false,
              code: "AccessDenied",
              message: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
              httpStatus: 403,
              roleArn: ROLE_ARN,
            })),
        ),
        findings: [{}],
      },
    ],
  },
};
