// Cause classes past the token exchange on Azure (roles, Key Vault, IMDS, aad-pod-identity, the issuer) and the
// ones no platform owns (Conditional Access, scope, not recognised).
import { cmd, placeholder, raw } from "../command.js";
import { args, discoveryUrl, isAws, ph, restartWorkload, roleNameOf } from "./class-helpers.js";
import type { ClassInfo, ErrorClass } from "./vocabulary.js";

/** The proxy option per language (AKS identity-bindings-concepts, and the GA names in the libraries' sources). */
const BINDING_PROXY_OPTIONS =
  "Go azidentity: WorkloadIdentityCredentialOptions.EnableAzureProxy (EnableAzureTokenProxy in v1.14.0-beta.2); .NET Azure.Identity: WorkloadIdentityCredentialOptions.IsAzureProxyEnabled (IsAzureKubernetesTokenProxyEnabled in 1.18.0-beta.2); Java azure-identity: WorkloadIdentityCredentialBuilder.enableAzureProxy() (enableAzureTokenProxy() in 1.19.0-beta.1); JavaScript @azure/identity: enableAzureProxy (enableAzureKubernetesTokenProxy in 4.14.0-beta.1); Python azure-identity: enable_azure_proxy=True (use_token_proxy in 1.26.0b1). DefaultAzureCredential and ManagedIdentityCredential do not support it.";

