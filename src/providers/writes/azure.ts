// Azure writes for the remediation tools: federated credentials on a managed identity (ARM) or an app
// registration (Graph). ARM answers 409 when writes to one identity's credentials overlap
// (ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity): such a write is tried again.
import { AzureProvider, type FederatedCredentialInfo, type IdentityInfo } from "../azure.js";
import type { Environment } from "../environment.js";
import { ProviderError } from "../errors.js";

const CONFLICT_RETRIES = 4;

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

async function retryConflicts<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const conflict = err instanceof ProviderError && err.status === 409;
      if (!conflict || attempt >= CONFLICT_RETRIES) throw err;
      await wait(200 * 2 ** attempt, signal);
    }
  }
}

export function azureProvider(env: Environment): AzureProvider {
  return new AzureProvider(env);
}

export function writeFederatedCredential(
  provider: AzureProvider,
  identity: IdentityInfo,
  fic: FederatedCredentialInfo,
  signal: AbortSignal,
) {
  return retryConflicts(signal, () =>
    provider.createOrUpdateFederatedCredential(identity, fic, { dryRun: false }, signal),
  );
}

export function removeFederatedCredential(
  provider: AzureProvider,
  identity: IdentityInfo,
  name: string,
  signal: AbortSignal,
) {
  return retryConflicts(signal, () => provider.deleteFederatedCredential(identity, name, { dryRun: false }, signal));
}

// Role assignments and Key Vault writes, by ARM path (the API versions `az` uses for them).
const AUTHORIZATION_API = "2022-04-01";
const KEYVAULT_API = "2023-07-01";
const noSlash = (scope: string) => scope.replace(/\/+$/, "");

/** The id of the role definition with this name, as seen at the scope (`az role assignment create --role NAME`). */
export async function findRoleDefinitionId(
  provider: AzureProvider,
  roleName: string,
  scope: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const filter = encodeURIComponent(`roleName eq '${roleName.replace(/'/g, "''")}'`);
  const path = `${noSlash(scope)}/providers/Microsoft.Authorization/roleDefinitions?$filter=${filter}&api-version=${AUTHORIZATION_API}`;
  const page = (await provider.armRequest(
    "roleDefinitions.read",
    `find role definition ${roleName}`,
    path,
    {
      method: "GET",
    },
    signal,
  )) as { value?: { id?: string }[] } | null;
  return page?.value?.find((d) => d.id)?.id;
}

/** PUT of a role assignment NAME (a GUID) at the scope; ARM refuses an identical one with 409 RoleAssignmentExists. */
export async function createRoleAssignment(
  provider: AzureProvider,
  url: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<void> {
  await provider.armRequest(
    "roleAssignments.write",
    `create role assignment ${url.split("/").pop()}`,
    `${url}?api-version=${AUTHORIZATION_API}`,
    { method: "PUT", body },
    signal,
  );
}

/** DELETE of a role assignment by its id (`az role assignment delete`); a missing one answers 204. */
export async function deleteRoleAssignment(provider: AzureProvider, id: string, signal?: AbortSignal): Promise<void> {
  await provider.armRequest(
    "roleAssignments.write",
    `delete role assignment ${id.split("/").pop()}`,
    `${id}?api-version=${AUTHORIZATION_API}`,
    { method: "DELETE" },
    signal,
  );
}

/** PUT vaults/{name}/accessPolicies/add (permissions merged into the object's policy) or a PATCH of the vault. */
export async function writeKeyVault(
  provider: AzureProvider,
  url: string,
  method: "PUT" | "PATCH",
  body: unknown,
  signal?: AbortSignal,
): Promise<void> {
  const answer = await provider.armRequest(
    "vaults.write",
    `${method === "PUT" ? "add an access policy to" : "update the network rules of"} Key Vault ${url.split("/").filter(Boolean)[7] ?? url}`,
    `${url}?api-version=${KEYVAULT_API}`,
    { method, body },
    signal,
  );
  if (answer === null) throw new ProviderError("not-found", `Key Vault ${url} does not exist`, 404);
}
