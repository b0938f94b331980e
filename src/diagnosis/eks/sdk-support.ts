// What an AWS SDK in a pod does with EKS Pod Identity: the first versions that read the agent's endpoint, the order of
// each default credential chain, and the little a pod spec reveals about which SDK (and version) it runs.
// Sources: the EKS User Guide, "Use pod identity with the AWS SDK" (pod-id-minimum-sdk), and the SDKs' default
// credential provider chains (@aws-sdk/credential-provider-node, botocore.credentials, aws-sdk-go-v2/config,
// the Java v2 DefaultCredentialsProvider).
import type { ContainerLike } from "./facts.js";

export const POD_IDENTITY_SDK_DOC = "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-minimum-sdk.html";

/** The first release of each SDK whose container credential provider accepts the EKS Pod Identity Agent. */
export const POD_IDENTITY_MINIMUM_SDK: Record<string, string> = {
  "Java (v2)": "2.21.30",
  "Java (v1)": "1.12.746",
  "Go v1": "v1.47.11",
  "Go v2": "release-2023-11-14",
  "Python (Boto3)": "1.34.41",
  "Python (botocore)": "1.34.41",
  "AWS CLI v1": "1.30.0",
  "AWS CLI v2": "2.15.0",
  "JavaScript v2": "2.1550.0",
  "JavaScript v3": "v3.458.0",
  Kotlin: "v1.0.1",
  Ruby: "3.188.0",
  Rust: "release-2024-03-13",
  "C++": "1.11.263",
  ".NET": "3.7.734.0",
  PowerShell: "4.1.502",
  PHP: "3.287.1",
};

/**
 * Each default chain, as far as it matters here: web identity (IRSA's AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE)
 * is tried before the container provider (AWS_CONTAINER_CREDENTIALS_FULL_URI, which Pod Identity uses), and
 * static keys in the environment before both.
 */
export const DEFAULT_CHAIN_ORDER: Record<string, string> = {
  "JavaScript v3": "environment keys → SSO/ini/process profile → web identity token file → container (ECS/EKS) → IMDS",
  "Python (botocore)":
    "environment keys → assume-role profile → web identity → SSO → shared files → process → container → IMDS",
  "Go v2": "environment keys → shared profile → web identity → container → IMDS",
  "Java (v2)": "system properties → environment keys → web identity → profile → container → IMDS",
};

/** Images whose tag is the AWS CLI's own version (the only SDK version a pod spec states outright). */
const CLI_IMAGES = [/(^|\/)amazon\/aws-cli$/, /(^|\/)aws-cli\/aws-cli$/, /(^|\/)bitnami\/aws-cli$/];

export interface SdkEvidence {
  sdk: string;
  version: string;
  minimum: string;
  supported: boolean;
  from: string;
}

function parseVersion(v: string): number[] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function atLeast(v: number[], min: number[]): boolean {
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i] > min[i];
  return true;
}

/** The SDK version a container states (an AWS CLI image tag); undefined when the spec does not say. */
export function sdkOfContainer(c: ContainerLike & { image?: string }): SdkEvidence | undefined {
  const image = c.image ?? "";
  const at = image.lastIndexOf(":");
  const slash = image.lastIndexOf("/");
  const repo = at > slash ? image.slice(0, at) : image;
  const tag = at > slash ? image.slice(at + 1).replace(/@.*$/, "") : "";
  if (!CLI_IMAGES.some((r) => r.test(repo))) return undefined;
  const v = parseVersion(tag);
  if (!v) return undefined;
  const sdk = v[0] >= 2 ? "AWS CLI v2" : "AWS CLI v1";
  const minimum = POD_IDENTITY_MINIMUM_SDK[sdk];
  return { sdk, version: tag, minimum, supported: atLeast(v, parseVersion(minimum)!), from: `image ${image}` };
}
