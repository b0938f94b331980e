// Plans for Azure writes: a federated credential on a managed identity (ARM) or an app registration (Graph).
import { cmd, json } from "../diagnosis/command.js";
import type { FederatedCredentialInfo, IdentityInfo } from "../providers/azure.js";
import { ProviderError } from "../providers/errors.js";
import { KubeProvider } from "../providers/kubernetes.js";
import { azureProvider, removeFederatedCredential, writeFederatedCredential } from "../providers/writes/azure.js";
import { contentVersion, type PlanContext, type WritePlan } from "./contract.js";
import { armMayWrite } from "./permissions.js";

export interface FicArgs {
  namespace: string;
  serviceAccount: string;
  identityClientId?: string;
  name?: string;
  issuer?: string;
  subject?: string;
  audience?: string;
  remove?: boolean;
}

/** Federated credential names: 3-120 characters, letters, digits, '-' and '_', starting with a letter or digit. */
function defaultName(namespace: string, serviceAccount: string): string {
  return `${namespace}-${serviceAccount}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 120);
}

async function resolveIdentity(args: FicArgs, ctx: PlanContext): Promise<IdentityInfo> {
  let clientId = args.identityClientId;
  if (!clientId) {
    const sa = await new KubeProvider(ctx.env).getServiceAccount(args.namespace, args.serviceAccount, ctx.signal);
    clientId = sa?.metadata?.annotations?.["azure.workload.identity/client-id"];
    if (!clientId) {
      throw new ProviderError(
        "not-found",
        `service account ${args.namespace}/${args.serviceAccount} has no azure.workload.identity/client-id annotation: pass identityClientId`,
      );
    }
  }
  const identity = await azureProvider(ctx.env).findIdentity({ clientId }, ctx.signal);
  if (!identity)
    throw new ProviderError("not-found", `no managed identity or app registration has client id ${clientId}`, 404);
  return identity;
}

function commandsFor(
  identity: IdentityInfo,
  action: "create" | "update" | "delete",
  fic: FederatedCredentialInfo,
): string[] {
  if (identity.kind === "managedIdentity") {
    const where = cmd`--identity-name ${identity.name} --resource-group ${identity.resourceGroup ?? ""} --subscription ${identity.subscriptionId ?? ""}`;
    if (action === "delete")
      return [`${cmd`az identity federated-credential delete --name ${fic.name}`} ${where} --yes`];
    return [
      `${cmd`az identity federated-credential ${action} --name ${fic.name}`} ${where} ${cmd`--issuer ${fic.issuer} --subject ${fic.subject} --audiences ${fic.audiences[0] ?? ""}`}`,
    ];
  }
  const app = identity.objectId ?? identity.clientId;
  if (action === "delete")
    return [cmd`az ad app federated-credential delete --id ${app} --federated-credential-id ${fic.name}`];
  const params = json({ name: fic.name, issuer: fic.issuer, subject: fic.subject, audiences: fic.audiences });
  return action === "create"
    ? [cmd`az ad app federated-credential create --id ${app} --parameters ${params}`]
    : [
        cmd`az ad app federated-credential update --id ${app} --federated-credential-id ${fic.name} --parameters ${params}`,
      ];
}

export async function planFederatedCredential(args: FicArgs, ctx: PlanContext): Promise<WritePlan> {
  const provider = azureProvider(ctx.env);
  const identity = await resolveIdentity(args, ctx);
  const creds = await provider.listFederatedCredentials(identity, ctx.signal);
  const issuer = args.issuer ?? (await new KubeProvider(ctx.env).getIssuerDiscovery(ctx.signal)).issuer;
  const subject = args.subject ?? `system:serviceaccount:${args.namespace}:${args.serviceAccount}`;
  const audience = args.audience ?? ctx.env.azure.cloud.tokenExchangeAudience;
  // Update the named credential, or the one already holding this issuer and subject; otherwise add one.
  const existing = args.name
    ? creds.find((c) => c.name === args.name)
    : creds.find((c) => c.issuer === issuer && c.subject === subject);
  const name = args.name ?? existing?.name ?? defaultName(args.namespace, args.serviceAccount);
  const wanted: FederatedCredentialInfo = { name, issuer, subject, audiences: [audience] };
  const same =
    existing && existing.issuer === issuer && existing.subject === subject && existing.audiences.join() === audience;
  const action = args.remove ? (existing ? "delete" : "none") : same ? "none" : existing ? "update" : "create";
  const where =
    identity.kind === "managedIdentity" ? `managed identity ${identity.name}` : `app registration ${identity.name}`;
  const dry = args.remove
    ? await provider.deleteFederatedCredential(identity, name, { dryRun: true }, ctx.signal)
    : await provider.createOrUpdateFederatedCredential(identity, wanted, { dryRun: true }, ctx.signal);
  const request = dry.request ?? { method: "NONE", url: `${where}/federatedIdentityCredentials/${name}` };
  const before = existing ? { ...existing } : null;
  const undoArgs = {
    namespace: args.namespace,
    serviceAccount: args.serviceAccount,
    identityClientId: identity.clientId,
    name,
  };
  const undo =
    action === "create"
      ? {
          tool: "set_federated_credential",
          arguments: { ...undoArgs, remove: true },
          commands: commandsFor(identity, "delete", wanted),
        }
      : existing
        ? {
            tool: "set_federated_credential",
            arguments: {
              ...undoArgs,
              issuer: existing.issuer,
              subject: existing.subject,
              audience: existing.audiences[0],
            },
            commands: commandsFor(identity, existing && action === "delete" ? "create" : "update", existing),
          }
        : { commands: [] };
  return {
    target: request.url,
    action,
    summary:
      action === "delete"
        ? `delete federated credential ${name} of ${where}`
        : `${action === "none" ? "keep" : action} federated credential ${name} of ${where}: issuer ${issuer}, subject ${subject}, audience ${audience}`,
    // Credentials carry no ETag: the version is a hash of the identity's whole credential list.
    version: contentVersion(creds),
    change: {
      api: identity.kind === "managedIdentity" ? "arm" : "graph",
      method: request.method,
      url: request.url,
      body: "body" in request ? request.body : undefined,
    },
    before,
    after: args.remove ? null : wanted,
    commands: action === "none" ? [] : commandsFor(identity, action === "delete" ? "delete" : action, wanted),
    undo,
    permission:
      identity.kind === "managedIdentity"
        ? `Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write on ${identity.resourceId ?? identity.name} (e.g. the Managed Identity Contributor role)`
        : "Microsoft Graph Application.ReadWrite.All, or owner of the app registration",
    ...(identity.kind === "managedIdentity" && identity.resourceId
      ? {
          mayWrite: (signal: AbortSignal) =>
            armMayWrite(
              provider,
              identity.resourceId as string,
              `Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/${args.remove ? "delete" : "write"}`,
              signal,
            ),
        }
      : {}),
    apply: async (signal) => {
      if (args.remove) await removeFederatedCredential(provider, identity, name, signal);
      else await writeFederatedCredential(provider, identity, wanted, signal);
    },
    propagates: true,
    verify: {
      target: { namespace: args.namespace, serviceAccount: args.serviceAccount },
      fixes: ["fic.", "exchange.failed"],
    },
  };
}
