// The table of every check of the AKS workload identity registry, from facts written in code: the healthy world
// passes, and one edit to it raises exactly the check's finding with the evidence that names the broken link.
import type { AksFacts } from "../../../src/diagnosis/aks/facts.js";
import type { AksCheckId } from "../../../src/diagnosis/aks/registry.js";
import {
  AUDIENCE,
  CLIENT_ID,
  edit,
  failed,
  healthyAks,
  healthyAksWithKeyVault,
  ISSUER,
  mutatedPod,
  NODE_SUBNET,
  ok,
  SUBJECT,
  serviceAccount,
  VAULT,
  VAULT_ID,
} from "../builders.js";
import type { Table } from "../rule-tester.js";

const healthy = healthyAks();
const valid = [{ name: "a working identity", facts: healthy }];
const OTHER_GUID = "11111111-2222-4333-8444-555555555555";
const pods = (f: AksFacts) => (f.pods.status === "ok" ? f.pods.value : []);
const container = (f: AksFacts) => pods(f)[0].spec!.containers[0];
const fics = (f: AksFacts) => (f.federatedCredentials.status === "ok" ? f.federatedCredentials.value : []);
const cluster = (f: AksFacts) => (f.cluster.status === "ok" ? f.cluster.value! : undefined)!;
const identity = (f: AksFacts) => (f.identity.status === "ok" ? f.identity.value! : undefined)!;
const token = (f: AksFacts) => (f.token.status === "ok" ? f.token.value : undefined)!;
const kvPolicy = healthyAksWithKeyVault("access-policy");
const kvRbac = healthyAksWithKeyVault("rbac");
const spcs = (f: AksFacts) => (f.secretProviderClasses.status === "ok" ? f.secretProviderClasses.value : []);
const kv = (f: AksFacts) => (f.keyVaults.status === "ok" ? f.keyVaults.value : [])[0];

