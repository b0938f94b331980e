// Cause classes of the Entra token exchange and of the pod's set-up (federated credentials, app, tenant, secrets,
// environment, webhook, token file).
import { cmd, placeholder } from "../command.js";
import { args, identityResourceId, isAws, ph, restartWorkload, subjectArg } from "./class-helpers.js";
import { type ClassInfo, type ErrorClass, TOKEN_EXCHANGE_AUDIENCE } from "./vocabulary.js";

export const entraClasses = {
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
      identityResourceId(x.subject)
        ? `The subject '${x.subject}' is a user-assigned identity's resource id: what the AKS identity binding proxy presents to Entra for that identity, whichever cluster or service account asked. The credential AKS keeps for the identity's bindings, aks-identity-binding, must have exactly this subject (with the binding's issuer and audience ${TOKEN_EXCHANGE_AUDIENCE}); it was changed or deleted.`
        : `The token's subject is ${x.subject ? `'${x.subject}'` : "system:serviceaccount:<namespace>:<service-account>"} and none of the identity's federated credentials has that exact subject. Subjects are compared case-sensitively, so a typo in the namespace or service account, a renamed service account, or different capitalisation all fail.`,
    confirmWith: ({ x }) => [
      { tool: "list_federated_credentials", arguments: args(x, ["clientId"]) },
      { tool: "inspect_service_account", arguments: args(x, ["namespace", "serviceAccount"]) },
    ],
    fixes: ({ x }) => {
      const id = identityResourceId(x.subject);
      if (id)
        return [
          {
            summary:
              "Put the subject back on AKS's credential aks-identity-binding (or delete it and apply the identity binding again so AKS recreates it)",
            commands: [
              cmd`az identity federated-credential update --name aks-identity-binding --identity-name ${id.name} --resource-group ${id.resourceGroup} --subscription ${id.subscription} --subject ${x.subject ?? ""} --audiences ${TOKEN_EXCHANGE_AUDIENCE}`,
            ],
          },
        ];
      return [
        {
          summary: "Create a federated credential whose subject is the workload's service account",
          commands: [
            cmd`az identity federated-credential create --name ${x.serviceAccount ? `${x.serviceAccount}-fic` : placeholder("federated-credential")} --identity-name <identity-name> --resource-group <resource-group> --issuer "${ph(x.issuer, "issuer-url")}" --subject "${subjectArg(x)}" --audiences ${TOKEN_EXCHANGE_AUDIENCE}`,
          ],
        },
      ];
    },
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
} satisfies Partial<Record<ErrorClass, ClassInfo>>;
