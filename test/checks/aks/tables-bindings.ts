// The AKS identity binding checks' tables (run by test/checks/checks.test.ts): a working binding world passes every
// check, and one edit to it raises exactly the check's finding with the evidence that names the broken link.
import type { AksFacts, KubeRbacFacts } from "../../../src/diagnosis/aks/facts.js";
import type { AksCheckId } from "../../../src/diagnosis/aks/registry.js";
import { CLIENT_ID, edit, failed, healthyAks, ISSUER, NS, ok, SA, SUBJECT, TENANT_ID } from "../builders.js";
import type { Table } from "../rule-tester.js";

const BINDING_ISSUER = `https://ib.oic.prod-aks.azure.com/${TENANT_ID}/${CLIENT_ID}`;
const ANNOTATION = "azure.workload.identity/use-identity-binding";
const OTHER = "7b6a5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d";

export const rbac = (): KubeRbacFacts => ({
  clusterRoles: [
    {
      kind: "ClusterRole",
      metadata: { name: `use-mi-${CLIENT_ID}` },
      rules: [{ verbs: ["use-managed-identity"], apiGroups: ["cid.wi.aks.azure.com"], resources: [CLIENT_ID] }],
    },
  ],
  clusterRoleBindings: [
    {
      metadata: { name: `use-mi-${CLIENT_ID}` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `use-mi-${CLIENT_ID}` },
      subjects: [{ kind: "ServiceAccount", name: SA, namespace: NS }],
    },
  ],
  roles: [],
  roleBindings: [],
});

