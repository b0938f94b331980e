import type { V1ServiceAccount } from "@kubernetes/client-node";
import type { AksCheckId } from "./step.js";
import { z } from "zod";
import { grants, SECRET_GET_DATA_ACTION } from "../diagnosis/aks/checks/access.js";
import type {
  IdentityFacts,
  KeyVaultFacts,
  RoleAssignmentFacts,
  SecretProviderClassFacts,
} from "../diagnosis/aks/facts.js";
import { GUID_RE } from "../diagnosis/compare.js";
import { type Gathered, ok, skipped, valueOf } from "../diagnosis/types.js";
import {
  clientIdOf,
  gathererFor,
  IdentitySchema,
  identityOf,
  identityOutput,
  partialFacts,
  renderStep,
  runAksChecks,
  SectionSchema,
  sectionOf,
  serviceAccountOf,
  stepShape,
  gather,
} from "./step.js";
import { defineTool } from "./define.js";
import { envFor } from "./platform.js";
import { k8sName, namespaceField } from "./schemas.js";

const CHECKS: readonly AksCheckId[] = [
  "spc.client-id-mismatch",
  "keyvault.firewall-blocks-cluster",
  "keyvault.access-policy-missing",
  "rbac.role-missing",
];

const vaultNameField = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/, {
    message: "expected a Key Vault name (3–24 letters, digits and '-')",
  })
  .describe("A Key Vault to check besides those the namespace's SecretProviderClasses name");

const lower = (s: string | undefined) => (s ?? "").toLowerCase();