export const azureClasses = {
  rbac_missing_role: {
    title: "Authenticated, but the identity lacks permission",
    explain: ({ platform }) =>
      isAws(platform)
        ? "The role was assumed, but its policies do not allow the action on the resource."
        : "Token exchange worked; the target service refused the call because the identity has no role assignment (or access policy) that allows the action on that scope. New assignments can take a few minutes to apply.",
    confirmWith: ({ x, platform }) =>
      isAws(platform)
        ? [{ tool: "inspect_iam_role", arguments: args(x, ["roleArn"]) }]
        : [
            { tool: "check_role_assignments", arguments: args(x, ["clientId"]) },
            ...(x.vault ? [{ tool: "check_keyvault_access", arguments: args(x, ["vault"], ["clientId"]) }] : []),
          ],
    fixes: ({ x, platform }) =>
      isAws(platform)
        ? [
            {
              summary: "Attach a policy that allows the action to the role",
              commands: [cmd`aws iam attach-role-policy --role-name ${roleNameOf(x)} --policy-arn <policy-arn>`],
            },
          ]
        : [
            {
              summary:
                "Grant the identity a role on the resource (Key Vault Secrets User for secrets in an RBAC vault)",
              commands: [
                cmd`az role assignment create --assignee ${ph(x.clientId, "client-id")} --role ${x.vault ? "Key Vault Secrets User" : placeholder("role")} --scope ${x.vault ? raw(`"$(${cmd`az keyvault show --name ${x.vault} --query id -o tsv`})"`) : placeholder("scope")}`,
              ],
            },
          ],
  },
  keyvault_firewall: {
    title: "The Key Vault firewall rejects the caller's network",
    explain: ({ x }) =>
      `Authentication worked, but ${x.vault ? `vault '${x.vault}'` : "the vault"} only accepts selected networks and the request came from an address or subnet it does not allow.`,
    confirmWith: ({ x }) => [{ tool: "check_keyvault_access", arguments: args(x, ["vault"], ["clientId"]) }],
    fixes: ({ x }) => [
      {
        summary: "Allow the cluster's subnet (or use a private endpoint)",
        commands: [
          cmd`az keyvault network-rule add --name ${ph(x.vault, "vault-name")} --subnet <aks-subnet-resource-id>`,
          cmd`az keyvault show --name ${ph(x.vault, "vault-name")} --query properties.networkAcls`,
        ],
      },
    ],
  },
  imds_unreachable: {
    title: "The node-local credential endpoint did not answer",
    explain: ({ platform }) =>
      platform === "eks-pod-identity"
        ? "The EKS Pod Identity agent at 169.254.170.23 did not answer: the agent add-on is not installed, not running on this node, or the pod uses host networking or a network policy that blocks it."
        : "The request to the instance metadata endpoint (169.254.169.254) timed out or was refused. On a workload-identity pod this usually means the SDK fell back to managed identity because the workload identity variables are missing; otherwise a network policy or proxy blocks IMDS.",
    confirmWith: ({ x, platform }) =>
      platform === "eks-pod-identity"
        ? [{ tool: "inspect_workload", arguments: args(x, ["namespace"]) }]
        : [
            { tool: "inspect_workload", arguments: args(x, ["namespace"]) },
            { tool: "inspect_pod_identity", arguments: args(x, ["namespace"]) },
          ],
    fixes: ({ platform }) => [
      platform === "eks-pod-identity"
        ? {
            summary: "Install or repair the EKS Pod Identity agent",
            commands: [
              "kubectl get daemonset eks-pod-identity-agent -n kube-system",
              "aws eks describe-addon --cluster-name <cluster> --addon-name eks-pod-identity-agent",
            ],
          }
        : {
            summary:
              "Check that the pod carries the workload identity variables; otherwise allow egress to 169.254.169.254",
            commands: [
              "kubectl exec <pod> -n <namespace> -- env | grep AZURE_",
              "kubectl get networkpolicy -n <namespace>",
            ],
          },
    ],
  },
  nmi_identity_not_assigned: {
    title: "aad-pod-identity has no identity assigned to the pod",
    explain: () =>
      "NMI answered the token request but found no AzureAssignedIdentity for the pod: no AzureIdentityBinding selector matches the pod's aadpodidbinding label, the requested client ID is not bound to it, or MIC has not (yet) assigned the identity to the node.",
    confirmWith: ({ x }) => [
      { tool: "inspect_pod_identity", arguments: args(x, ["namespace"]) },
      { tool: "plan_migration", arguments: args(x, ["namespace"]) },
    ],
    fixes: ({ x }) => [
      {
        summary: "Match the binding selector to the pod label, then read MIC's log for assignment errors",
        commands: [
          cmd`kubectl get azureidentity,azureidentitybinding,azureassignedidentity -n ${ph(x.namespace, "namespace")}`,
          "kubectl logs -l component=mic --since=1h | grep ^E",
        ],
      },
    ],
  },
  mic_linked_authorization: {
    title: "MIC may not assign the user-assigned identity to the nodes",
    explain: () =>
      "The cluster's identity may update the node VM or scale set but lacks Microsoft.ManagedIdentity/userAssignedIdentities/assign/action on the user-assigned identity, so the identity never reaches the node and pods cannot use it.",
    confirmWith: ({ x }) => [
      { tool: "inspect_pod_identity", arguments: args(x, ["namespace"]) },
      { tool: "check_role_assignments", arguments: args(x, ["clientId"]) },
    ],
    fixes: () => [
      {
        summary:
          "Give the cluster's (kubelet) identity Managed Identity Operator on the identity, and Virtual Machine Contributor on the node resource group",
        commands: [
          'az role assignment create --role "Managed Identity Operator" --assignee <kubelet-identity-client-id> --scope <user-assigned-identity-resource-id>',
          'az role assignment create --role "Virtual Machine Contributor" --assignee <kubelet-identity-client-id> --scope <node-resource-group-id>',
        ],
      },
    ],
  },
  issuer_unreachable: {
    title: "The cloud could not fetch the cluster's OIDC discovery document or keys",
    explain: ({ x }) =>
      `Entra or STS could not read ${x.issuer ?? x.providerUrl ?? "the issuer"}/.well-known/openid-configuration or its JWKS: the OIDC issuer is disabled, its storage was deleted, it is not publicly reachable, or the service had a transient failure.`,
    confirmWith: () => [{ tool: "show_cluster_oidc", arguments: {} }],
    fixes: ({ x }) => [
      {
        summary: "Make the issuer's discovery document and JWKS publicly reachable (enable the cluster's OIDC issuer)",
        commands: [
          cmd`curl -sf ${discoveryUrl(x)}`,
          "az aks update --resource-group <resource-group> --name <cluster> --enable-oidc-issuer",
        ],
      },
    ],
  },
  issuer_key_missing: {
    title: "The key that signed the token is not in the issuer's JWKS",
    explain: () =>
      "The discovery document was reachable, but its JWKS does not publish the key (kid) that signed the token: the signing keys were rotated and pods still hold tokens signed by the old key, or a self-managed issuer's JWKS was not updated.",
    confirmWith: ({ x }) => [
      { tool: "show_cluster_oidc", arguments: {} },
      { tool: "inspect_token", arguments: args(x, ["namespace"], ["serviceAccount"]) },
    ],
    fixes: ({ x }) => [
      {
        summary: "Publish the current signing key and let pods get fresh tokens",
        commands: ["az aks oidc-issuer rotate-signing-keys --help", restartWorkload(x)],
      },
    ],
  },
  conditional_access: {
    title: "A Conditional Access policy blocked token issuance",
    explain: () =>
      "Entra evaluated a Conditional Access policy (for example a location policy for workload identities) and refused to issue the token. The sign-in log entry with the correlation ID names the policy.",
    confirmWith: ({ x }) => [{ tool: "list_federated_credentials", arguments: args(x, ["clientId"]) }],
    fixes: ({ x }) => [
      {
        summary: "Find the blocking policy in the sign-in logs and exclude or adjust it for this identity",
        commands: [
          cmd`az rest --method get --url ${`https://graph.microsoft.com/v1.0/auditLogs/signIns?$filter=correlationId eq '${x.correlationId ?? "<correlation-id>"}'`}`,
        ],
      },
    ],
  },
  invalid_scope: {
    title: "The requested resource or scope is not valid",
    addedBecause:
      "AADSTS70011 (listed in the seed guides) and AADSTS500011 fail after the identity was accepted: the scope names a resource that does not exist in the tenant or is malformed. None of the fixed classes describes that, and mapping it to an identity class would send users to fix the wrong object.",
    explain: () =>
      "The identity was accepted, but the token request asked for a scope Entra does not recognise: a typo in the resource URI, a missing '/.default', several resources in one request, or a resource application that is not present in the tenant.",
    confirmWith: ({ x }) => [{ tool: "inspect_workload", arguments: args(x, ["namespace"]) }],
    fixes: () => [
      {
        summary: "Request one resource with the '/.default' suffix, e.g. https://vault.azure.net/.default",
        commands: [],
      },
    ],
  },
  binding_proxy_not_enabled: {
    title: "The application does not use the AKS identity binding proxy",
    addedBecause:
      "On the identity binding path the webhook gives the pod a token with audience api://AKSIdentityBinding and the proxy's address (AZURE_KUBERNETES_TOKEN_PROXY); the SDK sends its request to the proxy only when the application enables the proxy option of WorkloadIdentityCredential (EnableAzureProxy in azidentity, and its equivalent in each language), which older releases do not have. sdk_too_old means a library without workload identity at all, and its fix (upgrade, use DefaultAzureCredential) does not help here: DefaultAzureCredential does not support the proxy.",
    explain: () =>
      `The pod opts into an AKS identity binding, but its WorkloadIdentityCredential sends the pod's own token (audience api://AKSIdentityBinding) straight to Entra, or the application does not build because its Azure Identity release predates the proxy option. ${BINDING_PROXY_OPTIONS}`,
    confirmWith: ({ x }) => [
      { tool: "diagnose_workload_identity", arguments: args(x, ["namespace"], ["serviceAccount"]) },
      { tool: "inspect_workload", arguments: args(x, ["namespace"]) },
    ],
    fixes: () => [
      {
        summary: `Construct WorkloadIdentityCredential with the proxy option enabled, on an Azure Identity release that has it (${BINDING_PROXY_OPTIONS}); or, to keep the direct path, remove the pod annotation azure.workload.identity/use-identity-binding and give the identity a federated credential for this cluster.`,
        commands: [],
      },
    ],
  },
  unknown: {
    title: "Not recognised",
    explain: () =>
      "This text matches no entry in the catalogue, so no cause can be named with confidence. The closest candidates follow with low confidence; a one-call diagnosis of the workload will tell more.",
    confirmWith: ({ x }) => [
      { tool: "diagnose_workload_identity", arguments: args(x, ["namespace"], ["serviceAccount"]) },
    ],
    fixes: () => [],
  },
} satisfies Partial<Record<ErrorClass, ClassInfo>>;
