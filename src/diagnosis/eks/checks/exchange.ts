import { valueOf } from "../../types.js";
import type { EksFacts } from "../facts.js";
import { irsaEvaluation, mechanismOf, names, sh } from "../names.js";
import { eksCheck } from "./define.js";

export interface ExchangePrediction {
  /** undefined: the facts do not allow a prediction. */
  accepted?: boolean;
  stage: "provider" | "audience" | "role" | "trust-policy" | "unknown";
  reason: string;
}

/** What STS should answer, from the facts alone: provider, audience, role, then the trust policy. */
export function predictExchange(f: EksFacts): ExchangePrediction {
  if (mechanismOf(f) !== "irsa") return { stage: "unknown", reason: "the service account does not use IRSA" };
  if (f.oidcProvider.status === "ok") {
    const p = f.oidcProvider.value;
    if (!p) return { accepted: false, stage: "provider", reason: "no IAM OIDC provider for the issuer" };
    const aud = valueOf(f.token)?.aud ?? [names(f).audience];
    if (!aud.some((a) => p.clientIds.includes(a))) {
      return { accepted: false, stage: "audience", reason: "the token audience is not in the provider's ClientIDList" };
    }
  }
  if (f.irsaRole.status !== "ok")
    return { stage: "unknown", reason: `the role could not be read: ${f.irsaRole.reason}` };
  if (!f.irsaRole.value) return { accepted: false, stage: "role", reason: "the role does not exist" };
  const e = irsaEvaluation(f);
  if (!e) return { stage: "unknown", reason: "the trust policy could not be evaluated" };
  return {
    accepted: e.accepted,
    stage: "trust-policy",
    reason: e.accepted
      ? `statement ${e.allowedBy} allows the token`
      : (e.failingClause?.reason ?? "no statement allows the token"),
  };
}

export const exchangeFailed = eksCheck({
  id: "exchange.failed",
  doc: {
    meaning:
      "STS refused the minted token; the evidence holds STS's code and message next to what the configuration predicted.",
    symptom: "the same error as the workload",
  },
  severity: "error",
  title: "STS exchanges the service account's token for the role",
  skippedBecause(f) {
    if (f.exchange.status !== "ok") return f.exchange.reason;
    // The pods get Pod Identity credentials; how STS treats the annotated role does not reach them.
    if (mechanismOf(f) === "pod-identity") return "the service account's pods use EKS Pod Identity, not the IRSA role";
    return undefined;
  },
  run(f) {
    const x = valueOf(f.exchange)!;
    if (x.ok) return [];
    const n = names(f);
    const prediction = predictExchange(f);
    return [
      {
        id: this.id,
        severity: "error",
        title: `STS refused the token: ${x.code}: ${x.message}`,
        evidence: {
          roleArn: x.roleArn,
          stsCode: x.code,
          stsMessage: x.message,
          httpStatus: x.httpStatus,
          tokenIssuer: valueOf(f.token)?.iss,
          tokenSubject: valueOf(f.token)?.sub,
          tokenAudience: valueOf(f.token)?.aud,
          predictedFromConfiguration:
            prediction.accepted === undefined ? "unknown" : prediction.accepted ? "accepted" : "rejected",
          predictionReason: prediction.reason,
        },
        fix: {
          summary: "The findings above name the cause; after fixing it, try the exchange again.",
          commands: [
            `aws sts assume-role-with-web-identity --role-arn ${sh(x.roleArn)} --role-session-name check --web-identity-token "$(kubectl create token ${sh(n.serviceAccount)} -n ${sh(n.namespace)} --audience ${sh(n.audience)})"`,
          ],
        },
      },
    ];
  },
});
