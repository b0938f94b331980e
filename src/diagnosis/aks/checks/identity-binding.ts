// AKS identity bindings, cloud side: a binding must map the service account's identity to this cluster, and the
// identity must hold the one federated credential AKS keeps for all of its bindings (issuer = the binding's
// oidcIssuerUrl). ARM: Microsoft.ContainerService/managedClusters/identityBindings, api-version 2026-04-01 (GA; the
// 2025-xx-preview versions have the same shape): properties.managedIdentity {resourceId, clientId, objectId,
// tenantId}, properties.oidcIssuer.oidcIssuerUrl, properties.provisioningState.
import { cmd, placeholder, validName } from "../../command.js";
import { identityResourceId } from "../../errors/class-helpers.js";
import type { Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import type { AksFacts, IdentityBindingFacts } from "../facts.js";
import { createFicCommand, names, WI_CLIENT_ID } from "../names.js";
import {
  BINDING_CREDENTIAL_NAME,
  bindingsOfIdentity,
  bindingsUnread,
  NOT_OPTED_IN,
  usesIdentityBinding,
  WI_USE_IDENTITY_BINDING,
} from "./binding-opt-in.js";
import { aksCheck } from "./define.js";
import { bestCandidate, expectedFic } from "./federated-credentials.js";
import { annotatedClientId } from "./identity.js";

const v = (kind: Parameters<typeof validName>[0], value: string | undefined, what: string) =>
  validName(kind, value) ?? placeholder(what);

/** `az aks identity-binding create` for the service account's identity on this cluster (PUT: also re-applies one). */
export function createBindingCommand(f: AksFacts, name?: string): string {
  const n = names(f);
  const identity = valueOf(f.identity);
  const bindingName = name ?? `${identity?.name ?? "identity"}-ib`.slice(0, 63);
  return cmd`az aks identity-binding create --resource-group ${v("azureName", n.clusterResourceGroup, "cluster-resource-group")} --cluster-name ${v("azureName", n.clusterName, "cluster-name")} --name ${v("azureName", bindingName, "binding-name")} --managed-identity-resource-id ${identity?.resourceId ?? placeholder("identity-resource-id")}`;
}

const describe = (b: IdentityBindingFacts) => ({
  binding: b.name,
  clientId: b.clientId ?? null,
  identityResourceId: b.identityResourceId,
  issuerUrl: b.issuerUrl ?? null,
  provisioningState: b.provisioningState ?? null,
});

const needClientId = (f: AksFacts) =>
  annotatedClientId(f) ? undefined : "the service account names no valid client id";

export const bindingNotFound = aksCheck({
  id: "binding.not-found",
  doc: {
    meaning:
      "The pods opt into an AKS identity binding (`azure.workload.identity/use-identity-binding: \"true\"`), but no binding on the cluster (`managedClusters/identityBindings`) binds the service account's identity: none exists, the cluster's bindings bind other identities (the evidence lists them), the binding is not `Succeeded`, or the client id is an app registration (bindings take only user-assigned identities).",
    symptom: "AADSTS700016 / 70021 from the proxy; pods never get a token",
  },
  severity: "error",
  confirms: ["fic_missing"],
  essential: usesIdentityBinding,
  title: "An identity binding maps the service account's identity to this cluster",
  skippedBecause: (f) =>
    (usesIdentityBinding(f) ? undefined : NOT_OPTED_IN) ??
    needClientId(f) ??
    (valueOf(f.cluster) ? undefined : "the AKS cluster is not known") ??
    bindingsUnread(f),
  run(f) {
    const n = names(f);
    const clientId = annotatedClientId(f)!;
    const identity = valueOf(f.identity);
    if (identity?.kind === "application") {
      return [
        {
          id: this.id,
          severity: "error",
          title: `Client id ${clientId} is an app registration: identity bindings bind only user-assigned managed identities`,
          evidence: { clientId, identityKind: "application", application: identity.name },
          fix: {
            summary: `Use a user-assigned managed identity for the binding path, or remove the ${WI_USE_IDENTITY_BINDING} annotation and keep a federated credential for this cluster on the app registration.`,
            commands: [],
          },
        },
      ];
    }
    const mine = bindingsOfIdentity(f);
    const all = valueOf(f.identityBindings!) ?? [];
    if (!mine.length) {
      const others = all.map(describe);
      const title = others.length
        ? `No identity binding on cluster ${n.clusterName} binds identity ${identity?.name ?? clientId}: its bindings (${all.map((b) => b.name).join(", ")}) bind other identities`
        : `Cluster ${n.clusterName} has no identity binding for identity ${identity?.name ?? clientId}`;
      const finding: Finding = {
        id: this.id,
        severity: "error",
        title,
        evidence: { cluster: n.clusterName, clientId, identity: identity?.name ?? null, bindings: others },
        fix: {
          summary: `Create an identity binding for ${identity?.name ?? "the identity"} on ${n.clusterName}; AKS then creates (or reuses) the identity's federated credential "${BINDING_CREDENTIAL_NAME}".`,
          commands: [createBindingCommand(f)],
        },
      };
      const other = all.filter((b) => b.clientId);
      if (other.length === 1) {
        finding.fix.alternatives = [
          {
            summary: `Or, if the service account should use the identity binding ${other[0].name} binds, point its client-id annotation there (then restart the workload).`,
            commands: [
              cmd`kubectl annotate serviceaccount ${n.serviceAccount} -n ${n.namespace} ${`${WI_CLIENT_ID}=${other[0].clientId}`} --overwrite`,
            ],
          },
        ];
      }
      return [finding];
    }
    if (mine.some((b) => (b.provisioningState ?? "Succeeded") === "Succeeded")) return [];
    const b = mine[0];
    return [
      {
        id: this.id,
        severity: "error",
        title: `Identity binding ${b.name} is ${b.provisioningState}, not Succeeded: the proxy cannot use it`,
        evidence: describe(b),
        fix: {
          summary:
            "Apply the binding again (a Failed create usually lacked federatedIdentityCredentials/write on the identity, or the identity already had 20 credentials).",
          commands: [createBindingCommand(f, b.name)],
        },
      },
    ];
  },
});

/** The binding whose issuer the identity's credential must carry (one that succeeded, else the first). */
const bindingInUse = (f: AksFacts) => {
  const mine = bindingsOfIdentity(f);
  return mine.find((b) => (b.provisioningState ?? "Succeeded") === "Succeeded" && b.issuerUrl) ?? mine[0];
};

const needFics = (f: AksFacts) =>
  f.federatedCredentials.status === "ok"
    ? undefined
    : `federated credentials could not be read: ${f.federatedCredentials.reason}`;

/** Why the binding's federated credential cannot be judged (not opted in, bindings or credentials unread, no issuer). */
function credentialUnjudgeable(f: AksFacts): string | undefined {
  if (!usesIdentityBinding(f)) return NOT_OPTED_IN;
  const unread = bindingsUnread(f);
  if (unread) return unread;
  const b = bindingInUse(f);
  if (!b) return "no identity binding binds the identity";
  if (!b.issuerUrl) return `identity binding ${b.name} reports no OIDC issuer yet`;
  return needFics(f);
}

export const bindingCredentialMissing = aksCheck({
  id: "binding.credential-missing",
  doc: {
    meaning:
      "The identity has no federated credential whose issuer is the binding's `oidcIssuerUrl` (`https://ib.oic.prod-aks.azure.com/<tenant>/<client id>`): AKS's credential `aks-identity-binding` was deleted or edited by hand. The fix re-applies the binding so AKS recreates it, never a hand-written credential.",
    symptom: "AADSTS700211 with issuer `ib.oic.prod-aks.azure.com`",
  },
  severity: "error",
  confirms: ["fic_issuer_mismatch", "fic_missing"],
  essential: (f) => usesIdentityBinding(f) && bindingsOfIdentity(f).length > 0,
  title: "The identity holds a federated credential with the binding's issuer",
  skippedBecause: credentialUnjudgeable,
  run(f) {
    const b = bindingInUse(f)!;
    const creds = valueOf(f.federatedCredentials)!;
    if (creds.some((c) => c.issuer === b.issuerUrl)) return [];
    const n = names(f);
    const managed = creds.find((c) => c.name === BINDING_CREDENTIAL_NAME);
    const commands = managed
      ? [
          cmd`az identity federated-credential delete --name ${BINDING_CREDENTIAL_NAME} --identity-name ${v("azureName", n.identityName, "identity-name")} --resource-group ${v("azureName", n.identityResourceGroup, "identity-resource-group")} --yes`,
          createBindingCommand(f, b.name),
        ]
      : [createBindingCommand(f, b.name)];
    return [
      {
        id: this.id,
        severity: "error",
        title: managed
          ? `Federated credential "${BINDING_CREDENTIAL_NAME}" on ${n.identityName} was changed: its issuer is not binding ${b.name}'s ${b.issuerUrl}`
          : `Identity ${n.identityName} has no federated credential with binding ${b.name}'s issuer ${b.issuerUrl}`,
        evidence: {
          binding: b.name,
          bindingIssuer: b.issuerUrl,
          identity: n.identityName,
          credentials: creds.map((c) => ({ name: c.name, issuer: c.issuer })),
          managedCredential: managed ? { name: managed.name, issuer: managed.issuer } : null,
        },
        fix: {
          summary: `AKS manages this credential: ${managed ? "delete the altered one and " : ""}apply the binding again so AKS recreates it with the binding's issuer (the identity needs a free slot of its 20).`,
          commands,
        },
      },
    ];
  },
});

/**
 * What the binding proxy presents to Entra for the identity: a token from the binding's issuer whose subject is the
 * identity's ARM resource id (one subject per identity, whichever cluster or service account asked: the credential
 * AKS creates is listed in the portal with subject "/subscriptions/…" and the AKS diagram labels it <MI-1>) and whose
 * audience is Entra's token-exchange audience (the pod's own token, audience api://AKSIdentityBinding, stays with the
 * proxy).
 */
export function proxyAssertion(f: AksFacts, b: IdentityBindingFacts) {
  return {
    issuer: b.issuerUrl ?? "",
    subject: b.identityResourceId || (valueOf(f.identity)?.resourceId ?? ""),
    audience: f.cloud.tokenExchangeAudience,
  };
}

/** Rewrite AKS's credential with what the proxy presents (create with an existing name replaces it). */
function rewriteBindingCredentialCommand(f: AksFacts, want: ReturnType<typeof proxyAssertion>): string {
  const n = names(f);
  const id = identityResourceId(want.subject);
  const subject = id ? want.subject : placeholder("identity-resource-id");
  return cmd`az identity federated-credential create --name ${BINDING_CREDENTIAL_NAME} --identity-name ${v("azureName", n.identityName, "identity-name")} --resource-group ${v("azureName", n.identityResourceGroup, "identity-resource-group")} --subscription ${id?.subscription ?? placeholder("identity-subscription")} --issuer ${validName("issuer", want.issuer) ?? placeholder("binding-oidc-issuer-url")} --subject ${subject} --audience ${validName("audience", want.audience) ?? placeholder("audience")}`;
}

export const bindingCredentialMismatch = aksCheck({
  id: "binding.credential-mismatch",
  doc: {
    meaning:
      "The identity holds a credential with the binding's issuer, but its subject is not the identity's ARM resource id (what the proxy presents: one subject per identity, whatever cluster or service account asked) or its audiences lack `api://AzureADTokenExchange` (the proxy's token, not the pod's `api://AKSIdentityBinding`). The resource id is compared case-blind (ARM's casing varies). The fix rewrites `aks-identity-binding` with the user's names; the alternative deletes it and re-applies the binding.",
    symptom: "AADSTS700213 (subject) or AADSTS700212 (audience `api://AzureADTokenExchange`) from the proxy's exchange",
  },
  severity: "error",
  confirms: ["fic_subject_mismatch", "fic_audience_mismatch"],
  essential: (f) => usesIdentityBinding(f) && bindingsOfIdentity(f).length > 0,
  title: "The binding's federated credential trusts the subject and audience the proxy presents",
  skippedBecause: (f) => {
    const why = credentialUnjudgeable(f);
    if (why) return why;
    const b = bindingInUse(f)!;
    if (!proxyAssertion(f, b).subject) return "the identity's resource id is not known";
    return valueOf(f.federatedCredentials)!.some((c) => c.issuer === b.issuerUrl)
      ? undefined
      : "no federated credential has the binding's issuer (binding.credential-missing)";
  },
  run(f) {
    const b = bindingInUse(f)!;
    const want = proxyAssertion(f, b);
    const sameIssuer = valueOf(f.federatedCredentials)!.filter((c) => c.issuer === b.issuerUrl);
    // The resource id's letter case is ARM's to choose (resourceGroups/resourcegroups): compare it case-blind.
    const subjectOk = (c: { subject: string }) => c.subject.toLowerCase() === want.subject.toLowerCase();
    const audienceOk = (c: { audiences: string[] }) => c.audiences.includes(want.audience);
    if (sameIssuer.some((c) => subjectOk(c) && audienceOk(c))) return [];
    const cred = sameIssuer.find((c) => c.name === BINDING_CREDENTIAL_NAME) ?? sameIssuer[0];
    const n = names(f);
    const wrong = [
      ...(subjectOk(cred) ? [] : [`its subject is "${cred.subject}", not the identity's resource id ${want.subject}`]),
      ...(audienceOk(cred) ? [] : [`its audiences ${JSON.stringify(cred.audiences)} do not include ${want.audience}`]),
    ];
    return [
      {
        id: this.id,
        severity: "error",
        title: `Federated credential "${cred.name}" on ${n.identityName} has binding ${b.name}'s issuer, but ${wrong.join(" and ")}: Entra refuses what the proxy presents`,
        evidence: {
          binding: b.name,
          credential: { name: cred.name, issuer: cred.issuer, subject: cred.subject, audiences: cred.audiences },
          proxyPresents: want,
          subjectMatches: subjectOk(cred),
          audienceMatches: audienceOk(cred),
          entraAnswers: subjectOk(cred) ? "AADSTS700212 (audience)" : "AADSTS700213 (subject)",
        },
        fix: {
          summary: `AKS manages this credential and one credential serves every cluster bound to ${n.identityName}: put back the subject (the identity's resource id) and audience (${want.audience}) the proxy presents.`,
          commands: [rewriteBindingCredentialCommand(f, want)],
          alternatives: [
            {
              summary: "Or delete the altered credential and apply the binding again so AKS recreates it.",
              commands: [
                cmd`az identity federated-credential delete --name ${v("azureName", cred.name, "credential-name")} --identity-name ${v("azureName", n.identityName, "identity-name")} --resource-group ${v("azureName", n.identityResourceGroup, "identity-resource-group")} --yes`,
                createBindingCommand(f, b.name),
              ],
            },
          ],
        },
      },
    ];
  },
});

/** The command that adds the opt-in annotation to the workload's pod template (a rollout follows). */
function optInCommand(f: AksFacts): string {
  const wl = f.target.workload;
  const ann = { annotations: { [WI_USE_IDENTITY_BINDING]: "true" } };
  if (!wl)
    return `# add the annotation ${WI_USE_IDENTITY_BINDING}: "true" to the pod's template, then recreate the pod`;
  const kind = wl.split("/")[0].toLowerCase();
  const patch =
    kind === "cronjob"
      ? { spec: { jobTemplate: { spec: { template: { metadata: ann } } } } }
      : { spec: { template: { metadata: ann } } };
  return cmd`kubectl patch ${wl.toLowerCase()} -n ${f.target.namespace} --type merge -p ${JSON.stringify(patch)}`;
}

export const bindingPodNotOptedIn = aksCheck({
  id: "binding.pod-not-opted-in",
  doc: {
    meaning:
      "A binding binds the identity, the identity has no credential for this cluster's own issuer and subject, and the pods lack the opt-in annotation: they take the direct path, which nothing trusts. A cluster that keeps both the classic credential and a binding is fine.",
    symptom: "AADSTS700211 with the cluster's issuer",
  },
  severity: "error",
  confirms: ["fic_issuer_mismatch", "fic_missing"],
  supersedes: ["fic.issuer-mismatch", "fic.subject-mismatch", "fic.audience-mismatch"],
  title: "Pods whose identity is bound through an identity binding opt into it (or keep a credential for this cluster)",
  skippedBecause: (f) => {
    if (usesIdentityBinding(f)) return "the pods opt into the identity binding";
    if (!annotatedClientId(f)) return "the service account names no valid client id";
    const unread = bindingsUnread(f);
    if (unread) return unread;
    if (!bindingsOfIdentity(f).length) return "no identity binding binds the identity";
    if (!expectedFic(f).issuer) return "the cluster's issuer is not known";
    return needFics(f);
  },
  run(f) {
    const exp = expectedFic(f);
    const { match } = bestCandidate(valueOf(f.federatedCredentials)!, exp);
    // Both paths configured: pods without the annotation use the cluster's own credential, which is fine.
    if (match) return [];
    const n = names(f);
    const b = bindingsOfIdentity(f)[0];
    return [
      {
        id: this.id,
        severity: "error",
        title: `Identity ${n.identityName} is reached through identity binding ${b.name}, but the pods do not opt in: they send their token to Entra directly, where no credential trusts this cluster's issuer`,
        evidence: {
          binding: b.name,
          annotation: WI_USE_IDENTITY_BINDING,
          clusterIssuer: exp.issuer,
          subject: exp.subject,
          bindingIssuer: b.issuerUrl ?? null,
        },
        fix: {
          summary: `Add the annotation ${WI_USE_IDENTITY_BINDING}: "true" to the pod template (and enable the proxy option in the application's WorkloadIdentityCredential), or give the identity a federated credential for this cluster instead.`,
          commands: [optInCommand(f)],
          alternatives: [
            {
              summary:
                "Or keep the direct path: a federated credential for this cluster's issuer and the service account.",
              commands: [createFicCommand(f)],
            },
          ],
        },
      },
    ];
  },
});
