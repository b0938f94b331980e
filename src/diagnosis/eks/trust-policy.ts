import { parseServiceAccountSubject, providerUrlOf } from "./arn.js";
import {
  type AssumeRequest,
  evaluateTrustPolicy,
  type FailingClause,
  type PolicyDocument,
  POD_IDENTITY_ACTIONS,
  POD_IDENTITY_SERVICE,
  type TrustEvaluation,
  WEB_IDENTITY_ACTION,
  type WebIdentityClaims,
  statementsOf,
  principalValues,
} from "./trust-engine.js";
import { irsaMistakes } from "./trust-mistakes.js";

export * from "./trust-engine.js";

/** The condition context STS builds from an OIDC token: `<provider-url>:sub`, `:aud` (and `:amr`). */
export function webIdentityContext(claims: WebIdentityClaims): AssumeRequest["context"] {
  const url = providerUrlOf(claims.iss);
  const ctx: AssumeRequest["context"] = { [`${url}:sub`]: claims.sub, [`${url}:aud`]: claims.aud };
  if (claims.amr?.length) ctx[`${url}:amr`] = claims.amr;
  return ctx;
}

export function evaluateIrsaTrust(
  doc: PolicyDocument | undefined,
  input: { providerArn: string; claims: WebIdentityClaims },
): TrustEvaluation {
  const req: AssumeRequest = {
    principalType: "Federated",
    principal: input.providerArn,
    actions: [WEB_IDENTITY_ACTION],
    context: webIdentityContext(input.claims),
  };
  const result = evaluateTrustPolicy(doc, req);
  result.mistakes.push(...irsaMistakes(doc, input.providerArn, input.claims));
  // When both :sub and :aud fail in one statement, the subject is named first whatever the key order in the
  // document: it is the one that identifies the service account (and what a swap of the two looks like).
  const fc = result.failingClause;
  if (fc && /:aud$/i.test(fc.key)) {
    const sub = result.statements[fc.statementIndex]?.clauses.find((c) => !c.holds && /:sub$/i.test(c.key));
    if (sub) {
      const { holds: _h, ...rest } = sub;
      result.failingClause = rest;
    }
  }
  if (result.failingClause) result.failingClause.reason = refineReason(result.failingClause, input.claims);
  return result;
}

function refineReason(clause: FailingClause, claims: WebIdentityClaims): string {
  if (!/:sub$/i.test(clause.key) || typeof clause.actual !== "string") return clause.reason;
  const want = parseServiceAccountSubject(clause.actual);
  const candidates = clause.expected.map(parseServiceAccountSubject).filter((x) => x !== undefined);
  if (!want || candidates.length === 0) {
    if (clause.expected.includes(claims.aud))
      return `${clause.reason} (the audience is in the :sub condition: sub and aud look swapped)`;
    return clause.reason;
  }
  const c = candidates[0];
  const parts: string[] = [];
  if (c.namespace !== want.namespace) parts.push(`namespace "${c.namespace}" ≠ "${want.namespace}"`);
  if (c.name !== want.name) parts.push(`service account "${c.name}" ≠ "${want.name}"`);
  return parts.length ? `${clause.reason}: ${parts.join(", ")}` : clause.reason;
}

export interface PodIdentityContext {
  accountId?: string;
  clusterArn?: string;
  clusterName?: string;
  namespace: string;
  serviceAccount: string;
  /** false: the association disables session tags (no tags in the request, sts:TagSession not needed). */
  sessionTags?: boolean;
}

/** The session tags and source keys EKS Pod Identity puts in the request, usable in conditions. */
export function podIdentityContext(c: PodIdentityContext): AssumeRequest["context"] {
  const source = { "aws:SourceAccount": c.accountId, "aws:SourceArn": c.clusterArn };
  if (c.sessionTags === false) return { ...source, "aws:PrincipalServiceName": POD_IDENTITY_SERVICE };
  return {
    ...source,
    "aws:RequestTag/eks-cluster-arn": c.clusterArn,
    "aws:RequestTag/eks-cluster-name": c.clusterName,
    "aws:RequestTag/kubernetes-namespace": c.namespace,
    "aws:RequestTag/kubernetes-service-account": c.serviceAccount,
    "aws:TagKeys": [
      "eks-cluster-arn",
      "eks-cluster-name",
      "kubernetes-namespace",
      "kubernetes-service-account",
      "kubernetes-pod-name",
      "kubernetes-pod-uid",
    ],
    "aws:PrincipalServiceName": POD_IDENTITY_SERVICE,
  };
}

/** The actions EKS Pod Identity calls: sts:AssumeRole, and sts:TagSession unless session tags are disabled. */
export function podIdentityActions(sessionTags = true): string[] {
  return sessionTags ? POD_IDENTITY_ACTIONS : ["sts:AssumeRole"];
}

export function evaluatePodIdentityTrust(doc: PolicyDocument | undefined, ctx: PodIdentityContext): TrustEvaluation {
  const actions = podIdentityActions(ctx.sessionTags !== false);
  const req: AssumeRequest = {
    principalType: "Service",
    principal: POD_IDENTITY_SERVICE,
    actions,
    context: podIdentityContext(ctx),
  };
  const result = evaluateTrustPolicy(doc, req);
  const services = statementsOf(doc).flatMap((st) =>
    st.Effect === "Deny"
      ? []
      : (() => {
          const v = principalValues(st.Principal, "Service");
          return v === "*" ? ["*"] : v;
        })(),
  );
  if (!services.includes(POD_IDENTITY_SERVICE) && !services.includes("*")) {
    result.mistakes.push({
      kind: "service-principal-missing",
      statementIndex: -1,
      detail: `no statement trusts the service principal ${POD_IDENTITY_SERVICE}`,
      expected: POD_IDENTITY_SERVICE,
      actual: services.join(", ") || undefined,
    });
  }
  for (const action of actions) {
    const covered = result.statements.some(
      (s) => s.effect === "Allow" && s.principalMatches && s.actionsCovered.includes(action),
    );
    if (!covered) {
      result.mistakes.push({
        kind: "action-missing",
        statementIndex: -1,
        detail: `no Allow statement for ${POD_IDENTITY_SERVICE} allows ${action}`,
        expected: action,
      });
    }
  }
  return result;
}