/** Identity bindings working: a binding, only AKS's credential, RBAC granted, pods opted in with the proxy env. */
export function healthyBinding(): AksFacts {
  return edit(healthyAks(), (f) => {
    f.target.workload = "deployment/payments-api";
    const pod = pods(f)[0];
    pod.metadata!.annotations = { [ANNOTATION]: "true" };
    pod.spec!.containers[0].env!.push(
      { name: "AZURE_KUBERNETES_TOKEN_PROXY", value: "https://kubernetes.default.svc.cluster.local" },
      { name: "AZURE_KUBERNETES_SNI_NAME", value: "a0123456789abcdefghijklmnopqrstuv0123456789abcdefghij.ests.aks" },
      { name: "AZURE_KUBERNETES_CA_FILE", value: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt" },
    );
    pod.spec!.volumes![0].projected!.sources![0].serviceAccountToken!.audience = "api://AKSIdentityBinding";
    f.workload = ok({
      kind: "Deployment",
      name: "payments-api",
      labels: {},
      podTemplate: {
        metadata: { labels: { "azure.workload.identity/use": "true" }, annotations: { [ANNOTATION]: "true" } },
        spec: { serviceAccountName: SA, containers: [{ name: "app", image: "payments:1.0" }] },
      },
    });
    f.identityBindings = ok([
      {
        name: "payments-mi-ib",
        identityResourceId: identity(f).resourceId!,
        clientId: CLIENT_ID,
        objectId: identity(f).principalId,
        tenantId: TENANT_ID,
        issuerUrl: BINDING_ISSUER,
        provisioningState: "Succeeded",
      },
    ]);
    f.federatedCredentials = ok([
      {
        name: "aks-identity-binding",
        issuer: BINDING_ISSUER,
        subject: identity(f).resourceId!,
        audiences: ["api://AzureADTokenExchange"],
      },
    ]);
    f.kubeRbac = ok(rbac());
    f.exchange = { status: "skipped", reason: "the pods exchange through the identity binding proxy" };
  });
}

function pods(f: AksFacts) {
  return f.pods.status === "ok" ? f.pods.value : [];
}
function identity(f: AksFacts) {
  return (f.identity.status === "ok" ? f.identity.value : undefined)!;
}
const fics = (f: AksFacts) => (f.federatedCredentials.status === "ok" ? f.federatedCredentials.value : []);
const bindings = (f: AksFacts) => (f.identityBindings?.status === "ok" ? f.identityBindings.value : []);
export const kube = (f: AksFacts) => (f.kubeRbac?.status === "ok" ? f.kubeRbac.value : rbac());
const notOptedIn = (f: AksFacts) => {
  delete pods(f)[0].metadata!.annotations;
  f.workload = undefined;
};

export const healthy = healthyBinding();
const valid = [{ name: "a working identity binding", facts: healthy }];
export const classic = { name: "classic workload identity (no binding)", facts: healthyAks() };

type BindingId = Extract<AksCheckId, `binding.${string}`>;
export const aksBindingTables: Record<BindingId, Table<AksFacts>> = {
  "binding.not-found": {
    valid,
    invalid: [
      {
        name: "no binding at all",
        facts: edit(healthy, (f) => (f.identityBindings = ok([]))),
        findings: [{ evidence: { clientId: CLIENT_ID, bindings: [] }, title: /has no identity binding/ }],
      },
      {
        name: "the binding binds another identity",
        facts: edit(healthy, (f) => {
          bindings(f)[0].clientId = OTHER;
          bindings(f)[0].identityResourceId =
            "/subscriptions/x/resourceGroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders";
        }),
        findings: [
          { evidence: { bindings: [{ binding: "payments-mi-ib", clientId: OTHER }] }, title: /other identities/ },
        ],
      },
      {
        name: "the binding failed to provision",
        facts: edit(healthy, (f) => (bindings(f)[0].provisioningState = "Failed")),
        findings: [{ evidence: { provisioningState: "Failed" } }],
      },
      {
        name: "the client id is an app registration",
        facts: edit(healthy, (f) => (identity(f).kind = "application")),
        findings: [{ evidence: { identityKind: "application" } }],
      },
    ],
    skipped: [
      { name: "classic workload identity", facts: healthyAks(), reason: /do not opt into an identity binding/ },
      {
        name: "bindings unreadable",
        facts: edit(healthy, (f) => (f.identityBindings = failed("403 AuthorizationFailed"))),
        reason: /403/,
      },
    ],
  },
  "binding.credential-missing": {
    valid,
    invalid: [
      {
        name: "AKS's credential was edited to the cluster issuer",
        facts: edit(healthy, (f) => {
          if (f.federatedCredentials.status === "ok") f.federatedCredentials.value[0].issuer = ISSUER;
        }),
        findings: [{ evidence: { bindingIssuer: BINDING_ISSUER, managedCredential: { issuer: ISSUER } } }],
      },
      {
        name: "AKS's credential was deleted",
        facts: edit(healthy, (f) => (f.federatedCredentials = ok([]))),
        findings: [{ evidence: { managedCredential: null }, title: /no federated credential/ }],
      },
    ],
    skipped: [
      {
        name: "no binding binds the identity",
        facts: edit(healthy, (f) => (f.identityBindings = ok([]))),
        reason: /no identity binding/,
      },
    ],
  },
  "binding.credential-mismatch": {
    valid: [
      ...valid,
      {
        name: "the subject's resource id differs only in ARM's letter case",
        facts: edit(
          healthy,
          (f) => (fics(f)[0].subject = fics(f)[0].subject.replace("resourceGroups", "resourcegroups")),
        ),
      },
    ],
    invalid: [
      {
        name: "the subject was set to the service account",
        facts: edit(healthy, (f) => (fics(f)[0].subject = SUBJECT)),
        findings: [
          {
            evidence: {
              credential: { name: "aks-identity-binding", subject: SUBJECT },
              proxyPresents: { issuer: BINDING_ISSUER, audience: "api://AzureADTokenExchange" },
              subjectMatches: false,
              audienceMatches: true,
              entraAnswers: /700213/,
            },
            title: /its subject is "system:serviceaccount:/,
          },
        ],
      },
      {
        name: "the audience was set to the pod token's api://AKSIdentityBinding",
        facts: edit(healthy, (f) => (fics(f)[0].audiences = ["api://AKSIdentityBinding"])),
        findings: [
          {
            evidence: { subjectMatches: true, audienceMatches: false, entraAnswers: /700212/ },
            title: /do not include api:\/\/AzureADTokenExchange/,
          },
        ],
      },
    ],
    skipped: [
      {
        name: "no credential has the binding's issuer",
        facts: edit(healthy, (f) => (f.federatedCredentials = ok([]))),
        reason: /binding.credential-missing/,
      },
      { name: "classic workload identity", facts: healthyAks(), reason: /do not opt into/ },
    ],
  },
  "binding.rbac-missing": {
    valid: [
      ...valid,
      {
        name: "granted to the namespace's service-account group",
        facts: edit(healthy, (f) => {
          kube(f).clusterRoleBindings[0].subjects = [{ kind: "Group", name: `system:serviceaccounts:${NS}` }];
        }),
      },
    ],
    invalid: [
      {
        name: "the role is not bound",
        facts: edit(healthy, (f) => (kube(f).clusterRoleBindings = [])),
        findings: [{ evidence: { grantingClusterRoles: [`use-mi-${CLIENT_ID}`], bindingsOfThoseRoles: [] } }],
      },
      {
        name: "the client id is under resourceNames",
        facts: edit(healthy, (f) => {
          kube(f).clusterRoles[0].rules = [
            {
              verbs: ["use-managed-identity"],
              apiGroups: ["cid.wi.aks.azure.com"],
              resources: ["identities"],
              resourceNames: [CLIENT_ID],
            },
          ];
        }),
        findings: [
          {
            evidence: { grantingClusterRoles: [], nearMisses: [{ problem: /resourceNames/ }] },
            title: /No ClusterRole/,
          },
        ],
      },
      {
        name: "the client id differs in case",
        facts: edit(healthy, (f) => (kube(f).clusterRoles[0].rules![0].resources = [CLIENT_ID.toUpperCase()])),
        findings: [{ evidence: { nearMisses: [{ problem: /letter case/ }] } }],
      },
      {
        name: "only a RoleBinding grants it",
        facts: edit(healthy, (f) => {
          kube(f).clusterRoleBindings = [];
          kube(f).roleBindings = [
            {
              metadata: { name: "use-mi", namespace: NS },
              roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `use-mi-${CLIENT_ID}` },
              subjects: [{ kind: "ServiceAccount", name: SA, namespace: NS }],
            },
          ];
        }),
        findings: [{ severity: "warning", evidence: { roleBinding: "use-mi" } }],
      },
    ],
    skipped: [
      { name: "RBAC unreadable", facts: edit(healthy, (f) => (f.kubeRbac = failed("403 Forbidden"))), reason: /403/ },
      { name: "classic workload identity", facts: healthyAks(), reason: /do not opt into/ },
    ],
  },
  "binding.pod-not-opted-in": {
    valid: [
      {
        name: "the identity keeps its classic credential too",
        facts: edit(healthy, (f) => {
          notOptedIn(f);
          f.federatedCredentials = ok([
            ...(f.federatedCredentials.status === "ok" ? f.federatedCredentials.value : []),
            { name: "payments-api", issuer: ISSUER, subject: SUBJECT, audiences: ["api://AzureADTokenExchange"] },
          ]);
        }),
      },
    ],
    invalid: [
      {
        name: "pods without the annotation and only AKS's credential",
        facts: edit(healthy, notOptedIn),
        findings: [{ evidence: { binding: "payments-mi-ib", clusterIssuer: ISSUER, subject: SUBJECT } }],
      },
    ],
    skipped: [
      { name: "the pods opt in", facts: healthy, reason: /opt into the identity binding/ },
      { name: "classic workload identity", facts: healthyAks(), reason: /bindings were not read/ },
    ],
  },
  "binding.proxy-env-missing": {
    valid,
    invalid: [
      {
        name: "the webhook injected no proxy variables",
        facts: edit(healthy, (f) => {
          const c = pods(f)[0].spec!.containers[0];
          c.env = c.env!.filter((e) => !e.name.startsWith("AZURE_KUBERNETES_"));
        }),
        findings: [{ evidence: { problems: [/AZURE_KUBERNETES_TOKEN_PROXY is missing/] } }],
      },
      {
        name: "SNI and CA without the proxy",
        facts: edit(healthy, (f) => {
          const c = pods(f)[0].spec!.containers[0];
          c.env = c.env!.filter((e) => e.name !== "AZURE_KUBERNETES_TOKEN_PROXY");
        }),
        findings: [{ evidence: { problems: [/other custom endpoint-related/] } }],
      },
      {
        name: "both CA forms",
        facts: edit(healthy, (f) => {
          pods(f)[0].spec!.containers[0].env!.push({
            name: "AZURE_KUBERNETES_CA_DATA",
            value: "-----BEGIN CERTIFICATE-----",
          });
        }),
        findings: [{ evidence: { problems: [/only one/] } }],
      },
    ],
    skipped: [
      { name: "no pod runs", facts: edit(healthy, (f) => (f.pods = ok([]))), reason: /no pod runs/ },
      { name: "classic workload identity", facts: healthyAks(), reason: /do not opt into/ },
    ],
  },
  "binding.sdk-not-opted-in": {
    valid: [
      {
        name: "an error from the proxy's own exchange (the binding's issuer)",
        facts: edit(healthy, (f) => {
          f.errorText = {
            codes: ["AADSTS700211"],
            classes: ["fic_issuer_mismatch"],
            extracted: { issuer: BINDING_ISSUER },
          };
        }),
      },
    ],
    invalid: [
      {
        name: "AADSTS700212 for the binding audience",
        facts: edit(healthy, (f) => {
          f.errorText = {
            codes: ["AADSTS700212"],
            classes: ["fic_audience_mismatch"],
            extracted: { audience: "api://AKSIdentityBinding" },
          };
        }),
        findings: [{ evidence: { assertionAudience: "api://AKSIdentityBinding" } }],
      },
      {
        name: "AADSTS700211 for the cluster's own issuer",
        facts: edit(healthy, (f) => {
          f.errorText = { codes: ["AADSTS700211"], classes: ["fic_issuer_mismatch"], extracted: { issuer: ISSUER } };
        }),
        findings: [{ evidence: { assertionIssuer: ISSUER } }],
      },
    ],
    skipped: [{ name: "no error text", facts: healthy, reason: /no error text/ }],
  },
};
