// After the exchange works: the identity still needs a role on the resource, and Key Vault's network rules must let the pod in.
import type { V1Pod, V1PodTemplateSpec } from "@kubernetes/client-node";
import type { Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import type { AksFacts, RoleAssignmentFacts } from "../facts.js";
import { names, sh } from "../names.js";
import { wildcardMatches } from "../../wildcard.js";
import { annotatedClientId } from "./identity.js";
import { aksCheck, unread, vaults } from "./define.js";

export const SECRET_GET_DATA_ACTION = "Microsoft.KeyVault/vaults/secrets/getSecret/action";

/** Azure RBAC wildcard semantics: "*" and "Microsoft.KeyVault/vaults/secrets/*" style prefixes. */
export function actionMatches(pattern: string, action: string): boolean {
  const p = pattern.toLowerCase();
  const a = action.toLowerCase();
  if (p === "*" || p === a) return true;
  if (!p.includes("*")) return false;
  return wildcardMatches(p, a);
}

/** An assignment covers a resource when its scope is the resource or one of its parents. */
export function scopeCovers(scope: string, resourceId: string): boolean {
  const s = scope.toLowerCase().replace(/\/$/, "");
  const r = resourceId.toLowerCase();
  return s === "" || s === "/" || r === s || r.startsWith(`${s}/`);
}

export function grants(
  assignments: RoleAssignmentFacts[],
  resourceId: string,
  dataAction: string,
): RoleAssignmentFacts | undefined {
  return assignments.find(
    (a) =>
      scopeCovers(a.scope, resourceId) &&
      a.dataActions.some((d) => actionMatches(d, dataAction)) &&
      !(a.notDataActions ?? []).some((d) => actionMatches(d, dataAction)),
  );
}

/**
 * The SecretProviderClasses that the pods in scope (or the workload's template) mount through the CSI driver.
 * Undefined when they mount none: then every class in the namespace is taken as possibly theirs.
 */
export function mountedSpcNames(pods: V1Pod[], template?: V1PodTemplateSpec): Set<string> | undefined {
  const mounted = new Set<string>();
  for (const spec of [...pods.map((p) => p.spec), template?.spec]) {
    for (const v of spec?.volumes ?? []) {
      const name =
        v.csi?.driver === "secrets-store.csi.k8s.io" ? v.csi.volumeAttributes?.secretProviderClass : undefined;
      if (name) mounted.add(name);
    }
  }
  return mounted.size ? mounted : undefined;
}

/** Azure SecretProviderClasses that concern this workload: other apps' classes in the namespace are not its problem. */
const azureSpcs = (f: AksFacts) => {
  const mounted = mountedSpcNames(
    valueOf(f.pods) ?? [],
    valueOf(f.workload ?? { status: "skipped", reason: "" })?.podTemplate,
  );
  return (valueOf(f.secretProviderClasses) ?? []).filter(
    (s) => (s.provider ?? "azure") === "azure" && (!mounted || mounted.has(s.name)),
  );
};

export const spcClientIdMismatch = aksCheck({
  id: "spc.client-id-mismatch",
  doc: {
    meaning:
      "The SecretProviderClass `clientID` is empty or differs from the service account's client id (or its tenant differs). Only the classes the pods mount are judged (all of the namespace's when they mount none); the same holds for the vaults behind them.",
    symptom: "CSI mount fails with AADSTS70021",
  },
  severity: "error",
  confirms: ["fic_missing", "wrong_client_id"],
  essential: (f) => unread(f.secretProviderClasses) || (valueOf(f.secretProviderClasses) ?? []).length > 0,
  title: "SecretProviderClass clientID matches the service account's client id",
  skippedBecause: (f) =>
    f.secretProviderClasses.status !== "ok"
      ? `SecretProviderClasses could not be read: ${f.secretProviderClasses.reason}`
      : azureSpcs(f).length
        ? undefined
        : "no Azure SecretProviderClass in the namespace",
  run(f) {
    const saClientId = annotatedClientId(f);
    const identity = valueOf(f.identity);
    const findings: Finding[] = [];
    for (const spc of azureSpcs(f)) {
      const p = spc.parameters;
      if (p.usePodIdentity === "true" || p.useVMManagedIdentity === "true") continue;
      const clientID = (p.clientID ?? "").trim();
      const problems: string[] = [];
      if (!clientID) problems.push("clientID is empty (workload identity mode needs it)");
      else if (saClientId && clientID.toLowerCase() !== saClientId.toLowerCase())
        problems.push(`clientID ${clientID} differs from the service account's ${saClientId}`);
      const tenant = (p.tenantID ?? p.tenantId ?? "").trim();
      if (identity && tenant && tenant.toLowerCase() !== identity.tenantId.toLowerCase())
        problems.push(`tenantID ${tenant} differs from the identity's tenant ${identity.tenantId}`);
      if (!problems.length) continue;
      const want = saClientId ?? identity?.clientId ?? "<client-id>";
      findings.push({
        id: this.id,
        severity: "error",
        title: `SecretProviderClass ${spc.name}: ${problems[0]}`,
        evidence: {
          secretProviderClass: spc.name,
          clientID: clientID || null,
          serviceAccountClientId: saClientId ?? null,
          tenantID: tenant || null,
          problems,
        },
        fix: {
          summary:
            "Set parameters.clientID to the client id on the service account (the CSI driver exchanges the pod's token for that identity).",
          commands: [
            `kubectl patch secretproviderclass ${sh(spc.name)} -n ${sh(spc.namespace)} --type merge -p ${sh(JSON.stringify({ spec: { parameters: { clientID: want } } }))}`,
            "# then recreate the pods that mount it",
          ],
        },
      });
    }
    return findings;
  },
});

export const keyVaultFirewall = aksCheck({
  id: "keyvault.firewall-blocks-cluster",
  doc: {
    meaning: "The vault denies by default (or disables public access) and does not admit the node pool subnets.",
    symptom: "403 ForbiddenByFirewall",
  },
  severity: "error",
  confirms: ["keyvault_firewall"],
  essential: (f) => unread(f.secretProviderClasses, f.keyVaults) || vaults(f).length > 0,
  title: "Key Vault network rules admit the cluster",
  skippedBecause: (f) =>
    f.keyVaults.status !== "ok"
      ? `Key Vaults could not be read: ${f.keyVaults.reason}`
      : valueOf(f.keyVaults)!.length
        ? undefined
        : "no Key Vault is referenced",
  run(f) {
    const cluster = valueOf(f.cluster);
    const subnets = (cluster?.agentPoolSubnetIds ?? []).map((s) => s.toLowerCase());
    const findings: Finding[] = [];
    for (const vault of valueOf(f.keyVaults)!) {
      const acl = vault.networkAcls;
      const publicDisabled = vault.publicNetworkAccess === "Disabled";
      const denies = acl?.defaultAction === "Deny";
      if (!publicDisabled && !denies) continue;
      const allowed = (acl?.virtualNetworkRules ?? []).map((r) => r.id.toLowerCase());
      const admitted = subnets.filter((s) => allowed.includes(s));
      if (!publicDisabled && subnets.length && admitted.length === subnets.length) continue;
      // Without the cluster's subnets (cluster not readable, or kubenet egress through a public IP an ipRule may
      // admit) the rules cannot be judged: say nothing rather than guess.
      if (!publicDisabled && !subnets.length) continue;
      const n = names(f);
      const missing = subnets.filter((s) => !allowed.includes(s));
      findings.push({
        id: this.id,
        severity: "error",
        title: publicDisabled
          ? `Key Vault ${vault.name} has public network access disabled; pods reach it only through a private endpoint (403 ForbiddenByFirewall otherwise)`
          : `Key Vault ${vault.name}'s firewall denies by default and does not admit the cluster's subnets (403 ForbiddenByFirewall)`,
        evidence: {
          vault: vault.name,
          publicNetworkAccess: vault.publicNetworkAccess ?? null,
          defaultAction: acl?.defaultAction ?? null,
          bypass: acl?.bypass ?? null,
          clusterSubnets: cluster?.agentPoolSubnetIds ?? "unknown",
          allowedSubnets: acl?.virtualNetworkRules.map((r) => r.id) ?? [],
          ipRules: acl?.ipRules.map((r) => r.value) ?? [],
        },
        fix: {
          summary:
            "Allow the node pool subnets (with the Microsoft.KeyVault service endpoint on them), or use a private endpoint.",
          commands: (missing.length ? missing : ["<agent-pool-subnet-id>"])
            .map(
              (s) =>
                `az keyvault network-rule add --name ${sh(vault.name)} --resource-group ${sh(vault.resourceGroup ?? "<vault-resource-group>")} --subnet ${sh(s)}`,
            )
            .concat(
              cluster
                ? []
                : [
                    `az aks show -g ${sh(n.clusterResourceGroup)} -n ${sh(n.clusterName)} --query "agentPoolProfiles[].vnetSubnetId"`,
                  ],
            ),
        },
      });
    }
    return findings;
  },
});

export const keyVaultAccess = aksCheck({
  id: "keyvault.access-policy-missing",
  doc: {
    meaning:
      "Access-policy vault without a policy for the identity's object id (a policy keyed by the client id is the classic slip), or without `get` on secrets.",
    symptom: "403 Forbidden on GetSecret",
  },
  severity: "error",
  confirms: ["rbac_missing_role"],
  essential: (f) => unread(f.secretProviderClasses, f.keyVaults) || vaults(f).some((v) => !v.enableRbacAuthorization),
  title: "The identity may read secrets from the referenced Key Vaults",
  skippedBecause: (f) => {
    if (f.keyVaults.status !== "ok") return `Key Vaults could not be read: ${f.keyVaults.reason}`;
    if (!valueOf(f.keyVaults)!.length) return "no Key Vault is referenced";
    if (f.identity.status !== "ok") return `the identity could not be looked up: ${f.identity.reason}`;
    if (!valueOf(f.identity)) return "the identity is not known";
    return undefined;
  },
  run(f) {
    const identity = valueOf(f.identity)!;
    const findings: Finding[] = [];
    for (const vault of valueOf(f.keyVaults)!) {
      if (vault.enableRbacAuthorization) continue; // rbac.role-missing covers RBAC vaults
      const byObject = vault.accessPolicies.find(
        (p) => p.objectId.toLowerCase() === identity.principalId.toLowerCase(),
      );
      if (byObject?.permissions.secrets?.some((s) => ["get", "all"].includes(s.toLowerCase()))) continue;
      const byClient = vault.accessPolicies.find((p) => p.objectId.toLowerCase() === identity.clientId.toLowerCase());
      findings.push({
        id: this.id,
        severity: "error",
        title: byClient
          ? `Key Vault ${vault.name} has an access policy keyed by the client id; access policies need the object (principal) id`
          : byObject
            ? `The access policy for ${identity.name} on ${vault.name} does not grant "get" on secrets`
            : `Key Vault ${vault.name} has no access policy for ${identity.name}`,
        evidence: {
          vault: vault.name,
          permissionModel: "access policies",
          identityPrincipalId: identity.principalId,
          identityClientId: identity.clientId,
          policyObjectIds: vault.accessPolicies.map((p) => p.objectId),
          secretPermissions: byObject?.permissions.secrets ?? null,
        },
        fix: {
          summary: "Grant get (and list) on secrets to the identity's principal (object) id.",
          commands: [
            `az keyvault set-policy --name ${sh(vault.name)} --object-id ${sh(identity.principalId)} --secret-permissions get list`,
          ],
        },
      });
    }
    return findings;
  },
});

export const rbacRoleMissing = aksCheck({
  id: "rbac.role-missing",
  doc: {
    meaning:
      "RBAC vault, and no role assignment at or above the vault grants `Microsoft.KeyVault/vaults/secrets/getSecret/action`.",
    symptom: "403 Forbidden after a successful sign-in",
  },
  severity: "error",
  confirms: ["rbac_missing_role"],
  essential: (f) => unread(f.secretProviderClasses, f.keyVaults) || vaults(f).some((v) => v.enableRbacAuthorization),
  title: "The identity holds a role that reads the referenced Key Vault secrets",
  skippedBecause: (f) => {
    if (f.keyVaults.status !== "ok") return `Key Vaults could not be read: ${f.keyVaults.reason}`;
    if (!valueOf(f.keyVaults)!.some((v) => v.enableRbacAuthorization)) return "no RBAC-mode Key Vault is referenced";
    if (f.identity.status !== "ok") return `the identity could not be looked up: ${f.identity.reason}`;
    if (!valueOf(f.identity)) return "the identity is not known";
    if (f.roleAssignments.status !== "ok") return `role assignments could not be read: ${f.roleAssignments.reason}`;
    return undefined;
  },
  run(f) {
    const identity = valueOf(f.identity)!;
    const assignments = valueOf(f.roleAssignments)!;
    const findings: Finding[] = [];
    for (const vault of valueOf(f.keyVaults)!.filter((v) => v.enableRbacAuthorization)) {
      if (grants(assignments, vault.id, SECRET_GET_DATA_ACTION)) continue;
      findings.push({
        id: this.id,
        severity: "error",
        title: `${identity.name} has no role that reads secrets in Key Vault ${vault.name} (403 Forbidden after a successful sign-in)`,
        evidence: {
          principalId: identity.principalId,
          vault: vault.id,
          needs: SECRET_GET_DATA_ACTION,
          assignments: assignments.map((a) => `${a.roleName} @ ${a.scope}`),
        },
        fix: {
          summary: "Assign Key Vault Secrets User on the vault to the identity's principal id.",
          commands: [
            `az role assignment create --assignee-object-id ${sh(identity.principalId)} --assignee-principal-type ServicePrincipal --role "Key Vault Secrets User" --scope ${sh(vault.id)}`,
          ],
        },
      });
    }
    return findings;
  },
});
