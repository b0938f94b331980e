// The AWS side of a capture, read through the AWS provider: the EKS cluster, IAM OIDC providers, roles (trust,
// attached and inline policies) and Pod Identity associations. A chained association's target role in another
// account is out of IAM's reach; EKS Auth's answer for the service account's token (when the capture may ask it)
// says whether that role accepts the chain, and the capture writes the least trust that gives the same answer.
// Reads only (plus that one token, with --exchange); a failed read is a note, never an abort.
import type { PodIdentityExchange } from "../model/aws.js";
import type { AwsProvider, PodIdentityAssociation } from "../providers/aws.js";
import { roleInlinePolicies } from "../providers/aws-pod-identity.js";
import type { RawObject } from "../providers/kube-raw.js";
import { annotation, attempt, envValues, type Notes } from "./cloud.js";

const roleNameOf = (arn: string) => /:role\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];
const accountOf = (arn: string) => /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(arn)?.[1];
/** arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION → ROLE. */
const assumedRoleNameOf = (arn: string) => /:assumed-role\/([^/]+)\//.exec(arn)?.[1];

/** Ask EKS Auth for a service account's pods.eks.amazonaws.com token, as the agent would; undefined: not allowed. */
export type PodIdentityAsk = (
  association: PodIdentityAssociation,
  region: string,
) => Promise<PodIdentityExchange | undefined>;

export interface AwsCaptureOptions {
  credentialAvailable: boolean;
  region?: string;
  /** Absent when the capture may not mint a token (live captures without --exchange). */
  askEksAuth?: PodIdentityAsk;
}

export interface AwsCapture {
  section?: Record<string, unknown>;
  notes: Notes;
  /** Fault rules the captured world needs to answer as unknown where the capture could not see. */
  faults: Record<string, unknown>[];
}

/** Sids that say where a reconstructed trust came from (IAM keeps a statement's Sid). */
const SID_ACCEPTED = "CapturedFromEksAuthAcceptingTheChain";
const SID_REFUSED = "CapturedFromEksAuthRefusingTheChain";

function actionsOf(a: PodIdentityAssociation): string[] {
  return a.disableSessionTags ? ["sts:AssumeRole"] : ["sts:AssumeRole", "sts:TagSession"];
}

/** The least trust that lets the association's role in with its external id: what EKS Auth's success proves. */
function acceptingTrust(a: PodIdentityAssociation): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: SID_ACCEPTED,
        Effect: "Allow",
        Principal: { AWS: a.roleArn },
        Action: actionsOf(a),
        ...(a.externalId ? { Condition: { StringEquals: { "sts:ExternalId": a.externalId } } } : {}),
      },
    ],
  };
}

/** A trust that refuses the chain: EKS Auth refused it, and why cannot be read from this account. */
function refusingTrust(a: PodIdentityAssociation): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [{ Sid: SID_REFUSED, Effect: "Deny", Principal: { AWS: a.roleArn }, Action: actionsOf(a) }],
  };
}

interface TargetOutcome {
  role?: Record<string, unknown>;
  fault?: Record<string, unknown>;
}

/**
 * A target role in another account: IAM there is out of reach, so EKS Auth's answer stands in for its trust. With
 * no answer, the captured world's EKS Auth is unavailable for the cluster, so its replay is inconclusive there too.
 */
async function targetFromEksAuth(
  a: PodIdentityAssociation,
  arn: string,
  region: string,
  notes: Notes,
  ask: PodIdentityAsk | undefined,
): Promise<TargetOutcome> {
  const account = accountOf(arn) ?? "?";
  const name = roleNameOf(arn) ?? arn;
  const unreadable = `role ${arn}: in account ${account}, which the operator's IAM cannot read`;
  const sa = `${a.namespace}/${a.serviceAccount}`;
  const unknown = (why: string): TargetOutcome => {
    notes.push(
      `${unreadable}, and ${why}: the captured world's EKS Auth does not answer for cluster ${a.clusterName}, so its replay is inconclusive about the chain`,
    );
    return {
      fault: {
        service: "eks-auth",
        path: `/clusters/${a.clusterName}/assume-role-for-pod-identity`,
        method: "POST",
        status: 503,
      },
    };
  };
  if (!ask)
    return unknown("EKS Auth was not asked (capture with --exchange to ask it with the service account's token)");
  let failure = "";
  const answer = await ask(a, region).catch((err: Error) => {
    failure = err.message.split("\n")[0];
    return undefined;
  });
  if (!answer) return unknown(failure ? `EKS Auth did not answer (${failure})` : "EKS Auth was not asked");
  const base = { roleName: name, accountId: account, attachedPolicyArns: [] };
  if (answer.ok) {
    const assumed = assumedRoleNameOf(answer.assumedRoleArn);
    if (accountOf(answer.assumedRoleArn) !== account || assumed?.toLowerCase() !== name.toLowerCase()) {
      return unknown(`EKS Auth handed out ${answer.assumedRoleArn}, not the target role`);
    }
    notes.push(
      `${unreadable}; EKS Auth assumed it for ${sa}, so its captured trust is the least that lets ${a.roleArn} in${a.externalId ? " with the association's external id" : ""} (its permissions are not captured)`,
    );
    return { role: { ...base, assumeRolePolicyDocument: acceptingTrust(a) } };
  }
  if (answer.code === "AccessDeniedException") {
    notes.push(
      `${unreadable}; EKS Auth refused the chain for ${sa} (${answer.code}), so its captured trust refuses ${a.roleArn} (why it refuses is not captured)`,
    );
    return { role: { ...base, assumeRolePolicyDocument: refusingTrust(a) } };
  }
  // The token itself was refused: the roles were never reached, and the captured token problem refuses it again.
  notes.push(
    `${unreadable}; EKS Auth refused the token for ${sa} before the roles (${answer.code}), so it is left out`,
  );
  return {};
}