export const checkKeyvaultAccess = defineTool({
  name: "check_keyvault_access",
  example: { namespace: "payments", serviceAccount: "payments-api" },
  toolsets: ["aks"],
  summary: "Key Vault firewall, RBAC or access policies, and the SecretProviderClass settings.",
  title: "Check Key Vault access",
  description:
    "Use when the Secrets Store CSI driver or the app gets 403 (or a timeout) from Key Vault. For the namespace's SecretProviderClasses (or vaultName) it compares clientID, keyvaultName and tenantId with the service account and vault, checks the permission model (Azure RBAC or access policies by object id), whether the identity may read secrets, and the network rules. Next: check_role_assignments for a role grant.",
  inputSchema: z.object({
    namespace: namespaceField,
    serviceAccount: k8sName("service account")
      .optional()
      .describe("The service account the pods mounting the secrets run as"),
    vaultName: vaultNameField.optional(),
  }),
  outputSchema: z.object({
    namespace: z.string(),
    serviceAccount: z.object({ name: z.string(), read: SectionSchema, clientId: z.string().nullable() }).nullable(),
    identity: SectionSchema.extend({ value: IdentitySchema.nullable() }),
    clusterSubnets: SectionSchema.extend({ items: z.array(z.string()) }).describe(
      "vnetSubnetID of the cluster's agent pools",
    ),
    secretProviderClasses: SectionSchema.extend({
      items: z.array(
        z.object({
          name: z.string(),
          provider: z.string().nullable(),
          mode: z.enum(["workload identity", "pod identity", "VM managed identity"]),
          keyvaultName: z.string().nullable(),
          clientID: z.string().nullable(),
          userAssignedIdentityID: z.string().nullable(),
          tenantId: z.string().nullable(),
          clientIdMatchesServiceAccount: z.boolean().nullable(),
          tenantMatchesVault: z.boolean().nullable(),
        }),
      ),
    }),
    vaults: SectionSchema.extend({
      notFound: z.array(z.string()).describe("Vault names no visible subscription holds"),
      items: z.array(
        z.object({
          name: z.string(),
          id: z.string(),
          resourceGroup: z.string().nullable(),
          tenantId: z.string().nullable(),
          permissionModel: z.enum(["rbac", "access policies"]),
          publicNetworkAccess: z.string().nullable(),
          network: z.object({
            defaultAction: z.string().nullable(),
            bypass: z.string().nullable(),
            virtualNetworkRules: z.array(z.string()),
            ipRules: z.array(z.string()),
            clusterSubnets: z.array(z.object({ id: z.string(), admitted: z.boolean() })),
          }),
          accessPolicy: z
            .object({
              secretPermissions: z.array(z.string()).nullable().describe("for the identity's object (principal) id"),
              keyedByClientId: z.boolean().describe("a policy names the client id, which Key Vault never matches"),
            })
            .nullable(),
          rbac: z
            .object({
              readsSecrets: z.boolean().nullable(),
              grantedBy: z.string().nullable(),
            })
            .nullable(),
        }),
      ),
    }),
    ...stepShape,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(input, ctx) {
    const env = await envFor(ctx, "check_keyvault_access", "aks");
    const g = gathererFor(env, ctx.signal);
    const { namespace, serviceAccount } = input;
    const [spcs, sa, cluster] = await Promise.all([
      g.secretProviderClasses(namespace),
      serviceAccount
        ? serviceAccountOf(g, namespace, serviceAccount)
        : Promise.resolve<Gathered<V1ServiceAccount | null>>(skipped("no service account was named")),
      g.cluster(),
    ]);
    const azureSpcs = (valueOf(spcs) ?? []).filter((s) => (s.provider ?? "azure") === "azure");

    // The identity the pods sign in as: the service account's, else the one the SecretProviderClass names.
    const spcClientId = azureSpcs.map((s) => s.parameters.clientID?.trim()).find((c) => c && GUID_RE.test(c));
    const clientId = clientIdOf(valueOf(sa)) ?? (serviceAccount ? undefined : spcClientId);
    const identityP: Promise<Gathered<IdentityFacts | null>> = clientId
      ? identityOf(g, { clientId })
      : Promise.resolve(skipped("no valid client id on the service account or SecretProviderClass"));

    const names = [
      ...new Set(
        [...azureSpcs.map((s) => s.parameters.keyvaultName), input.vaultName]
          .filter((n): n is string => Boolean(n))
          .map(lower),
      ),
    ];
    const notFound: string[] = [];
    const vaultsP: Promise<Gathered<KeyVaultFacts[]>> = names.length
      ? gather("Key Vaults", async () => {
          const found = await Promise.all(names.map((n) => g.azure.findKeyVault(n, g.signal)));
          names.forEach((n, i) => {
            if (!found[i]) notFound.push(n);
          });
          return found.filter((v): v is KeyVaultFacts => Boolean(v));
        })
      : Promise.resolve(ok([]));
    const [identity, vaults] = await Promise.all([identityP, vaultsP]);
    const id = valueOf(identity);
    const rbacVaults = (valueOf(vaults) ?? []).filter((v) => v.enableRbacAuthorization);
    const roleAssignments: Gathered<RoleAssignmentFacts[]> =
      id && rbacVaults.length
        ? await g.roleAssignments(id.principalId)
        : skipped(id ? "no RBAC-mode Key Vault is referenced" : "the identity is not known");

    const facts = partialFacts(
      env,
      { namespace, serviceAccount },
      {
        serviceAccountName: serviceAccount,
        serviceAccount: sa,
        secretProviderClasses: spcs,
        cluster,
        identity,
        keyVaults: vaults,
        roleAssignments,
      },
    );
    const result = runAksChecks(facts, CHECKS);

    const saClientId = clientIdOf(valueOf(sa));
    const subnets = valueOf(cluster)?.agentPoolSubnetIds ?? [];
    const vaultList = valueOf(vaults) ?? [];
    const assignments = valueOf(roleAssignments);
    return {
      namespace,
      serviceAccount: serviceAccount
        ? { name: serviceAccount, read: sectionOf(sa), clientId: saClientId ?? null }
        : null,
      identity: { ...sectionOf(identity), value: id ? identityOutput(id) : null },
      clusterSubnets: { ...sectionOf(cluster), items: subnets },
      secretProviderClasses: {
        ...sectionOf(spcs),
        items: azureSpcs.map((s) => spcView(s, vaultList, saClientId)),
      },
      vaults: {
        ...sectionOf(vaults),
        notFound,
        items: vaultList.map((v) => {
          const allowed = (v.networkAcls?.virtualNetworkRules ?? []).map((r) => lower(r.id));
          const byObject = id ? v.accessPolicies.find((p) => lower(p.objectId) === lower(id.principalId)) : undefined;
          const granting = assignments && grants(assignments, v.id, SECRET_GET_DATA_ACTION);
          return {
            name: v.name,
            id: v.id,
            resourceGroup: v.resourceGroup ?? null,
            tenantId: v.tenantId ?? null,
            permissionModel: v.enableRbacAuthorization ? ("rbac" as const) : ("access policies" as const),
            publicNetworkAccess: v.publicNetworkAccess ?? null,
            network: {
              defaultAction: v.networkAcls?.defaultAction ?? null,
              bypass: v.networkAcls?.bypass ?? null,
              virtualNetworkRules: (v.networkAcls?.virtualNetworkRules ?? []).map((r) => r.id),
              ipRules: (v.networkAcls?.ipRules ?? []).map((r) => r.value),
              clusterSubnets: subnets.map((s) => ({ id: s, admitted: allowed.includes(lower(s)) })),
            },
            accessPolicy: v.enableRbacAuthorization
              ? null
              : {
                  secretPermissions: byObject?.permissions.secrets ?? null,
                  keyedByClientId: Boolean(
                    id && v.accessPolicies.some((p) => lower(p.objectId) === lower(id.clientId)),
                  ),
                },
            rbac: v.enableRbacAuthorization
              ? {
                  readsSecrets: assignments ? Boolean(granting) : null,
                  grantedBy: granting ? `${granting.roleName} @ ${granting.scope}` : null,
                }
              : null,
          };
        }),
      },
      ...result,
    };
  },
  render(out) {
    const lines: string[] = [];
    if (out.serviceAccount)
      lines.push(`service account ${out.serviceAccount.name}: client id ${out.serviceAccount.clientId ?? "(none)"}`);
    for (const s of out.secretProviderClasses.items) {
      lines.push(
        `SecretProviderClass ${s.name} (${s.mode}): vault=${s.keyvaultName ?? "?"} clientID=${s.clientID ?? "(empty)"}${s.clientIdMatchesServiceAccount === false ? " ≠ service account" : ""}`,
      );
    }
    if (out.secretProviderClasses.status !== "ok")
      lines.push(`SecretProviderClasses: ${out.secretProviderClasses.reason}`);
    for (const v of out.vaults.items) {
      const n = v.network;
      const access =
        v.permissionModel === "rbac"
          ? `RBAC, reads secrets=${v.rbac?.readsSecrets ?? "unknown"}`
          : `access policies, secrets=[${v.accessPolicy?.secretPermissions?.join(",") ?? "none"}]${v.accessPolicy?.keyedByClientId ? " (policy keyed by client id)" : ""}`;
      lines.push(
        `vault ${v.name}: ${access}; public=${v.publicNetworkAccess ?? "?"} default=${n.defaultAction ?? "Allow"} subnets admitted ${n.clusterSubnets.filter((s) => s.admitted).length}/${n.clusterSubnets.length}`,
      );
    }
    if (out.vaults.notFound.length) lines.push(`vaults not found: ${out.vaults.notFound.join(", ")}`);
    if (out.vaults.status !== "ok") lines.push(`vaults: ${out.vaults.reason}`);
    return renderStep(`Key Vault access from ${out.namespace}`, lines, out);
  },
});

/** One SecretProviderClass as the answer shows it: how it signs in, and whether it agrees with the account and vault. */
function spcView(s: SecretProviderClassFacts, vaults: KeyVaultFacts[], saClientId: string | undefined) {
  const p = s.parameters;
  const vault = vaults.find((v) => lower(v.name) === lower(p.keyvaultName));
  const tenant = p.tenantID ?? p.tenantId;
  const mode =
    p.usePodIdentity === "true"
      ? ("pod identity" as const)
      : p.useVMManagedIdentity === "true"
        ? ("VM managed identity" as const)
        : ("workload identity" as const);
  return {
    name: s.name,
    provider: s.provider ?? null,
    mode,
    keyvaultName: p.keyvaultName ?? null,
    clientID: p.clientID ?? null,
    userAssignedIdentityID: p.userAssignedIdentityID ?? null,
    tenantId: tenant ?? null,
    clientIdMatchesServiceAccount:
      mode === "workload identity" && saClientId ? lower(p.clientID?.trim()) === lower(saClientId) : null,
    tenantMatchesVault: tenant && vault?.tenantId ? lower(tenant) === lower(vault.tenantId) : null,
  };
}
