// The vault a SecretProviderClass names: that it exists (not soft-deleted, not a name ARM does not know), and that
// it belongs to the tenant the CSI driver's token comes from (Key Vault refuses another tenant's tokens).
import type { AksFacts, MissingKeyVaultFacts, SecretProviderClassFacts } from "../facts.js";
import { sh } from "../names.js";
import type { Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import { aksCheck, unread } from "./define.js";

const tenantOf = (spc: SecretProviderClassFacts) => (spc.parameters.tenantID ?? spc.parameters.tenantId ?? "").trim();
const naming = (f: AksFacts, vault: string) =>
  (valueOf(f.secretProviderClasses) ?? []).filter(
    (s) => (s.parameters.keyvaultName ?? "").toLowerCase() === vault.toLowerCase(),
  );
/** The tenant the workload's identity lives in, as far as it is known. */
const homeTenant = (f: AksFacts) => valueOf(f.identity)?.tenantId ?? f.defaultTenantId;

function missingFinding(f: AksFacts, id: string, m: MissingKeyVaultFacts): Finding {
  const spcs = naming(f, m.name);
  const ns = f.target.namespace;
  const spcRef = spcs.map((s) => `${s.namespace}/${s.name}`);
  const otherTenant = spcs
    .map(tenantOf)
    .find((t) => t && homeTenant(f) && t.toLowerCase() !== homeTenant(f)!.toLowerCase());
  const patch = (s: SecretProviderClassFacts, params: Record<string, string>) =>
    `kubectl patch secretproviderclass ${sh(s.name)} -n ${sh(s.namespace)} --type=merge -p ${sh(JSON.stringify({ spec: { parameters: params } }))}`;
  if (m.deleted) {
    const d = m.deleted;
    const rg = /\/resourcegroups\/([^/]+)\//i.exec(d.vaultId ?? "")?.[1];
    return {
      id,
      severity: "error",
      title: `Key Vault ${m.name} was deleted${d.deletionDate ? ` on ${d.deletionDate.slice(0, 10)}` : ""} and is soft-deleted (recoverable until ${d.scheduledPurgeDate?.slice(0, 10) ?? "its purge date"})`,
      evidence: {
        vault: m.name,
        secretProviderClasses: spcRef,
        deletedVault: {
          location: d.location,
          vaultId: d.vaultId,
          deletionDate: d.deletionDate,
          scheduledPurgeDate: d.scheduledPurgeDate,
          purgeProtectionEnabled: d.purgeProtectionEnabled ?? false,
        },
        expectedError: `the CSI driver cannot resolve ${m.name}.vault.azure.net (no such host) while the vault is deleted`,
      },
      fix: {
        summary: `Recover the vault (its secrets, access policies and role assignments come back with it); its name stays taken until it is purged${d.purgeProtectionEnabled ? ", and purge protection forbids purging before the purge date" : ""}.`,
        commands: [
          `az keyvault recover --name ${sh(m.name)}${d.subscriptionId ? ` --subscription ${sh(d.subscriptionId)}` : ""}${rg ? ` --resource-group ${sh(rg)}` : ""}${d.location ? ` --location ${sh(d.location)}` : ""}`,
        ],
        alternatives: [
          {
            summary: "Or, if it was deleted on purpose, point the SecretProviderClass at the vault that replaced it.",
            commands: spcs.map((s) => patch(s, { keyvaultName: "<existing vault name>" })),
          },
        ],
      },
    };
  }
  return {
    id,
    severity: "error",
    title: otherTenant
      ? `Key Vault ${m.name} is not visible here: its SecretProviderClass names tenant ${otherTenant}, not the identity's tenant ${homeTenant(f)}`
      : `No Key Vault named ${m.name} exists in the subscriptions that could be read${m.deleted === undefined ? " (soft-deleted vaults could not be read)" : ", and none is soft-deleted under that name"}`,
    evidence: {
      vault: m.name,
      secretProviderClasses: spcRef,
      ...(otherTenant ? { spcTenantId: otherTenant, identityTenantId: homeTenant(f) } : {}),
      softDeleted: m.deleted === undefined ? "unknown" : false,
      expectedError: `the CSI driver cannot resolve ${m.name}.vault.azure.net (dial tcp: lookup … no such host)`,
    },
    fix: otherTenant
      ? {
          summary: `A managed identity gets tokens only from its own tenant, and Key Vault refuses tokens from another tenant. Use a vault in tenant ${homeTenant(f)}, or, if ${m.name} really lives in ${otherTenant}, an application registered there with a federated credential for this service account.`,
          commands: [
            `az keyvault show --name ${sh(m.name)} --query "{id:id, tenantId:properties.tenantId}"   # signed in to tenant ${otherTenant}`,
          ],
        }
      : {
          summary:
            "Set keyvaultName to the name of an existing vault (the name only, not its URL); vault names are global, so a typo can also name someone else's vault.",
          commands: [
            'az keyvault list --query "[].{name:name, resourceGroup:resourceGroup}" -o table',
            ...(spcs.length
              ? spcs.map((s) => patch(s, { keyvaultName: "<existing vault name>" }))
              : [`kubectl get secretproviderclass -n ${sh(ns)}`]),
          ],
        },
  };
}

export const keyVaultNotFound = aksCheck({
  id: "keyvault.not-found",
  doc: {
    meaning:
      "A SecretProviderClass's `keyvaultName` is not a vault ARM lists in any subscription that could be read. Soft-deleted (ARM `deletedVaults`): the title gives the deletion and purge dates and the fix is `az keyvault recover`. Named with a `tenantId` other than the identity's: the vault is not visible from here and a managed identity cannot reach another tenant's vault. Otherwise the name is wrong (the driver fails with `no such host`). Passes when no class names a vault.",
    symptom: "`dial tcp: lookup <vault>.vault.azure.net: no such host`",
  },
  severity: "error",
  confirms: [],
  essential: (f) =>
    unread(f.secretProviderClasses, f.keyVaults, f.missingKeyVaults) || (valueOf(f.missingKeyVaults)?.length ?? 0) > 0,
  title: "Each Key Vault a SecretProviderClass names exists (and is not soft-deleted)",
  skippedBecause(f) {
    if (f.secretProviderClasses.status !== "ok")
      return `SecretProviderClasses could not be read: ${f.secretProviderClasses.reason}`;
    if (f.keyVaults.status !== "ok") return `Key Vaults could not be read: ${f.keyVaults.reason}`;
    // Nothing referenced: vacuously true (a pass, not a skip).
    if (!(valueOf(f.secretProviderClasses) ?? []).some((s) => s.parameters.keyvaultName)) return undefined;
    if (!f.missingKeyVaults) return "the referenced vaults were not looked up";
    if (f.missingKeyVaults.status !== "ok") return `Key Vaults could not be looked up: ${f.missingKeyVaults.reason}`;
    return undefined;
  },
  run(f) {
    return (valueOf(f.missingKeyVaults ?? { status: "skipped", reason: "" }) ?? []).map((m) =>
      missingFinding(f, this.id, m),
    );
  },
});

export const keyVaultTenantMismatch = aksCheck({
  id: "keyvault.tenant-mismatch",
  doc: {
    meaning:
      "The vault's `tenantId` is not the tenant the SecretProviderClass asks its token from (when that tenant is the identity's; a class tenant that differs from the identity's is `spc.client-id-mismatch`'s). Key Vault accepts only its own tenant's tokens.",
    symptom: "401 `AKV10032: Invalid issuer`",
  },
  severity: "error",
  confirms: [],
  essential: (f) => unread(f.secretProviderClasses, f.keyVaults) || (valueOf(f.keyVaults)?.length ?? 0) > 0,
  title: "The SecretProviderClass's tenantId is the tenant of the vault it names",
  skippedBecause(f) {
    if (f.secretProviderClasses.status !== "ok")
      return `SecretProviderClasses could not be read: ${f.secretProviderClasses.reason}`;
    if (f.keyVaults.status !== "ok") return `Key Vaults could not be read: ${f.keyVaults.reason}`;
    return undefined;
  },
  run(f) {
    const findings: Finding[] = [];
    const identityTenant = valueOf(f.identity)?.tenantId;
    for (const vault of valueOf(f.keyVaults)!) {
      if (!vault.tenantId) continue;
      for (const spc of naming(f, vault.name)) {
        const tenant = tenantOf(spc);
        if (!tenant || tenant.toLowerCase() === vault.tenantId.toLowerCase()) continue;
        // A tenant that differs from the identity's is spc.client-id-mismatch's to report.
        if (identityTenant && tenant.toLowerCase() !== identityTenant.toLowerCase()) continue;
        findings.push({
          id: this.id,
          severity: "error",
          title: `SecretProviderClass ${spc.namespace}/${spc.name} asks for a token from tenant ${tenant}, but Key Vault ${vault.name} belongs to tenant ${vault.tenantId}`,
          evidence: {
            secretProviderClass: `${spc.namespace}/${spc.name}`,
            spcTenantId: tenant,
            vault: vault.name,
            vaultTenantId: vault.tenantId,
            ...(identityTenant ? { identityTenantId: identityTenant } : {}),
            expectedError: `Key Vault answers 401: AKV10032: Invalid issuer (expects a token from tenant ${vault.tenantId})`,
          },
          fix: {
            summary: `Key Vault accepts tokens only from its own tenant (${vault.tenantId}). ${identityTenant ? `The identity lives in ${identityTenant}: use a vault in that tenant, or an application registered in ${vault.tenantId} with a federated credential for this service account.` : `Set the SecretProviderClass's tenantId to ${vault.tenantId} if the identity lives there.`}`,
            commands: identityTenant
              ? [`az keyvault list --query "[].{name:name, tenantId:properties.tenantId}" -o table`]
              : [
                  `kubectl patch secretproviderclass ${sh(spc.name)} -n ${sh(spc.namespace)} --type=merge -p ${sh(JSON.stringify({ spec: { parameters: { tenantId: vault.tenantId } } }))}`,
                ],
          },
        });
      }
    }
    return findings;
  },
});