async function sameAccountRole(aws: AwsProvider, name: string, notes: Notes) {
  const role = await attempt(notes, `role ${name}`, () => aws.getRole(name));
  if (!role?.trustPolicy) return undefined;
  const attached = (await attempt(notes, `policies of ${name}`, () => aws.listAttachedRolePolicies(name))) ?? [];
  const inline = (await attempt(notes, `inline policies of ${name}`, () => roleInlinePolicies(aws, name))) ?? {};
  return {
    roleName: role.name,
    path: role.path,
    assumeRolePolicyDocument: role.trustPolicy,
    attachedPolicyArns: attached.map((p) => p.arn),
    ...(Object.keys(inline).length ? { inlinePolicies: inline } : {}),
    ...(role.maxSessionDuration ? { maxSessionDuration: role.maxSessionDuration } : {}),
  };
}

function associationSection(a: PodIdentityAssociation): Record<string, unknown> {
  return {
    clusterName: a.clusterName,
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    roleArn: a.roleArn,
    associationId: a.associationId,
    ...(a.targetRoleArn ? { targetRoleArn: a.targetRoleArn } : {}),
    ...(a.externalId ? { externalId: a.externalId } : {}),
    ...(a.disableSessionTags ? { disableSessionTags: true } : {}),
  };
}

export async function captureAws(
  aws: AwsProvider,
  objects: RawObject[],
  apiServerHost: string,
  namespace: string,
  opts: AwsCaptureOptions,
): Promise<AwsCapture> {
  const notes: Notes = [];
  const faults: Record<string, unknown>[] = [];
  const region = opts.region ?? "us-west-2";
  if (!opts.credentialAvailable) {
    notes.push("no AWS credential: the AWS side is not captured");
    return { section: { accountId: "000000000000", region, credentialAvailable: false }, notes, faults };
  }
  const me = await attempt(notes, "caller identity", () => aws.getCallerIdentity());
  const cluster = await attempt(notes, "EKS cluster", () => aws.findClusterByEndpoint(apiServerHost));
  const roleArns = new Set<string>();
  for (const o of objects) {
    const arn = o.kind === "ServiceAccount" ? annotation(o, "eks.amazonaws.com/role-arn") : undefined;
    if (arn) roleArns.add(arn.trim());
  }
  for (const v of envValues(objects, "AWS_ROLE_ARN")) roleArns.add(v.trim());
  const associations = cluster
    ? ((await attempt(notes, "Pod Identity associations", () =>
        aws.podIdentityAssociationsWithRoles(cluster.name, namespace),
      )) ?? [])
    : [];
  for (const a of associations) {
    if (a.roleArn) roleArns.add(a.roleArn);
    if (a.targetRoleArn) roleArns.add(a.targetRoleArn);
  }
  const providerArns = (await attempt(notes, "IAM OIDC providers", () => aws.listOidcProviders())) ?? [];
  const oidcProviders: Record<string, unknown>[] = [];
  for (const arn of providerArns) {
    const p = await attempt(notes, `OIDC provider ${arn}`, () => aws.getOidcProvider(arn));
    if (p) oidcProviders.push({ url: `https://${p.url}`, clientIDList: p.clientIds, thumbprintList: p.thumbprints });
  }
  const roles: Record<string, unknown>[] = [];
  for (const arn of roleArns) {
    const name = roleNameOf(arn);
    if (!name) continue;
    const account = accountOf(arn);
    if (account && me?.account && account !== me.account) {
      // IAM answers only for the caller's own account: a chained association's target speaks through EKS Auth.
      const chain = associations.find((a) => a.targetRoleArn === arn && a.roleArn);
      if (!chain) {
        notes.push(`role ${arn}: in account ${account}, which the operator's IAM cannot read (left out)`);
        continue;
      }
      const t = await targetFromEksAuth(chain, arn, cluster?.region ?? region, notes, opts.askEksAuth);
      if (t.role) roles.push(t.role);
      if (t.fault && !faults.some((f) => f.path === t.fault!.path)) faults.push(t.fault);
      continue;
    }
    const role = await sameAccountRole(aws, name, notes);
    if (role) roles.push(role);
  }
  const section: Record<string, unknown> = {
    accountId: me?.account ?? "000000000000",
    region: cluster?.region ?? region,
    credentialAvailable: true,
    clusters: cluster
      ? [
          {
            name: cluster.name,
            endpoint: cluster.endpoint ?? `https://${apiServerHost}`,
            oidcIssuer: cluster.issuer ?? "",
            version: cluster.version ?? "1.30",
            status: cluster.status ?? "ACTIVE",
          },
        ]
      : [],
    oidcProviders,
    roles,
    podIdentityAssociations: associations.filter((a) => a.roleArn).map(associationSection),
  };
  return { section, notes, faults };
}
