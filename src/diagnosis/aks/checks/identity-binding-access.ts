// AKS identity bindings, cluster side: Kubernetes RBAC must let the service account `use-managed-identity` on the
// identity's client id (group cid.wi.aks.azure.com, the client id as the *resource*, as the AKS set-up guide and
// the azure-workload-identity e2e tests write it); the webhook must have injected the proxy variables; and the
// application's WorkloadIdentityCredential must send its token to that proxy rather than to Entra.
import type { V1ClusterRole, V1PolicyRule, RbacV1Subject, V1Role } from "@kubernetes/client-node";
import { heredocApply, validName } from "../../command.js";
import type { Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import { names, restartCommand, sh, WI_USE_LABEL } from "../names.js";
import {
  BINDING_TOKEN_AUDIENCE,
  CA_DATA_ENV,
  CA_FILE_ENV,
  CID_API_GROUP,
  NOT_OPTED_IN,
  PROXY_ENV,
  podOptsIn,
  SNI_ENV,
  USE_MANAGED_IDENTITY,
  usesIdentityBinding,
} from "./binding-opt-in.js";
import { aksCheck } from "./define.js";
import { annotatedClientId } from "./identity.js";
import { injectionOf } from "./pods.js";

const has = (list: string[] | undefined, value: string) => (list ?? []).some((x) => x === value || x === "*");

/** How a rule relates to use-managed-identity on this client id: grants it, or nearly does (and why not). */
function judgeRule(rule: V1PolicyRule, clientId: string): "grants" | string | undefined {
  if (!has(rule.verbs, USE_MANAGED_IDENTITY) || !has(rule.apiGroups, CID_API_GROUP)) return undefined;
  const resources = rule.resources ?? [];
  if (has(resources, clientId)) {
    return rule.resourceNames?.length ? "it also lists resourceNames, which this request never matches" : "grants";
  }
  if ((rule.resourceNames ?? []).some((r) => r.toLowerCase() === clientId.toLowerCase()))
    return "it names the client id under resourceNames; the client id must be listed under resources";
  if (resources.some((r) => r.toLowerCase() === clientId.toLowerCase()))
    return "its client id differs in letter case (RBAC compares exactly)";
  return `it names other client ids (${resources.join(", ") || "none"})`;
}

function boundTo(subjects: RbacV1Subject[] | undefined, ns: string, sa: string): boolean {
  return (subjects ?? []).some(
    (s) =>
      (s.kind === "ServiceAccount" && s.name === sa && (s.namespace ?? ns) === ns) ||
      (s.kind === "Group" && (s.name === "system:serviceaccounts" || s.name === `system:serviceaccounts:${ns}`)) ||
      (s.kind === "User" && s.name === `system:serviceaccount:${ns}:${sa}`),
  );
}

/** The JSON manifests (valid YAML) of a ClusterRole and its binding to the service account, per the AKS guide. */
function grantManifest(clientId: string, ns: string, sa: string): string {
  const role = `use-mi-${clientId}`;
  const binding = `${role}-${ns}-${sa}`.slice(0, 253).replace(/[-.]+$/, "");
  const docs = [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: role },
      rules: [{ verbs: [USE_MANAGED_IDENTITY], apiGroups: [CID_API_GROUP], resources: [clientId] }],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: binding },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
      subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns }],
    },
  ];
  return docs.map((d) => JSON.stringify(d, null, 2)).join("\n---\n");
}

