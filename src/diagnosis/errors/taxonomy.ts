// The fixed vocabulary of error causes (docs/errors.md): for each class, what it means, which tools
// confirm it, and the fix, filled with the names found in the error text.
import { type CommandValue, cmd, type NameKind, nameRules, placeholder, raw, sh, validName } from "../command.js";
import type { Fix } from "../types.js";

export const errorClasses = [
  "fic_issuer_mismatch",
  "fic_subject_mismatch",
  "fic_audience_mismatch",
  "fic_missing",
  "wrong_client_id",
  "app_not_found_in_tenant",
  "wrong_tenant",
  "client_secret_invalid",
  "client_secret_expired",
  "cert_invalid",
  "assertion_expired_or_clock",
  "missing_env_config",
  "pod_not_mutated_label_missing",
  "webhook_not_running",
  "token_file_unreadable",
  "token_path_changed",
  "rbac_missing_role",
  "keyvault_firewall",
  "imds_unreachable",
  "nmi_identity_not_assigned",
  "mic_linked_authorization",
  "issuer_unreachable",
  "issuer_key_missing",
  "irsa_no_oidc_provider",
  "irsa_bad_audience",
  "irsa_thumbprint",
  "irsa_trust_policy_mismatch",
  "irsa_sa_annotation_missing",
  "sts_endpoint_unreachable",
  "sdk_too_old",
  "conditional_access",
  "invalid_scope",
  "unknown",
] as const;

export type ErrorClass = (typeof errorClasses)[number];

export const errorPlatforms = [
  "aks-workload-identity",
  "aad-pod-identity",
  "azure-sdk",
  "eks-irsa",
  "eks-pod-identity",
  "unknown",
] as const;

export type ErrorPlatform = (typeof errorPlatforms)[number];

/** Values read out of the error text. Never secrets: the text is redacted before anything is read. */
export interface Extracted {
  issuer?: string;
  subject?: string;
  audience?: string;
  tenantId?: string;
  clientId?: string;
  roleArn?: string;
  providerUrl?: string;
  namespace?: string;
  serviceAccount?: string;
  vault?: string;
  traceId?: string;
  correlationId?: string;
  timestamp?: string;
  tokenFile?: string;
}

export const extractedFields = [
  "issuer",
  "subject",
  "audience",
  "tenantId",
  "clientId",
  "roleArn",
  "providerUrl",
  "namespace",
  "serviceAccount",
  "vault",
  "traceId",
  "correlationId",
  "timestamp",
  "tokenFile",
] as const satisfies readonly (keyof Extracted)[];

export interface ToolCall {
  tool: string;
  arguments: Record<string, string>;
}

interface ClassContext {
  x: Extracted;
  platform: ErrorPlatform;
}

export interface ClassInfo {
  title: string;
  /** Why this class was added to the taxonomy the issue fixed, when it was (docs/errors.md). */
  addedBecause?: string;
  explain(c: ClassContext): string;
  confirmWith(c: ClassContext): ToolCall[];
  fixes(c: ClassContext): Fix[];
}

export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
/** Audiences the webhook uses in the sovereign clouds; all are valid for the exchange. */
export const azureExchangeAudiences = [
  "api://AzureADTokenExchange",
  "api://AzureADTokenExchangeUSGov",
  "api://AzureADTokenExchangeChina",
];

/** A value for a command, or a <placeholder> for the user to fill in when the error text did not hold it. */
const ph = (value: string | undefined, what: string): CommandValue => value ?? placeholder(what);
const subjectText = (x: Extracted) =>
  x.subject ?? `system:serviceaccount:${x.namespace ?? "<namespace>"}:${x.serviceAccount ?? "<service-account>"}`;
/** The subject as one shell word: quoted when known, with <placeholders> for the parts that are not. */
const subjectArg = (x: Extracted): CommandValue =>
  x.subject ??
  (x.namespace && x.serviceAccount
    ? `system:serviceaccount:${x.namespace}:${x.serviceAccount}`
    : raw(
        `system:serviceaccount:${x.namespace ? sh(x.namespace) : "<namespace>"}:${x.serviceAccount ? sh(x.serviceAccount) : "<service-account>"}`,
      ));
const roleNameOf = (x: Extracted): CommandValue =>
  x.roleArn ? x.roleArn.slice(x.roleArn.lastIndexOf("/") + 1) : placeholder("role-name");
const discoveryUrl = (x: Extracted): CommandValue => {
  const base = x.issuer ?? x.providerUrl;
  if (!base) return raw("<issuer-url>/.well-known/openid-configuration");
  return `${/^https:\/\//.test(base) ? "" : "https://"}${base.replace(/\/$/, "")}/.well-known/openid-configuration`;
};
const isAws = (p: ErrorPlatform) => p === "eks-irsa" || p === "eks-pod-identity";

