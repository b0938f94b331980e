// Plan for the account's IAM OIDC provider of a cluster's issuer: create it (CreateOpenIDConnectProvider, with the
// audience as its client id), or add the audience to the one that exists (AddClientIDToOpenIDConnectProvider).
// Every IRSA workload of the cluster relies on this provider; the tool adds, it never removes or replaces.
import { cmd } from "../diagnosis/command.js";
import { addOidcClientId, createOidcProvider, findOidcProvider } from "../providers/writes/aws.js";
import { contentVersion, type PlanContext, type WritePlan } from "./contract.js";
import { iamMayWrite } from "./permissions.js";

export interface OidcProviderArgs {
  issuer: string;
  audience?: string;
  namespace?: string;
  serviceAccount?: string;
}

export async function planOidcProvider(args: OidcProviderArgs, ctx: PlanContext): Promise<WritePlan> {
  const issuer = args.issuer.replace(/\/+$/, "");
  const audience = args.audience ?? "sts.amazonaws.com";
  const existing = await findOidcProvider(ctx.env, issuer, ctx.signal);
  const verify =
    args.namespace && args.serviceAccount
      ? {
          verify: {
            target: { namespace: args.namespace, serviceAccount: args.serviceAccount },
            fixes: ["eks.oidc-provider-missing", "eks.oidc-audience-missing"],
          },
        }
      : {};
  const common = {
    version: contentVersion(existing),
    before: existing,
    propagates: true,
    ...verify,
  };
  if (!existing) {
    return {
      ...common,
      target: `IAM OIDC provider ${issuer}`,
      action: "create",
      summary: `create the IAM OIDC provider for ${issuer} with client id ${audience}`,
      change: {
        api: "iam",
        method: "CreateOpenIDConnectProvider",
        url: issuer,
        body: { Url: issuer, ClientIDList: [audience] },
      },
      after: { url: issuer, clientIds: [audience] },
      commands: [cmd`aws iam create-open-id-connect-provider --url ${issuer} --client-id-list ${audience}`],
      undo: {
        commands: [],
        note: "delete it with aws iam delete-open-id-connect-provider --open-id-connect-provider-arn ARN (the ARN the apply creates); every IRSA role trusting it stops working",
      },
      permission: "iam:CreateOpenIDConnectProvider in the account",
      mayWrite: (signal) =>
        iamMayWrite(ctx.env, [{ action: "iam:CreateOpenIDConnectProvider", resource: "*" }], signal),
      apply: (signal) => createOidcProvider(ctx.env, { url: issuer, clientIds: [audience] }, signal),
    };
  }
  const has = existing.clientIds.includes(audience);
  return {
    ...common,
    target: existing.arn,
    action: has ? "none" : "update",
    summary: has
      ? `keep: ${existing.arn} already lists client id ${audience}`
      : `add client id ${audience} to ${existing.arn}`,
    change: {
      api: "iam",
      method: "AddClientIDToOpenIDConnectProvider",
      url: existing.arn,
      body: { OpenIDConnectProviderArn: existing.arn, ClientID: audience },
    },
    after: { ...existing, clientIds: has ? existing.clientIds : [...existing.clientIds, audience] },
    commands: has
      ? []
      : [
          cmd`aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${existing.arn} --client-id ${audience}`,
        ],
    undo: has
      ? { commands: [] }
      : {
          commands: [
            cmd`aws iam remove-client-id-from-open-id-connect-provider --open-id-connect-provider-arn ${existing.arn} --client-id ${audience}`,
          ],
        },
    permission: `iam:AddClientIDToOpenIDConnectProvider on ${existing.arn}`,
    mayWrite: (signal) =>
      iamMayWrite(ctx.env, [{ action: "iam:AddClientIDToOpenIDConnectProvider", resource: existing.arn }], signal),
    apply: (signal) => addOidcClientId(ctx.env, existing.arn, audience, signal),
  };
}
