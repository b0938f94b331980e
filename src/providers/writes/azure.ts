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
