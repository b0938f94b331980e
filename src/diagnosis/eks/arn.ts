// ARNs and the names derived from an EKS cluster's issuer. Pure string work.

export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

export function parseArn(value: string): Arn | undefined {
  const m = /^arn:([a-z-]+):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws|):(.+)$/.exec(value);
  if (!m) return undefined;
  return { partition: m[1], service: m[2], region: m[3], account: m[4], resource: m[5] };
}

/** `arn:aws[-cn|-us-gov]:iam::<12 digits>:role/<path/>name` — the only shape the webhook and STS accept. */
export const ROLE_ARN_PATTERN =
  /^arn:aws(-cn|-us-gov|-iso|-iso-b)?:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

export interface RoleArn {
  partition: string;
  account: string;
  /** Path plus name, e.g. "team/payments-s3-reader". */
  pathAndName: string;
  /** The last segment: what GetRole wants. */
  roleName: string;
  path: string;
}

export function parseRoleArn(value: string): RoleArn | undefined {
  if (!ROLE_ARN_PATTERN.test(value)) return undefined;
  const arn = parseArn(value);
  if (!arn) return undefined;
  const pathAndName = arn.resource.slice("role/".length);
  const parts = pathAndName.split("/");
  const roleName = parts[parts.length - 1];
  const path = `/${parts
    .slice(0, -1)
    .map((p) => `${p}/`)
    .join("")}`;
  return { partition: arn.partition, account: arn.account, pathAndName, roleName, path };
}

/** Explain why a value is not a role ARN, in words a person can act on. */
export function roleArnProblem(value: string): string | undefined {
  const v = value;
  if (ROLE_ARN_PATTERN.test(v)) return undefined;
  if (v !== v.trim()) return "it has leading or trailing whitespace";
  if (/^\d{12}$/.test(v)) return "it is an account id, not a role ARN";
  if (!v.startsWith("arn:")) return 'it does not start with "arn:"';
  const arn = parseArn(v);
  if (!arn) {
    if (/^arn:[a-z-]+:iam:[a-z0-9-]+:\d{12}:/.test(v))
      return "IAM ARNs have an empty region field (iam::), this one names a region";
    if (/^arn:[a-z-]+:iam::\d{1,11}:|^arn:[a-z-]+:iam::\d{13,}:/.test(v))
      return "the account id must be exactly 12 digits";
    return "it is not of the form arn:<partition>:iam::<account>:role/<name>";
  }
  if (!["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b"].includes(arn.partition)) {
    return `"${arn.partition}" is not an AWS partition (aws, aws-cn, aws-us-gov)`;
  }
  if (arn.service !== "iam") return `the service is "${arn.service}", expected "iam"`;
  if (arn.region) return "IAM ARNs have an empty region field (iam::), this one names a region";
  if (!/^\d{12}$/.test(arn.account)) return "the account id must be exactly 12 digits";
  if (arn.resource.startsWith("user/")) return "it names an IAM user; IRSA needs a role";
  if (arn.resource.startsWith("instance-profile/")) return "it names an instance profile; IRSA needs the role itself";
  if (arn.resource.startsWith("assumed-role/"))
    return "it is an assumed-role session ARN (from STS), not the role's ARN";
  if (!arn.resource.startsWith("role/")) return `the resource "${arn.resource}" is not role/<name>`;
  return "the role name has characters IAM does not allow";
}

export function partitionForRegion(region: string | undefined): string {
  if (!region) return "aws";
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** IAM stores an OIDC provider's URL without the scheme (and without a trailing slash). */
export function providerUrlOf(issuer: string): string {
  return issuer.replace(/^https:\/\//i, "").replace(/\/+$/, "");
}

export function providerArnFor(accountId: string, issuer: string, partition = "aws"): string {
  return `arn:${partition}:iam::${accountId}:oidc-provider/${providerUrlOf(issuer)}`;
}

/** The URL part of an OIDC provider ARN, or undefined when it is not one. */
export function providerUrlFromArn(arn: string): string | undefined {
  const m = /^arn:[a-z-]+:iam::\d{12}:oidc-provider\/(.+)$/.exec(arn);
  return m ? m[1] : undefined;
}

export interface EksIssuer {
  region: string;
  id: string;
}

/** `oidc.eks.<region>.amazonaws.com/id/<ID>` (with or without scheme). */
export function parseEksIssuer(urlOrIssuer: string): EksIssuer | undefined {
  const m = /^(?:https:\/\/)?oidc\.eks\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/id\/([A-Za-z0-9]+)\/?$/.exec(
    urlOrIssuer,
  );
  return m ? { region: m[1], id: m[2] } : undefined;
}

/** EKS API endpoints look like `<ID>.<shard>.<region>.eks.amazonaws.com`. */
export function parseEksEndpoint(host: string): { id: string; region: string } | undefined {
  const h = host
    .replace(/^https:\/\//, "")
    .replace(/[:/].*$/, "")
    .toLowerCase();
  const m = /^([a-z0-9]+)\.[a-z0-9]+\.([a-z0-9-]+)\.eks\.amazonaws\.com(\.cn)?$/.exec(h);
  return m ? { id: m[1].toUpperCase(), region: m[2] } : undefined;
}

/** `arn:aws:eks:<region>:<account>:cluster/<name>` as kubeconfig context names often are. */
export function parseClusterArn(value: string): { region: string; account: string; name: string } | undefined {
  const m = /^arn:[a-z-]+:eks:([a-z0-9-]+):(\d{12}):cluster\/([A-Za-z0-9][A-Za-z0-9_-]*)$/.exec(value);
  return m ? { region: m[1], account: m[2], name: m[3] } : undefined;
}

/** Small edit distance for "is this a typo of that". */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const prev = new Array(b.length + 1).fill(0).map((_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** `system:serviceaccount:<ns>:<name>` — the subject Kubernetes puts in service-account tokens. */
export function serviceAccountSubject(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

export function parseServiceAccountSubject(sub: string): { namespace: string; name: string } | undefined {
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(sub);
  return m ? { namespace: m[1], name: m[2] } : undefined;
}
