// Cause classes of EKS: IRSA (OIDC provider, audience, thumbprint, trust policy, annotation), STS and old SDKs.
import { cmd } from "../command.js";
import { args, isAws, ph, restartWorkload, roleNameOf, subjectText } from "./class-helpers.js";
import type { ClassInfo, ErrorClass } from "./vocabulary.js";

export const awsClasses = {
  irsa_no_oidc_provider: {
    title: "IAM has no OIDC provider for the cluster's issuer",
    explain: ({ x }) =>
      `STS found no IAM OIDC identity provider for ${x.providerUrl ? `'${x.providerUrl}'` : "the cluster's issuer"} in the role's account. The provider must exist in the same account as the role and match the issuer URL exactly.`,
    confirmWith: ({ x }) => [{ tool: "inspect_iam_role", arguments: args(x, ["roleArn"]) }],
    fixes: () => [
      {
        summary: "Create the IAM OIDC provider for the cluster",
        commands: [
          'aws eks describe-cluster --name <cluster> --query "cluster.identity.oidc.issuer" --output text',
          "eksctl utils associate-iam-oidc-provider --cluster <cluster> --approve",
        ],
      },
    ],
  },
  irsa_bad_audience: {
    title: "The token's audience is not registered on the IAM OIDC provider",
    explain: () =>
      "STS rejected the token's audience: the OIDC provider's client ID list (or the trust policy's :aud condition) does not contain the audience the pod's token carries, normally sts.amazonaws.com.",
    confirmWith: ({ x }) => [{ tool: "inspect_iam_role", arguments: args(x, ["roleArn"]) }],
    fixes: () => [
      {
        summary: "Add sts.amazonaws.com to the provider's client IDs",
        commands: [
          "aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn <oidc-provider-arn> --client-id sts.amazonaws.com",
        ],
      },
    ],
  },
  irsa_thumbprint: {
    title: "The issuer's TLS certificate does not match the provider's thumbprint",
    explain: () =>
      "IAM checks the issuer's certificate chain against the thumbprints stored on the OIDC provider; the issuer's certificate changed and no stored thumbprint matches.",
    confirmWith: ({ x }) => [{ tool: "inspect_iam_role", arguments: args(x, ["roleArn"]) }],
    fixes: () => [
      {
        summary: "Store the current thumbprint on the OIDC provider",
        commands: [
          "aws iam update-open-id-connect-provider-thumbprint --open-id-connect-provider-arn <oidc-provider-arn> --thumbprint-list <thumbprint>",
        ],
      },
    ],
  },
  irsa_trust_policy_mismatch: {
    title: "The role's trust policy does not admit this service account",
    explain: ({ platform }) =>
      platform === "eks-pod-identity"
        ? "The role's trust policy does not let pods.eks.amazonaws.com assume it (sts:AssumeRole and sts:TagSession), so EKS cannot hand the pod credentials."
        : "STS refused AssumeRoleWithWebIdentity: the trust policy's Federated principal is another OIDC provider, or its :sub / :aud conditions name a different namespace, service account or audience.",
    confirmWith: ({ x }) => [
      { tool: "inspect_iam_role", arguments: args(x, ["roleArn"], ["namespace", "serviceAccount"]) },
      { tool: "inspect_service_account", arguments: args(x, ["namespace", "serviceAccount"]) },
    ],
    fixes: ({ x }) => [
      {
        summary: `Trust the cluster's OIDC provider with sub = ${subjectText(x)} and aud = sts.amazonaws.com`,
        commands: [
          cmd`aws iam get-role --role-name ${roleNameOf(x)} --query Role.AssumeRolePolicyDocument`,
          cmd`aws iam update-assume-role-policy --role-name ${roleNameOf(x)} --policy-document file://trust-policy.json`,
        ],
      },
    ],
  },
  irsa_sa_annotation_missing: {
    title: "The service account has no usable role annotation",
    explain: () =>
      "Without the eks.amazonaws.com/role-arn annotation (or with a malformed one) the webhook injects no AWS_ROLE_ARN or token, so the SDK falls back to the node's role or finds no credentials at all. Pods created before the annotation was added keep the old setup until recreated.",
    confirmWith: ({ x }) => [
      { tool: "inspect_service_account", arguments: args(x, ["namespace", "serviceAccount"]) },
      { tool: "check_webhook", arguments: {} },
    ],
    fixes: ({ x }) => [
      {
        summary: "Annotate the service account with the role and recreate the pods",
        commands: [
          cmd`kubectl annotate serviceaccount ${ph(x.serviceAccount, "service-account")} -n ${ph(x.namespace, "namespace")} eks.amazonaws.com/role-arn=${ph(x.roleArn, "role-arn")} --overwrite`,
          restartWorkload(x),
        ],
      },
    ],
  },
  sts_endpoint_unreachable: {
    title: "The pod cannot reach the STS endpoint",
    explain: ({ platform }) =>
      platform === "eks-pod-identity"
        ? "The EKS Pod Identity agent could not complete its call to the EKS Auth API (timeout, refused or cancelled): the node has no route to the eks-auth endpoint."
        : "The call to STS timed out or was refused. Private clusters often block the global endpoint sts.amazonaws.com; use the regional endpoint (and an STS VPC endpoint) instead.",
    confirmWith: ({ x }) => [{ tool: "inspect_workload", arguments: args(x, ["namespace"]) }],
    fixes: ({ x }) => [
      {
        summary: "Use regional STS endpoints and give the VPC a route to them",
        commands: [
          cmd`kubectl annotate serviceaccount ${ph(x.serviceAccount, "service-account")} -n ${ph(x.namespace, "namespace")} eks.amazonaws.com/sts-regional-endpoints=true --overwrite`,
          "aws ec2 create-vpc-endpoint --vpc-id <vpc-id> --service-name com.amazonaws.<region>.sts --vpc-endpoint-type Interface --subnet-ids <subnet-ids>",
        ],
      },
    ],
  },
  sdk_too_old: {
    title: "The SDK or library predates this identity mechanism",
    explain: ({ platform }) =>
      isAws(platform)
        ? "The AWS SDK in the image does not support this credential source (web identity token files, or the Pod Identity endpoint 169.254.170.23), so it falls back to other providers."
        : "The Azure library in the image has no workload identity credential (azidentity before v1.3.0, or a retired library such as Microsoft.Azure.Services.AppAuthentication or ADAL), so it ignores the federated token and tries other sources.",
    confirmWith: ({ x }) => [{ tool: "inspect_workload", arguments: args(x, ["namespace"]) }],
    fixes: ({ platform }) => [
      {
        summary: isAws(platform)
          ? "Upgrade the AWS SDK to a version that supports the credential source"
          : "Upgrade to a current Azure Identity library and use DefaultAzureCredential or WorkloadIdentityCredential",
        commands: [],
      },
    ],
  },
} satisfies Partial<Record<ErrorClass, ClassInfo>>;
