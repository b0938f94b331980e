// The account side of IRSA: an IAM OIDC provider for the cluster's issuer, its audiences and thumbprints.
import type { Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import { parseEksIssuer, providerUrlFromArn } from "../arn.js";
import type { EksFacts } from "../facts.js";
import { customAudience, customAudienceFix, DEFAULT_AUDIENCE, mechanismOf, names, sh } from "../names.js";
import { eksCheck, irsa } from "./define.js";

const THUMBPRINT_MESSAGE = /doesn't match configured thumbprint|thumbprint/i;

function irsaOnly(f: EksFacts): string | undefined {
  if (mechanismOf(f) !== "irsa") return "the service account does not use IRSA";
  return undefined;
}

function needProvider(f: EksFacts): string | undefined {
  const why = irsaOnly(f);
  if (why) return why;
  if (f.issuer.status !== "ok") return `the cluster's issuer is unknown: ${f.issuer.reason}`;
  if (f.oidcProvider.status !== "ok") return `the account's OIDC providers could not be read: ${f.oidcProvider.reason}`;
  return undefined;
}

/** Issuers AWS serves from its own domains are checked against public CAs; the thumbprint is not used. */
export function thumbprintRelied(issuer: string): boolean {
  return !parseEksIssuer(issuer) && !/\.s3[.-]([a-z0-9-]+\.)?amazonaws\.com/.test(issuer);
}

export const oidcProviderMissing = eksCheck({
  id: "eks.oidc-provider-missing",
  doc: {
    meaning: "The account has no IAM OIDC provider whose URL is the cluster's issuer (`identity.oidc.issuer`).",
    symptom: "`InvalidIdentityToken: No OpenIDConnect provider found in your account for https://…`",
  },
  supersedes: ["exchange.failed"],
  severity: "error",
  confirms: ["irsa_no_oidc_provider"],
  essential: irsa,
  title: "The account has an IAM OIDC provider for the cluster's issuer",
  skippedBecause(f) {
    const why = needProvider(f);
    if (why) return why;
    const n = names(f);
    const caller = valueOf(f.accountId);
    if (n.roleAccount && caller && n.roleAccount !== caller) {
      return `the role lives in account ${n.roleAccount}; its OIDC provider must exist there, and this credential sees account ${caller}`;
    }
    return undefined;
  },
  run(f) {
    if (valueOf(f.oidcProvider)) return [];
    const n = names(f);
    const arns = valueOf(f.oidcProviderArns) ?? [];
    const id = parseEksIssuer(n.issuer)?.id;
    const similar = arns.filter((a) => id && providerUrlFromArn(a)?.toUpperCase().includes(id.toUpperCase()));
    return [
      {
        id: this.id,
        severity: "error",
        title: `No IAM OIDC provider for ${n.issuer} in account ${n.accountId}`,
        evidence: {
          clusterIssuer: n.issuer,
          expectedProviderArn: n.providerArn,
          providersInAccount: arns.slice(0, 20),
          ...(similar.length ? { sameIdOtherUrl: similar } : {}),
          stsWillSay: `InvalidIdentityToken: No OpenIDConnect provider found in your account for ${n.issuer}`,
        },
        fix: {
          summary: "Create the IAM OIDC provider for the cluster's issuer, with sts.amazonaws.com as its audience.",
          commands: n.clusterName.startsWith("<")
            ? [`aws iam create-open-id-connect-provider --url ${sh(n.issuer)} --client-id-list sts.amazonaws.com`]
            : [
                `eksctl utils associate-iam-oidc-provider --cluster ${sh(n.clusterName)} --region ${sh(n.region)} --approve`,
                `aws iam create-open-id-connect-provider --url ${sh(n.issuer)} --client-id-list sts.amazonaws.com`,
              ],
        },
      },
    ];
  },
});

export const oidcAudienceMissing = eksCheck({
  id: "eks.oidc-audience-missing",
  doc: {
    meaning: "The provider's `ClientIDList` lacks the token's audience (`sts.amazonaws.com`).",
    symptom: "`InvalidIdentityToken: Incorrect token audience`",
  },
  supersedes: ["exchange.failed"],
  severity: "error",
  confirms: ["irsa_bad_audience"],
  essential: irsa,
  title: "The OIDC provider's ClientIDList contains the token's audience",
  skippedBecause(f) {
    const why = needProvider(f);
    if (why) return why;
    if (!valueOf(f.oidcProvider)) return "there is no OIDC provider for the issuer";
    return undefined;
  },
  run(f) {
    const p = valueOf(f.oidcProvider)!;
    const n = names(f);
    if (p.clientIds.includes(n.audience)) return [];
    const custom = customAudience(f);
    const awsSide = {
      summary: `Add ${n.audience} to the provider's client ids (or recreate the provider with it).`,
      commands: [
        `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${sh(p.arn)} --client-id ${sh(n.audience)}`,
        `aws iam get-open-id-connect-provider --open-id-connect-provider-arn ${sh(p.arn)}`,
      ],
    };
    return [
      {
        id: this.id,
        severity: "error",
        title: custom
          ? `The service account asks for the audience "${custom}" (not the default ${DEFAULT_AUDIENCE}), which the OIDC provider does not list`
          : `The OIDC provider does not list the audience "${n.audience}"`,
        evidence: {
          providerArn: p.arn,
          clientIdList: p.clientIds,
          tokenAudience: n.audience,
          ...(custom ? { annotatedAudience: custom, defaultAudience: DEFAULT_AUDIENCE } : {}),
          stsWillSay: "InvalidIdentityToken: Incorrect token audience",
        },
        fix: custom ? customAudienceFix(f, awsSide) : awsSide,
      },
    ];
  },
});

export const thumbprintMismatch = eksCheck({
  id: "eks.thumbprint-mismatch",
  doc: {
    severity: "error (warning for malformed thumbprints)",
    meaning:
      "STS rejected the issuer's certificate: it matches none of the provider's thumbprints. Only issuers that AWS does not host (self-managed clusters) are affected; for EKS and S3-hosted issuers AWS verifies the certificate through trusted CAs and ignores the thumbprint list, and the evidence says so.",
    symptom: "`InvalidIdentityToken: OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint`",
  },
  supersedes: ["exchange.failed"],
  severity: "error",
  confirms: ["irsa_thumbprint"],
  essential: irsa,
  title: "STS accepts the issuer's TLS certificate",
  skippedBecause: (f) =>
    needProvider(f) ?? (valueOf(f.oidcProvider) ? undefined : "there is no OIDC provider for the issuer"),
  run(f) {
    const p = valueOf(f.oidcProvider)!;
    const n = names(f);
    const relied = thumbprintRelied(n.issuer);
    const exchange = valueOf(f.exchange);
    const fromExchange =
      exchange && !exchange.ok && THUMBPRINT_MESSAGE.test(exchange.message) ? exchange.message : undefined;
    const fromText = f.errorText && /doesn't match configured thumbprint/i.test(f.errorText);
    const malformed = p.thumbprints.filter((t) => !/^[0-9a-fA-F]{40}$/.test(t));
    const findings: Finding[] = [];
    const evidence = {
      issuer: n.issuer,
      providerArn: p.arn,
      thumbprintList: p.thumbprints,
      thumbprintUsedByAws: relied,
      note: relied
        ? "This issuer is not hosted by AWS: if its certificate does not chain to a CA AWS trusts, STS compares the top intermediate CA's SHA-1 thumbprint with this list."
        : "AWS verifies this issuer through its library of trusted root CAs; the thumbprint list is kept but no longer used.",
    };
    if (fromExchange || (fromText && relied)) {
      findings.push({
        id: this.id,
        severity: "error",
        title: "STS rejects the issuer's certificate: it matches none of the provider's thumbprints",
        evidence: { ...evidence, stsSaid: fromExchange ?? "(from the error text)" },
        fix: {
          summary:
            "Set the thumbprint of the issuer's current top intermediate CA (eksctl computes it), or serve the issuer from a certificate signed by a public CA.",
          commands: [
            `aws iam update-open-id-connect-provider-thumbprint --open-id-connect-provider-arn ${sh(p.arn)} --thumbprint-list <sha1-of-top-intermediate-ca>`,
            `openssl s_client -servername ${sh(new URL(n.issuer).hostname)} -showcerts -connect ${sh(new URL(n.issuer).hostname)}:443 </dev/null`,
          ],
        },
      });
    } else if (relied && malformed.length) {
      findings.push({
        id: this.id,
        severity: "warning",
        title: "Some thumbprints are not 40 hexadecimal characters",
        evidence: { ...evidence, malformed },
        fix: {
          summary: "A thumbprint is the SHA-1 of the CA certificate, hex-encoded without colons.",
          commands: [
            `aws iam update-open-id-connect-provider-thumbprint --open-id-connect-provider-arn ${sh(p.arn)} --thumbprint-list <sha1-of-top-intermediate-ca>`,
          ],
        },
      });
    }
    return findings;
  },
});