export const bindingRbacMissing = aksCheck({
  id: "binding.rbac-missing",
  doc: {
    severity: "error (warning when only a RoleBinding grants it)",
    meaning:
      "No ClusterRole rule grants verb `use-managed-identity` on group `cid.wi.aks.azure.com` with the client id as the resource, bound by a ClusterRoleBinding to the service account (or its groups). Near misses are named: the client id under `resourceNames`, another client id, letter case. The fix names the exact ClusterRole and ClusterRoleBinding to create.",
    symptom: "the proxy refuses the token exchange",
  },
  severity: "error",
  essential: usesIdentityBinding,
  title: "Kubernetes RBAC lets the service account use-managed-identity on the identity's client id",
  skippedBecause: (f) => {
    if (!usesIdentityBinding(f)) return NOT_OPTED_IN;
    if (!annotatedClientId(f)) return "the service account names no valid client id";
    if (!f.kubeRbac) return "RBAC objects were not read";
    return f.kubeRbac.status === "ok" ? undefined : `RBAC objects could not be read: ${f.kubeRbac.reason}`;
  },
  run(f) {
    const rbac = valueOf(f.kubeRbac!)!;
    const clientId = annotatedClientId(f)!;
    const n = names(f);
    const granting = (roles: (V1ClusterRole | V1Role)[]) =>
      roles.filter((r) => (r.rules ?? []).some((rule) => judgeRule(rule, clientId) === "grants"));
    const roles = granting(rbac.clusterRoles).map((r) => r.metadata?.name ?? "");
    const crbs = rbac.clusterRoleBindings.filter(
      (b) => b.roleRef.kind === "ClusterRole" && roles.includes(b.roleRef.name),
    );
    if (crbs.some((b) => boundTo(b.subjects, n.namespace, n.serviceAccount))) return [];
    const nearMisses = [...rbac.clusterRoles, ...rbac.roles].flatMap((r) =>
      (r.rules ?? []).flatMap((rule) => {
        const j = judgeRule(rule, clientId);
        return j && j !== "grants" ? [{ role: `${r.kind ?? "ClusterRole"}/${r.metadata?.name}`, problem: j }] : [];
      }),
    );
    // A namespaced grant (RoleBinding): the AKS guide grants this cluster-wide; say so rather than call it broken.
    const nsGrant = rbac.roleBindings.find(
      (b) =>
        boundTo(b.subjects, n.namespace, n.serviceAccount) &&
        ((b.roleRef.kind === "ClusterRole" && roles.includes(b.roleRef.name)) ||
          (b.roleRef.kind === "Role" && granting(rbac.roles).some((r) => r.metadata?.name === b.roleRef.name))),
    );
    const ns = validName("namespace", n.namespace);
    const sa = validName("k8sName", n.serviceAccount);
    const evidence = {
      serviceAccount: `${n.namespace}/${n.serviceAccount}`,
      clientId,
      needed: { apiGroup: CID_API_GROUP, resource: clientId, verb: USE_MANAGED_IDENTITY },
      grantingClusterRoles: roles,
      bindingsOfThoseRoles: crbs.map((b) => b.metadata?.name ?? ""),
      nearMisses,
      roleBinding: nsGrant?.metadata?.name ?? null,
    };
    if (nsGrant) {
      return [
        {
          id: this.id,
          severity: "warning",
          title: `Only RoleBinding ${n.namespace}/${nsGrant.metadata?.name} grants use-managed-identity on ${clientId}; the AKS guide grants it with a ClusterRoleBinding`,
          evidence,
          fix: {
            summary: "If the proxy refuses the service account, grant the role cluster-wide as the AKS guide does.",
            commands: ns && sa ? [heredocApply(grantManifest(clientId, ns, sa))] : [],
          },
        },
      ];
    }
    const commands =
      roles.length && ns && sa
        ? [
            `kubectl create clusterrolebinding ${sh(`${roles[0]}-${ns}-${sa}`.slice(0, 253).replace(/[-.]+$/, ""))} --clusterrole=${sh(roles[0])} --serviceaccount=${sh(`${ns}:${sa}`)}`,
          ]
        : ns && sa
          ? [heredocApply(grantManifest(clientId, ns, sa))]
          : [];
    return [
      {
        id: this.id,
        severity: "error",
        title: roles.length
          ? `ClusterRole ${roles[0]} grants use-managed-identity on ${clientId}, but no ClusterRoleBinding binds it to ${n.namespace}/${n.serviceAccount}`
          : `No ClusterRole grants use-managed-identity on ${CID_API_GROUP}/${clientId}${nearMisses.length ? `: ${nearMisses[0].role} ${nearMisses[0].problem}` : ""}`,
        evidence,
        fix: {
          summary: roles.length
            ? `Bind ClusterRole ${roles[0]} to the service account.`
            : `Create a ClusterRole granting ${USE_MANAGED_IDENTITY} on resource ${clientId} in group ${CID_API_GROUP}, and a ClusterRoleBinding to ${n.namespace}/${n.serviceAccount}.`,
          commands,
        },
      },
    ];
  },
});