// The identity binding checks' tables are in tables-bindings.ts.
export const aksTables: Record<Exclude<AksCheckId, `binding.${string}`>, Table<AksFacts>> = {
  "cluster.oidc-issuer-disabled": {
    valid,
    invalid: [
      {
        name: "the OIDC issuer is off",
        facts: edit(healthy, (f) => {
          cluster(f).oidcIssuerEnabled = false;
          cluster(f).issuerUrl = undefined;
        }),
        findings: [{ evidence: { cluster: "payments-aks", "oidcIssuerProfile.enabled": false, issuerURL: null } }],
      },
    ],
    skipped: [
      {
        name: "the cluster could not be read",
        facts: edit(healthy, (f) => (f.cluster = failed("403"))),
        reason: /403/,
      },
    ],
  },
  "cluster.workload-identity-disabled": {
    valid,
    invalid: [
      {
        name: "the add-on is off and no other webhook runs",
        facts: edit(healthy, (f) => (cluster(f).workloadIdentityEnabled = false)),
        findings: [{ severity: "error", evidence: { selfManagedWebhook: false } }],
      },
      {
        name: "the add-on is off but a self-managed webhook runs",
        facts: edit(healthy, (f) => {
          cluster(f).workloadIdentityEnabled = false;
          if (f.webhook.status === "ok") f.webhook.value.deployment!.namespace = "azure-workload-identity-system";
        }),
        findings: [{ severity: "info", evidence: { selfManagedWebhook: true } }],
      },
    ],
  },
  "webhook.missing": {
    valid,
    invalid: [
      {
        name: "no webhook configuration and no controller",
        facts: edit(healthy, (f) => (f.webhook = ok({ configuration: null, deployment: null }))),
        findings: [{}],
      },
    ],
  },
  "webhook.unhealthy": {
    valid,
    invalid: [
      {
        name: "the controller has no ready replica",
        facts: edit(healthy, (f) => {
          if (f.webhook.status !== "ok") return;
          f.webhook.value.deployment!.readyReplicas = 0;
          f.webhook.value.readyEndpoints = 0;
        }),
        findings: [{}],
      },
    ],
  },
  "issuer.unreachable": {
    valid,
    invalid: [
      {
        name: "the issuer answers 404",
        facts: edit(healthy, (f) => {
          token(f).issuerCheck = failed("HTTP 404 from the discovery document");
          f.exchange = ok({
            ok: false,
            clientId: CLIENT_ID,
            tenantId: identity(f).tenantId,
            httpStatus: 400,
            error: "invalid_request",
            errorCodes: [90061],
            description: "AADSTS90061: Request to External OIDC endpoint failed.",
          });
        }),
        findings: [{ severity: "error" }],
      },
      {
        name: "only this machine cannot fetch it: the exchange succeeded",
        facts: edit(healthy, (f) => (token(f).issuerCheck = failed("connect ETIMEDOUT"))),
        findings: [{ severity: "info", evidence: { exchange: "succeeded" } }],
      },
    ],
    skipped: [
      {
        name: "our fetch failed and no exchange says what Entra sees",
        facts: edit(healthy, (f) => {
          token(f).issuerCheck = failed("HTTP 503");
          f.exchange = { status: "skipped", reason: "--no-exchange" };
        }),
        reason: /could not be fetched from here/,
      },
    ],
  },
  "issuer.signing-key-missing": {
    valid,
    invalid: [
      {
        name: "the token's kid is not in the JWKS",
        facts: edit(healthy, (f) => {
          const c = token(f).issuerCheck;
          if (c.status === "ok") c.value.jwksKids = ["key-0"];
        }),
        findings: [{}],
      },
    ],
  },
  "cluster.issuer-disagreement": {
    valid,
    invalid: [
      {
        name: "the API server announces another issuer",
        facts: edit(healthy, (f) => (f.apiServerIssuer = ok("https://other.example.com/issuer"))),
        findings: [
          {
            severity: "warning",
            evidence: { armIssuerURL: ISSUER, apiServerIssuer: "https://other.example.com/issuer" },
          },
        ],
      },
    ],
  },
  "sa.not-found": {
    valid,
    invalid: [
      {
        name: "the service account does not exist",
        facts: edit(healthy, (f) => (f.serviceAccount = ok(null))),
        findings: [{}],
      },
    ],
  },
  "pod.service-account-mismatch": {
    valid,
    invalid: [
      {
        name: "the pod runs as default",
        facts: edit(healthy, (f) => (pods(f)[0].spec!.serviceAccountName = "default")),
        findings: [{}],
      },
    ],
  },
  "sa.annotation-typo": {
    valid,
    invalid: [
      {
        name: "client_id instead of client-id",
        facts: edit(
          healthy,
          (f) => (f.serviceAccount = ok(serviceAccount({ "azure.workload.identity/client_id": CLIENT_ID }))),
        ),
        findings: [{ severity: "error" }],
      },
    ],
  },
  "sa.client-id-missing": {
    valid,
    invalid: [
      {
        name: "no client-id annotation",
        facts: edit(healthy, (f) => (f.serviceAccount = ok(serviceAccount({})))),
        findings: [{ severity: "error" }],
      },
    ],
  },
  "sa.client-id-malformed": {
    valid,
    invalid: [
      {
        name: "the identity's resource id instead of its client id",
        facts: edit(
          healthy,
          (f) =>
            (f.serviceAccount = ok(serviceAccount({ "azure.workload.identity/client-id": identity(f).resourceId! }))),
        ),
        findings: [{}],
      },
      {
        name: "the resource id of an identity that exists: its client id is named",
        facts: edit(healthy, (f) => {
          f.serviceAccount = ok(serviceAccount({ "azure.workload.identity/client-id": identity(f).resourceId! }));
          f.identityByResourceId = identity(f);
        }),
        findings: [{ evidence: { clientId: CLIENT_ID }, title: /resource id of .* not its client id/ }],
      },
    ],
  },
  "sa.token-expiration-invalid": {
    valid,
    invalid: [
      {
        name: "60 seconds, below the 3600 minimum",
        facts: edit(
          healthy,
          (f) =>
            (f.serviceAccount = ok(
              serviceAccount({
                "azure.workload.identity/client-id": CLIENT_ID,
                "azure.workload.identity/service-account-token-expiration": "60",
              }),
            )),
        ),
        findings: [{}],
      },
    ],
  },
  "identity.not-found": {
    valid,
    invalid: [
      { name: "no identity has the client id", facts: edit(healthy, (f) => (f.identity = ok(null))), findings: [{}] },
    ],
  },
  "identity.tenant-mismatch": {
    valid,
    invalid: [
      {
        name: "the identity lives in another tenant",
        facts: edit(healthy, (f) => (identity(f).tenantId = OTHER_GUID)),
        findings: [{}],
      },
    ],
  },
  "fic.none": {
    valid,
    invalid: [
      {
        name: "no federated credential",
        facts: edit(healthy, (f) => (f.federatedCredentials = ok([]))),
        findings: [
          { evidence: { identity: "payments-mi", expected: { issuer: ISSUER, subject: SUBJECT, audience: AUDIENCE } } },
        ],
      },
    ],
  },
  "fic.issuer-mismatch": {
    valid,
    invalid: [
      {
        name: "the issuer without its trailing slash",
        facts: edit(healthy, (f) => (fics(f)[0].issuer = ISSUER.replace(/\/$/, ""))),
        findings: [{ evidence: { field: "issuer", expected: ISSUER, actual: ISSUER.replace(/\/$/, "") } }],
      },
    ],
  },
  "fic.subject-mismatch": {
    valid,
    invalid: [
      {
        name: "a typo in the service account name",
        facts: edit(healthy, (f) => (fics(f)[0].subject = "system:serviceaccount:payments:payment-api")),
        findings: [
          { evidence: { field: "subject", expected: SUBJECT, actual: "system:serviceaccount:payments:payment-api" } },
        ],
      },
    ],
  },
  "fic.audience-mismatch": {
    valid,
    invalid: [
      {
        name: "the audience in another letter case",
        facts: edit(healthy, (f) => (fics(f)[0].audiences = ["api://azureadtokenexchange"])),
        findings: [{ evidence: { field: "audience", expected: AUDIENCE } }],
      },
    ],
  },
  "fic.limit-reached": {
    valid,
    invalid: [
      {
        name: "20 credentials, one of them matching",
        facts: edit(healthy, (f) => {
          for (let i = 1; i < 20; i++)
            fics(f).push({
              name: `other-${i}`,
              issuer: ISSUER,
              subject: `system:serviceaccount:x:sa-${i}`,
              audiences: [AUDIENCE],
            });
        }),
        findings: [{ severity: "warning", evidence: { count: 20, limit: 20, matching: "payments-api" } }],
      },
      {
        name: "20 credentials, none matching",
        facts: edit(healthy, (f) => {
          f.federatedCredentials = ok(
            Array.from({ length: 20 }, (_, i) => ({
              name: `other-${i}`,
              issuer: ISSUER,
              subject: `system:serviceaccount:x:sa-${i}`,
              audiences: [AUDIENCE],
            })),
          );
        }),
        findings: [{ severity: "error", evidence: { count: 20, matching: null } }],
      },
    ],
  },
  "pod.label-missing": {
    valid,
    invalid: [
      {
        name: "the pod lacks azure.workload.identity/use",
        facts: edit(healthy, (f) => delete pods(f)[0].metadata!.labels!["azure.workload.identity/use"]),
        findings: [{}],
      },
    ],
  },
  "pod.not-mutated": {
    valid,
    invalid: [
      {
        name: "labelled, but created while the webhook was down",
        facts: edit(healthy, (f) => {
          const p = mutatedPod();
          p.spec!.volumes = [];
          p.spec!.containers[0].env = [];
          p.spec!.containers[0].volumeMounts = [];
          f.pods = ok([p]);
        }),
        findings: [{}],
      },
    ],
  },
  "pod.restart-needed": {
    valid,
    invalid: [
      {
        name: "the pod carries the client id the service account had before",
        facts: edit(healthy, (f) => (container(f).env!.find((e) => e.name === "AZURE_CLIENT_ID")!.value = OTHER_GUID)),
        findings: [{}],
      },
    ],
  },
  "pod.token-path-hardcoded": {
    valid,
    invalid: [
      {
        name: "the container reads the v1.6 path where the pod has the v1.5 one",
        facts: edit(healthy, (f) =>
          container(f).env!.push({ name: "TOKEN_PATH", value: "/var/run/secrets/azure/wi/token/azure-identity-token" }),
        ),
        findings: [{}],
      },
    ],
  },
  "spc.client-id-mismatch": {
    valid: [{ name: "the class names the service account's client id", facts: kvPolicy }],
    invalid: [
      {
        name: "the class names another client id",
        facts: edit(kvPolicy, (f) => (spcs(f)[0].parameters.clientID = OTHER_GUID)),
        findings: [{ evidence: { clientID: OTHER_GUID, serviceAccountClientId: CLIENT_ID } }],
      },
      {
        name: "the class has no client id",
        facts: edit(kvPolicy, (f) => delete spcs(f)[0].parameters.clientID),
        findings: [{ evidence: { clientID: null } }],
      },
    ],
    skipped: [{ name: "no SecretProviderClass", facts: healthy, reason: /no Azure SecretProviderClass/ }],
  },
  "keyvault.not-found": {
    valid: [
      { name: "no Key Vault referenced", facts: healthy },
      {
        name: "the named vault exists",
        facts: edit(healthy, (f) => {
          f.secretProviderClasses = ok([
            { name: "kv", namespace: "payments", parameters: { keyvaultName: "payments-kv" } },
          ]);
          f.missingKeyVaults = ok([]);
        }),
      },
    ],
    invalid: [
      {
        name: "soft-deleted",
        facts: edit(healthy, (f) => {
          f.secretProviderClasses = ok([
            { name: "kv", namespace: "payments", parameters: { keyvaultName: "payments-kv" } },
          ]);
          f.missingKeyVaults = ok([
            {
              name: "payments-kv",
              deleted: {
                name: "payments-kv",
                location: "eastus",
                deletionDate: "2026-01-05T10:00:00Z",
                scheduledPurgeDate: "2026-04-05T10:00:00Z",
              },
            },
          ]);
        }),
        findings: [
          { title: /soft-deleted/, evidence: { vault: "payments-kv", secretProviderClasses: ["payments/kv"] } },
        ],
      },
      {
        name: "named in another tenant",
        facts: edit(healthy, (f) => {
          f.secretProviderClasses = ok([
            { name: "kv", namespace: "payments", parameters: { keyvaultName: "partner-kv", tenantId: OTHER_GUID } },
          ]);
          f.missingKeyVaults = ok([{ name: "partner-kv", deleted: null }]);
        }),
        findings: [{ evidence: { spcTenantId: OTHER_GUID }, title: /not visible here/ }],
      },
      {
        name: "no such vault",
        facts: edit(healthy, (f) => {
          f.secretProviderClasses = ok([
            { name: "kv", namespace: "payments", parameters: { keyvaultName: "paymnets-kv" } },
          ]);
          f.missingKeyVaults = ok([{ name: "paymnets-kv", deleted: null }]);
        }),
        findings: [{ evidence: { softDeleted: false }, title: /No Key Vault named paymnets-kv/ }],
      },
    ],
    skipped: [
      {
        name: "vaults referenced but not looked up",
        facts: edit(healthy, (f) => {
          f.secretProviderClasses = ok([
            { name: "kv", namespace: "payments", parameters: { keyvaultName: "payments-kv" } },
          ]);
        }),
        reason: /not looked up/,
      },
    ],
  },
  "keyvault.tenant-mismatch": {
    valid: [{ name: "no Key Vault referenced", facts: healthy }],
    invalid: [
      {
        name: "the vault lives in another tenant than the identity and the class",
        facts: edit(healthy, (f) => {
          f.secretProviderClasses = ok([
            {
              name: "kv",
              namespace: "payments",
              parameters: { keyvaultName: "payments-kv", tenantId: identity(f).tenantId },
            },
          ]);
          f.keyVaults = ok([
            {
              id: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/payments-kv",
              name: "payments-kv",
              tenantId: OTHER_GUID,
              enableRbacAuthorization: true,
              accessPolicies: [],
            },
          ]);
        }),
        findings: [{ evidence: { vaultTenantId: OTHER_GUID, spcTenantId: identity(healthy).tenantId } }],
      },
    ],
  },
  "keyvault.firewall-blocks-cluster": {
    valid: [
      { name: "the firewall admits the node subnet", facts: kvPolicy },
      { name: "the vault has no firewall", facts: edit(kvPolicy, (f) => (kv(f).networkAcls!.defaultAction = "Allow")) },
    ],
    invalid: [
      {
        name: "the firewall denies by default and admits another subnet",
        facts: edit(kvPolicy, (f) => (kv(f).networkAcls!.virtualNetworkRules = [{ id: `${NODE_SUBNET}-other` }])),
        findings: [{ evidence: { vault: VAULT } }],
      },
      {
        name: "public network access is disabled",
        facts: edit(kvPolicy, (f) => (kv(f).publicNetworkAccess = "Disabled")),
        findings: [{ evidence: { vault: VAULT, publicNetworkAccess: "Disabled" } }],
      },
    ],
    skipped: [{ name: "no Key Vault referenced", facts: healthy, reason: /no Key Vault/ }],
  },
  "keyvault.access-policy-missing": {
    valid: [
      { name: "an access policy grants get on secrets", facts: kvPolicy },
      { name: "an RBAC vault (rbac.role-missing judges it)", facts: kvRbac },
    ],
    invalid: [
      {
        name: "no access policy for the identity",
        facts: edit(kvPolicy, (f) => (kv(f).accessPolicies = [])),
        findings: [{ severity: "error" }],
      },
      {
        name: "the policy names the client id instead of the object id",
        facts: edit(kvPolicy, (f) => (kv(f).accessPolicies[0].objectId = CLIENT_ID)),
        findings: [{ severity: "error" }],
      },
    ],
    skipped: [{ name: "no Key Vault referenced", facts: healthy, reason: /no Key Vault/ }],
  },
  "rbac.role-missing": {
    valid: [{ name: "Key Vault Secrets User on the vault", facts: kvRbac }],
    invalid: [
      {
        name: "no role assignment on the vault",
        facts: edit(kvRbac, (f) => (f.roleAssignments = ok([]))),
        findings: [{ severity: "error" }],
      },
      {
        name: "a role on another vault",
        facts: edit(kvRbac, (f) => {
          if (f.roleAssignments.status === "ok") f.roleAssignments.value[0].scope = `${VAULT_ID}-other`;
        }),
        findings: [{ severity: "error" }],
      },
    ],
    skipped: [{ name: "no Key Vault referenced", facts: healthy, reason: /no RBAC-mode Key Vault/ }],
  },
  "exchange.failed": {
    valid,
    invalid: [
      {
        name: "Entra refuses the token",
        facts: edit(
          healthy,
          (f) =>
            (f.exchange = ok({
              ok: false,
              clientId: CLIENT_ID,
              tenantId: identity(f).tenantId,
              httpStatus: 400,
              error: "invalid_request",
              errorCodes: [70021],
              description: "AADSTS70021: No matching federated identity record found for presented assertion.",
            })),
        ),
        findings: [{}],
      },
    ],
  },
};