/** Tool arguments with the values we know; required ones we do not know become <placeholders>. */
function args(x: Extracted, required: (keyof Extracted)[], optional: (keyof Extracted)[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const names: Partial<Record<keyof Extracted, string>> = { vault: "vaultName" };
  for (const k of required) out[names[k] ?? k] = x[k] ?? `<${k}>`;
  for (const k of optional) if (x[k]) out[names[k] ?? k] = x[k] as string;
  return out;
}

const restartWorkload = (x: Extracted) =>
  cmd`kubectl rollout restart deployment/<deployment> -n ${ph(x.namespace, "namespace")}`;

const classes: Record<ErrorClass, ClassInfo> = {
  fic_issuer_mismatch: {
    title: "Federated credential issuer does not match the token's issuer",
    explain: ({ x }) =>
      `The service-account token was issued by ${x.issuer ? `'${x.issuer}'` : "the cluster's OIDC issuer"}, and no federated credential on the identity names that issuer. Entra compares the issuer character for character: a missing or extra trailing slash, another cluster's issuer, or an issuer that changed when the cluster was recreated all fail.`,
    confirmWith: ({ x }) => [
      { tool: "show_cluster_oidc", arguments: {} },
      { tool: "list_federated_credentials", arguments: args(x, ["clientId"]) },
    ],
    fixes: ({ x }) => [
      {
        summary: "Set the federated credential's issuer to the cluster's issuer URL, exactly as the cluster reports it",
        commands: [
          "az aks show --resource-group <resource-group> --name <cluster> --query oidcIssuerProfile.issuerUrl -o tsv",
          cmd`az identity federated-credential update --name <federated-credential> --identity-name <identity-name> --resource-group <resource-group> --issuer "${ph(x.issuer, "issuer-url")}" --subject "${subjectArg(x)}" --audiences ${TOKEN_EXCHANGE_AUDIENCE}`,
        ],
      },
    ],
  },
  fic_subject_mismatch: {
    title: "No federated credential has the token's subject",
    explain: ({ x }) =>
      `The token's subject is ${x.subject ? `'${x.subject}'` : "system:serviceaccount:<namespace>:<service-account>"} and none of the identity's federated credentials has that exact subject. Subjects are compared case-sensitively, so a typo in the namespace or service account, a renamed service account, or different capitalisation all fail.`,
    confirmWith: ({ x }) => [
      { tool: "list_federated_credentials", arguments: args(x, ["clientId"]) },
      { tool: "inspect_service_account", arguments: args(x, ["namespace", "serviceAccount"]) },
    ],
    fixes: ({ x }) => [
      {
        summary: "Create a federated credential whose subject is the workload's service account",
        commands: [
          cmd`az identity federated-credential create --name ${x.serviceAccount ? `${x.serviceAccount}-fic` : placeholder("federated-credential")} --identity-name <identity-name> --resource-group <resource-group> --issuer "${ph(x.issuer, "issuer-url")}" --subject "${subjectArg(x)}" --audiences ${TOKEN_EXCHANGE_AUDIENCE}`,
        ],
      },
    ],
  },
  fic_audience_mismatch: {
    title: "Token audience is not the one the federated credential expects",
    explain: ({ x }) =>
      `The token was presented with audience ${x.audience ? `'${x.audience}'` : "<audience>"}, but the federated credential accepts only its configured audiences (normally ${TOKEN_EXCHANGE_AUDIENCE}). Either the projected token volume asks for another audience or the federated credential lists another one.`,
    confirmWith: ({ x }) => [
      { tool: "list_federated_credentials", arguments: args(x, ["clientId"]) },
      { tool: "inspect_token", arguments: args(x, ["namespace"], ["serviceAccount"]) },
    ],
    fixes: () => [
      {
        summary: `Use the audience ${TOKEN_EXCHANGE_AUDIENCE} on both sides`,
        commands: [
          cmd`az identity federated-credential update --name <federated-credential> --identity-name <identity-name> --resource-group <resource-group> --audiences ${TOKEN_EXCHANGE_AUDIENCE}`,
        ],
      },
    ],
  },
  fic_missing: {
    title: "The identity has no federated credential for this cluster",
    explain: ({ x }) =>
      `Entra found no federated credential on the identity for the presented token${x.subject ? ` (subject '${x.subject}')` : ""}. The credential may never have been created, may have been deleted, or was created on a different identity than the one the workload uses.`,
    confirmWith: ({ x }) => [
      { tool: "list_federated_credentials", arguments: args(x, ["clientId"]) },
      { tool: "show_cluster_oidc", arguments: {} },
    ],
    fixes: ({ x }) => [
      {
        summary: "Create the federated credential on the identity the workload's client ID belongs to",
        commands: [
          cmd`az identity federated-credential create --name <federated-credential> --identity-name <identity-name> --resource-group <resource-group> --issuer "${ph(x.issuer, "issuer-url")}" --subject "${subjectArg(x)}" --audiences ${TOKEN_EXCHANGE_AUDIENCE}`,
        ],
      },
    ],
  },
  wrong_client_id: {
    title: "The workload asks for the wrong identity (client ID)",
    explain: ({ x }) =>
      `The token request named client ID ${x.clientId ? `'${x.clientId}'` : "<client-id>"}, but the federated credential for this service account lives on another identity, or the client ID is empty or mistyped. The client ID comes from the service account annotation azure.workload.identity/client-id (or the clientID of a SecretProviderClass).`,
    confirmWith: ({ x }) => [
      { tool: "inspect_service_account", arguments: args(x, ["namespace", "serviceAccount"]) },
      { tool: "list_federated_credentials", arguments: args(x, ["clientId"]) },
    ],
    fixes: ({ x }) => [
      {
        summary:
          "Point the service account (and any SecretProviderClass) at the identity that holds the federated credential",
        commands: [
          cmd`az identity show --resource-group <resource-group> --name <identity-name> --query clientId -o tsv`,
          cmd`kubectl annotate serviceaccount ${ph(x.serviceAccount, "service-account")} -n ${ph(x.namespace, "namespace")} azure.workload.identity/client-id=<client-id> --overwrite`,
          restartWorkload(x),
        ],
      },
    ],
  },
  app_not_found_in_tenant: {
    title: "No application or managed identity with this client ID in the tenant",
    explain: ({ x }) =>
      `Entra has no application or managed identity with client ID ${x.clientId ? `'${x.clientId}'` : "<client-id>"} in tenant ${x.tenantId ? `'${x.tenantId}'` : "<tenant>"}. The ID may be mistyped, belong to a deleted identity, or live in another tenant; a resource ID or object ID instead of the client ID fails the same way.`,
    confirmWith: ({ x }) => [
      { tool: "inspect_service_account", arguments: args(x, ["namespace", "serviceAccount"]) },
      { tool: "list_federated_credentials", arguments: args(x, ["clientId"]) },
    ],
    fixes: ({ x }) => [
      {
        summary: "Find the identity's real client ID and use it",
        commands: [
          cmd`az ad sp show --id ${ph(x.clientId, "client-id")} --query "{appId:appId, tenant:appOwnerOrganizationId}"`,
          cmd`az identity list --query "[].{name:name, clientId:clientId, tenantId:tenantId}" -o table`,
        ],
      },
    ],
  },
  wrong_tenant: {
    title: "The token request went to the wrong tenant",
    explain: ({ x }) =>
      `The tenant ${x.tenantId ? `'${x.tenantId}'` : "in the request"} does not exist or is not the tenant that owns the identity. The tenant normally comes from AZURE_TENANT_ID (the webhook's default, or the azure.workload.identity/tenant-id annotation).`,
    confirmWith: ({ x }) => [
      { tool: "inspect_service_account", arguments: args(x, ["namespace", "serviceAccount"]) },
      { tool: "check_webhook", arguments: {} },
    ],
    fixes: ({ x }) => [
      {
        summary: "Use the tenant that owns the identity",
        commands: [
          "az account show --query tenantId -o tsv",
          cmd`kubectl annotate serviceaccount ${ph(x.serviceAccount, "service-account")} -n ${ph(x.namespace, "namespace")} azure.workload.identity/tenant-id=<tenant-id> --overwrite`,
          restartWorkload(x),
        ],
      },
    ],
  },
  client_secret_invalid: {
    title: "The client secret (or password) is wrong",
    explain: () =>
      "The secret sent with the request is not a valid secret of the application: often the secret's ID was copied instead of its value, or the secret was rotated. Workload identity needs no secret at all, so this usually means the workload is still configured for a client-secret credential.",
    confirmWith: ({ x }) => [
      { tool: "inspect_workload", arguments: args(x, ["namespace"]) },
      { tool: "inspect_service_account", arguments: args(x, ["namespace", "serviceAccount"]) },
    ],
    fixes: ({ x }) => [
      {
        summary:
          "Remove AZURE_CLIENT_SECRET from the workload and use workload identity, or set the secret's value (not its ID)",
        commands: [cmd`az ad app credential list --id ${ph(x.clientId, "app-id")} -o table`],
      },
    ],
  },
  client_secret_expired: {
    title: "The client secret has expired",
    explain: () =>
      "Every client secret of the application has passed its end date. Workload identity federation avoids secrets entirely; until then a new secret is needed.",
    confirmWith: ({ x }) => [{ tool: "inspect_workload", arguments: args(x, ["namespace"]) }],
    fixes: ({ x }) => [
      {
        summary: "Move the workload to workload identity, or add a new secret and roll it out",
        commands: [cmd`az ad app credential reset --id ${ph(x.clientId, "app-id")} --append --display-name rotated`],
      },
    ],
  },
  cert_invalid: {
    title: "The client certificate assertion is not valid for the application",
    explain: () =>
      "The assertion was signed with a certificate whose public key is not registered on the application, or the assertion itself is malformed.",
    confirmWith: ({ x }) => [{ tool: "inspect_workload", arguments: args(x, ["namespace"]) }],
    fixes: ({ x }) => [
      {
        summary: "Upload the certificate's public key to the application, or switch to workload identity",
        commands: [cmd`az ad app credential list --id ${ph(x.clientId, "app-id")} --cert -o table`],
      },
    ],
  },
  assertion_expired_or_clock: {
    title: "The token is expired or outside its valid time window",
    explain: ({ platform }) =>
      `The presented token is expired, not yet valid, or lives longer than the exchange allows. Typical causes: the application read the token file once and keeps sending the old token after the kubelet refreshed it, a skewed node clock, or a projected token lifetime above 24 hours${isAws(platform) ? "; STS rejects expired web identity tokens the same way" : ""}.`,
    confirmWith: ({ x }) => [
      { tool: "inspect_token", arguments: args(x, ["namespace"], ["serviceAccount"]) },
      { tool: "inspect_workload", arguments: args(x, ["namespace"]) },
    ],
    fixes: ({ x }) => [
      {
        summary:
          "Read the token file again before each exchange, keep node clocks in sync, and keep expirationSeconds at or below 86400",
        commands: [cmd`kubectl get pods -n ${ph(x.namespace, "namespace")} -o jsonpath='{..serviceAccountToken}'`],
      },
    ],
  },
  missing_env_config: {
    title: "The credential is missing its configuration (AZURE_CLIENT_ID and friends)",
    explain: () =>
      "The workload-identity credential needs AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE. The webhook sets the client ID from the service account annotation azure.workload.identity/client-id; without the annotation (or with a credential type that reads other variables) the SDK has nothing to authenticate with.",
    confirmWith: ({ x }) => [
      { tool: "inspect_service_account", arguments: args(x, ["namespace", "serviceAccount"]) },
      { tool: "inspect_workload", arguments: args(x, ["namespace"]) },
    ],
    fixes: ({ x }) => [
      {
        summary: "Annotate the service account with the identity's client ID and restart the pods",
        commands: [
          cmd`kubectl annotate serviceaccount ${ph(x.serviceAccount, "service-account")} -n ${ph(x.namespace, "namespace")} azure.workload.identity/client-id=${ph(x.clientId, "client-id")} --overwrite`,
          restartWorkload(x),
        ],
      },
    ],
  },
  pod_not_mutated_label_missing: {
    title: "The pod was not mutated: the workload identity label is missing",
    explain: () =>
      'The webhook only changes pods labelled azure.workload.identity/use: "true" (on the pod template, not the Deployment). An unlabelled pod gets no AZURE_* variables and no projected token, so the SDK finds no workload identity configuration.',
    confirmWith: ({ x }) => [
      { tool: "inspect_workload", arguments: args(x, ["namespace"]) },
      { tool: "check_webhook", arguments: {} },
    ],
    fixes: ({ x }) => [
      {
        summary: "Add the label to the pod template and roll the workload",
        commands: [
          cmd`kubectl patch deployment <deployment> -n ${ph(x.namespace, "namespace")} --type merge -p '{"spec":{"template":{"metadata":{"labels":{"azure.workload.identity/use":"true"}}}}}'`,
        ],
      },
    ],
  },
  webhook_not_running: {
    title: "The mutating webhook is not running or not reachable",
    explain: ({ platform }) =>
      `The ${isAws(platform) ? "EKS pod identity webhook" : "workload identity webhook"} did not answer when the pod was created, so pod creation failed or, with failurePolicy Ignore, the pod started without the injected variables and token.`,
    confirmWith: ({ x }) => [
      { tool: "check_webhook", arguments: {} },
      { tool: "inspect_workload", arguments: args(x, ["namespace"]) },
    ],
    fixes: ({ x, platform }) => [
      isAws(platform)
        ? {
            summary: "Check the webhook configuration, then recreate the pods",
            commands: ["kubectl get mutatingwebhookconfiguration pod-identity-webhook -o yaml", restartWorkload(x)],
          }
        : {
            summary:
              "Bring the webhook back (pods, endpoints, network path from the API server), then recreate the pods",
            commands: [
              "kubectl get pods -A -l azure-workload-identity.io/system=true",
              "kubectl get mutatingwebhookconfiguration azure-wi-webhook-mutating-webhook-configuration -o yaml",
              restartWorkload(x),
            ],
          },
    ],
  },
  token_file_unreadable: {
    title: "The process cannot read the projected token file",
    explain: ({ x }) =>
      `Reading ${x.tokenFile ? `'${x.tokenFile}'` : "the projected service-account token"} failed with permission denied. The kubelet writes the token readable by its owner only unless the pod sets fsGroup, so containers running as a non-root user cannot read it.`,
    confirmWith: ({ x }) => [{ tool: "inspect_workload", arguments: args(x, ["namespace"]) }],
    fixes: ({ x }) => [
      {
        summary: "Give the pod an fsGroup so the token file is group-readable by the container user",
        commands: [
          cmd`kubectl patch deployment <deployment> -n ${ph(x.namespace, "namespace")} --type merge -p '{"spec":{"template":{"spec":{"securityContext":{"fsGroup":65534}}}}}'`,
        ],
      },
    ],
  },
  token_path_changed: {
    title: "The application reads the token from an old, hard-coded path",
    explain: ({ x }) =>
      `The file ${x.tokenFile ? `'${x.tokenFile}'` : "the application opens"} does not exist. Webhook v1.6.0 moved the projected token from /var/run/secrets/azure/tokens/azure-identity-token to /var/run/secrets/azure/wi/token/azure-identity-token; code that hard-codes the old path breaks, code that reads AZURE_FEDERATED_TOKEN_FILE keeps working.`,
    confirmWith: ({ x }) => [
      { tool: "inspect_workload", arguments: args(x, ["namespace"]) },
      { tool: "check_webhook", arguments: {} },
    ],
    fixes: () => [
      {
        summary:
          "Read the path from AZURE_FEDERATED_TOKEN_FILE instead of hard-coding it (or upgrade the library that hard-codes it)",
        commands: ["kubectl exec <pod> -n <namespace> -- printenv AZURE_FEDERATED_TOKEN_FILE"],
      },
    ],
  },
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
  unknown: {
    title: "Not recognised",
    explain: () =>
      "This text matches no entry in the catalogue, so no cause can be named with confidence. The closest candidates follow with low confidence; a one-call diagnosis of the workload will tell more.",
    confirmWith: ({ x }) => [
      { tool: "diagnose_workload_identity", arguments: args(x, ["namespace"], ["serviceAccount"]) },
    ],
    fixes: () => [],
  },
};

/** Which rule each value read from an error text must meet before it goes into a command. */
const commandRules: Partial<Record<keyof Extracted, NameKind>> = {
  issuer: "issuer",
  providerUrl: "providerUrl",
  subject: "subject",
  audience: "audience",
  tenantId: "guid",
  clientId: "guid",
  correlationId: "guid",
  roleArn: "roleArn",
  namespace: "namespace",
  serviceAccount: "k8sName",
  vault: "vault",
};

/**
 * The values of an error text that may go into commands. A value that is not a valid name of its kind stays out of
 * every command (its <placeholder> is shown instead) and the fix says which field was left out and why.
 */
export function commandValues(x: Extracted): { x: Extracted; rejected: string[] } {
  const out: Extracted = {};
  const rejected: string[] = [];
  for (const k of extractedFields) {
    const value = x[k];
    const kind = commandRules[k];
    if (value === undefined) continue;
    if (kind && !validName(kind, value)) rejected.push(`${k} (not a valid ${nameRules[kind].what})`);
    else out[k] = value;
  }
  return { x: out, rejected };
}

/** Every class's fixes see only values that passed their name rule. */
export const classInfo = Object.fromEntries(
  Object.entries(classes).map(([c, info]) => [
    c,
    {
      ...info,
      fixes(ctx: ClassContext) {
        const { x, rejected } = commandValues(ctx.x);
        const fixes = info.fixes({ ...ctx, x });
        if (!rejected.length) return fixes;
        const note = ` (left out of the commands: ${rejected.join(", ")})`;
        return fixes.map((f) => (f.commands.length ? { ...f, summary: f.summary + note } : f));
      },
    },
  ]),
) as Record<ErrorClass, ClassInfo>;