const envOf = (p: ReturnType<typeof injectionOf>["containers"][number]) => p.env;

export const bindingProxyEnvMissing = aksCheck({
  id: "binding.proxy-env-missing",
  doc: {
    meaning:
      "A pod that opts in lacks `AZURE_KUBERNETES_TOKEN_PROXY` (and the SNI and CA variables), or carries the SNI/CA variables without the proxy, both CA forms, or a token whose audience is not `api://AKSIdentityBinding`: it predates the annotation, or the webhook predates identity bindings.",
    symptom:
      '"AZURE_KUBERNETES_TOKEN_PROXY is not set but other custom endpoint-related environment variables are present"',
  },
  severity: "error",
  confirms: ["missing_env_config"],
  essential: (f) => usesIdentityBinding(f) && (valueOf(f.pods) ?? []).length > 0,
  title: "The webhook injected the identity binding proxy's variables into the pods",
  skippedBecause: (f) => {
    if (!usesIdentityBinding(f)) return NOT_OPTED_IN;
    if (f.pods.status !== "ok") return `pods could not be read: ${f.pods.reason}`;
    return f.pods.value.length ? undefined : "no pod runs";
  },
  run(f) {
    const findings: Finding[] = [];
    for (const pod of valueOf(f.pods)!) {
      // Pods without the use label are pod.label-missing's finding: the webhook never saw them.
      if (pod.metadata?.labels?.[WI_USE_LABEL] !== "true") continue;
      const name = pod.metadata?.name ?? "";
      const inj = injectionOf(pod);
      const problems: string[] = [];
      if (!podOptsIn(pod)) problems.push("the pod predates the annotation: it was mutated for the direct path");
      const reached = inj.containers.filter((c) => !c.skipped);
      for (const c of reached) {
        const env = { ...envOf(c) };
        for (const e of pod.spec?.containers.find((x) => x.name === c.container)?.env ?? []) env[e.name] = e.value;
        if (!env[PROXY_ENV]) {
          if (env[SNI_ENV] || env[CA_FILE_ENV] || env[CA_DATA_ENV])
            problems.push(
              `${c.container}: ${PROXY_ENV} is not set but other custom endpoint-related environment variables are present`,
            );
          else problems.push(`${c.container}: ${PROXY_ENV} is missing`);
        } else if (env[CA_FILE_ENV] && env[CA_DATA_ENV]) {
          problems.push(`${c.container}: both ${CA_FILE_ENV} and ${CA_DATA_ENV} are set; the SDKs accept only one`);
        }
      }
      if (inj.tokenVolume && inj.tokenVolume.audience !== BINDING_TOKEN_AUDIENCE && podOptsIn(pod))
        problems.push(
          `the projected token's audience is ${inj.tokenVolume.audience ?? "unset"}, not ${BINDING_TOKEN_AUDIENCE}`,
        );
      if (!problems.length) continue;
      findings.push({
        id: this.id,
        severity: "error",
        title: `Pod ${name} lacks the identity binding proxy configuration: ${problems[0]}`,
        evidence: { pod: name, problems, expected: [PROXY_ENV, SNI_ENV, `${CA_FILE_ENV} or ${CA_DATA_ENV}`] },
        fix: {
          summary: podOptsIn(pod)
            ? "Recreate the pod so the webhook mutates it again; if the variables still do not appear, the webhook predates identity bindings (the AKS guide expects v1.6.0 or later)."
            : "Recreate the pod so the webhook sees the annotation.",
          commands: [restartCommand(f, name)],
        },
      });
    }
    return findings;
  },
});

