// EKS checks of the IAM side of IRSA (the role's account, its trust policy, the provider's thumbprint) from facts
// written in code: the healthy world passes, one edit raises the check's finding.
import type { EksFacts } from "../../../src/diagnosis/eks/facts.js";
import type { EksCheckId } from "../../../src/diagnosis/eks/registry.js";
import type { PolicyStatement } from "../../../src/diagnosis/eks/trust-policy.js";
import { ok } from "../../../src/diagnosis/types.js";
import { edit } from "../builders.js";
import { ACCOUNT, EKS_SUBJECT, healthyIrsa, PROVIDER_ARN, PROVIDER_URL, ROLE_ARN } from "../eks-builders.js";
import type { Table } from "../rule-tester.js";

const healthy = healthyIrsa();
const valid = [{ name: "a working IRSA setup", facts: healthy }];
const OTHER_ACCOUNT = "444455556666";

const statements = (f: EksFacts): PolicyStatement[] => {
  const role = f.irsaRole.status === "ok" ? f.irsaRole.value : null;
  const st = role?.trustPolicy?.Statement;
  return Array.isArray(st) ? st : st ? [st] : [];
};
const statement = (f: EksFacts) => statements(f)[0];
const setRoleArn = (arn: string) => (f: EksFacts) => {
  if (f.serviceAccount.status === "ok" && f.serviceAccount.value)
    f.serviceAccount.value.annotations["eks.amazonaws.com/role-arn"] = arn;
};
const refused = (message: string, code = "InvalidIdentityToken") =>
  ok({ ok: false as const, code, message, httpStatus: 400, roleArn: ROLE_ARN });

export const eksTrustTables: Partial<Record<EksCheckId, Table<EksFacts>>> = {
  "iam.role-other-account": {
    valid,
    invalid: [
      {
        name: "the role is in another account and STS refused the token",
        facts: edit(healthy, (f) => {
          setRoleArn(ROLE_ARN.replace(ACCOUNT, OTHER_ACCOUNT))(f);
          f.exchange = refused("Not authorized to perform sts:AssumeRoleWithWebIdentity", "AccessDenied");
        }),
        findings: [{ severity: "error", evidence: { roleAccount: OTHER_ACCOUNT, callerAccount: ACCOUNT } }],
      },
      {
        name: "the role is in another account and no exchange was tried",
        facts: edit(healthy, (f) => {
          setRoleArn(ROLE_ARN.replace(ACCOUNT, OTHER_ACCOUNT))(f);
          f.exchange = { status: "skipped", reason: "--no-exchange" };
        }),
        findings: [{ severity: "info", evidence: { roleAccount: OTHER_ACCOUNT } }],
      },
    ],
    skipped: [
      {
        name: "the caller's account is unknown",
        facts: edit(healthy, (f) => (f.accountId = { status: "error", reason: "ExpiredToken" })),
        reason: /ExpiredToken/,
      },
    ],
  },
  "iam.trust-provider-mismatch": {
    valid,
    invalid: [
      {
        name: "the trust policy names another cluster's provider",
        facts: edit(healthy, (f) => {
          statement(f).Principal = {
            Federated: PROVIDER_ARN.replace(/id\/\w+$/, "id/0123456789ABCDEF0123456789ABCDEF"),
          };
        }),
        findings: [{ severity: "error" }],
      },
    ],
  },
  "iam.trust-explicit-deny": {
    valid,
    invalid: [
      {
        name: "a Deny statement matches the service account",
        facts: edit(healthy, (f) => {
          const deny = structuredClone(statement(f));
          deny.Effect = "Deny";
          const role = f.irsaRole.status === "ok" ? f.irsaRole.value : null;
          role!.trustPolicy!.Statement = [statement(f), deny];
        }),
        findings: [{ severity: "error" }],
      },
    ],
  },
  "iam.trust-wildcard-in-stringequals": {
    valid,
    invalid: [
      {
        name: "StringEquals holds a pattern for the subject",
        facts: edit(healthy, (f) => {
          statement(f).Condition = {
            StringEquals: {
              [`${PROVIDER_URL}:sub`]: "system:serviceaccount:orders:*",
              [`${PROVIDER_URL}:aud`]: "sts.amazonaws.com",
            },
          };
        }),
        findings: [{ severity: "error" }],
      },
    ],
  },
  "iam.trust-condition-key-invalid": {
    valid,
    invalid: [
      {
        name: "the condition key carries the issuer's https:// scheme",
        facts: edit(healthy, (f) => {
          statement(f).Condition = {
            StringEquals: {
              [`https://${PROVIDER_URL}:sub`]: EKS_SUBJECT,
              [`${PROVIDER_URL}:aud`]: "sts.amazonaws.com",
            },
          };
        }),
        findings: [{ severity: "error" }],
      },
    ],
  },
  "iam.trust-condition-failed": {
    valid,
    invalid: [
      {
        name: "a condition on another key does not hold",
        facts: edit(healthy, (f) => {
          statement(f).Condition = {
            StringEquals: {
              [`${PROVIDER_URL}:sub`]: EKS_SUBJECT,
              [`${PROVIDER_URL}:aud`]: "sts.amazonaws.com",
              [`${PROVIDER_URL}:amr`]: "authenticated",
            },
          };
        }),
        findings: [{ severity: "error" }],
      },
    ],
  },
  "eks.thumbprint-mismatch": {
    valid,
    invalid: [
      {
        name: "STS says the certificate matches no thumbprint",
        facts: edit(healthy, (f) => {
          f.exchange = refused("OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint");
        }),
        findings: [{ severity: "error", evidence: { thumbprintUsedByAws: false } }],
      },
      {
        name: "a self-hosted issuer's provider lists a malformed thumbprint",
        facts: edit(healthy, (f) => {
          const issuer = "https://oidc.example.com/orders";
          f.issuer = ok(issuer);
          f.token = ok({ iss: issuer, sub: EKS_SUBJECT, aud: ["sts.amazonaws.com"] });
          if (f.cluster.status === "ok" && f.cluster.value) f.cluster.value.issuer = issuer;
          f.oidcProvider = ok({
            arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.example.com/orders`,
            url: "oidc.example.com/orders",
            clientIds: ["sts.amazonaws.com"],
            thumbprints: ["9E:99:A4:8A"],
          });
        }),
        findings: [{ severity: "warning", evidence: { malformed: ["9E:99:A4:8A"] } }],
      },
    ],
  },
};