/** The per-language switch that sends WorkloadIdentityCredential's request to the proxy (identity-bindings-concepts). */
export const SDK_PROXY_OPTIONS =
  ".NET Azure.Identity: WorkloadIdentityCredentialOptions.IsAzureProxyEnabled (IsAzureKubernetesTokenProxyEnabled in 1.18.0-beta.2); Go azidentity: WorkloadIdentityCredentialOptions.EnableAzureProxy (EnableAzureTokenProxy in v1.14.0-beta.2); Java azure-identity: WorkloadIdentityCredentialBuilder.enableAzureProxy() (enableAzureTokenProxy() in 1.19.0-beta.1); JavaScript @azure/identity: enableAzureProxy (enableAzureKubernetesTokenProxy in 4.14.0-beta.1); Python azure-identity: enable_azure_proxy=True (use_token_proxy in 1.26.0b1). DefaultAzureCredential and ManagedIdentityCredential do not support it.";

export const bindingSdkNotOptedIn = aksCheck({
  id: "binding.sdk-not-opted-in",
  doc: {
    meaning:
      "Only with an error text: Entra judged the pod's own token (audience `api://AKSIdentityBinding`, or the cluster's issuer) although the pods opt in, so the application's WorkloadIdentityCredential does not use the proxy (`EnableAzureProxy`-style option, a recent enough SDK; DefaultAzureCredential and ManagedIdentityCredential do not support it); or the text is a build or start-up error naming the proxy option the application's Azure Identity release lacks. Confirms error class `binding_proxy_not_enabled`.",
    symptom: 'AADSTS700212 for audience `api://AKSIdentityBinding`; "unknown field EnableAzureProxy in struct literal"',
  },
  severity: "error",
  confirms: ["fic_audience_mismatch", "fic_issuer_mismatch", "binding_proxy_not_enabled"],
  title: "The application sends its token to the identity binding proxy, not straight to Entra",
  skippedBecause: (f) => {
    if (!usesIdentityBinding(f)) return NOT_OPTED_IN;
    if (!f.errorText) return "no error text was given: the pods do not show which credential the application uses";
    return undefined;
  },
  run(f) {
    const e = f.errorText!;
    // An assertion the proxy re-issued carries a binding's issuer: then Entra judged the binding, not the app.
    const bindingIssuers = (valueOf(f.identityBindings ?? { status: "skipped", reason: "" }) ?? []).map(
      (b) => b.issuerUrl,
    );
    // The text itself names the proxy option an older library lacks (a build or argument error), or Entra judged the
    // pod's own token.
    const direct =
      e.classes[0] === "binding_proxy_not_enabled" ||
      e.extracted.audience === BINDING_TOKEN_AUDIENCE ||
      (!!e.extracted.issuer &&
        !bindingIssuers.includes(e.extracted.issuer) &&
        e.codes.some((c) => /^(AADSTS)?(70021|700211|700212|700213)$/i.test(c)));
    if (!direct) return [];
    return [
      {
        id: this.id,
        severity: "error",
        title:
          "Entra answered the application directly: its WorkloadIdentityCredential does not use the identity binding proxy",
        evidence: {
          errorCodes: e.codes,
          assertionAudience: e.extracted.audience ?? null,
          assertionIssuer: e.extracted.issuer ?? null,
          why: "on the binding path Entra only ever sees tokens the proxy re-issues; a token with the pod's own issuer or the audience api://AKSIdentityBinding reached Entra unproxied",
        },
        fix: {
          summary: `Construct WorkloadIdentityCredential with the proxy option enabled (SDK version at least the one named): ${SDK_PROXY_OPTIONS}`,
          commands: [],
        },
      },
    ];
  },
});
