// AWS writes for the remediation tools: an IAM role's trust policy and an EKS Pod Identity association, sent with
// the same SDK clients and connection settings as the reads. Writes are not retried (maxAttempts 1).
import type { Environment } from "../environment.js";
import { ProviderError, withTimeout } from "../errors.js";
import { liveAgent } from "../outbound.js";

interface Clients {
  iam: import("@aws-sdk/client-iam").IAMClient;
  eks: import("@aws-sdk/client-eks").EKSClient;
  sts: import("@aws-sdk/client-sts").STSClient;
  lib: {
    iam: typeof import("@aws-sdk/client-iam");
    eks: typeof import("@aws-sdk/client-eks");
    sts: typeof import("@aws-sdk/client-sts");
  };
}

const clientsOf = new WeakMap<Environment, Promise<Clients>>();

function clients(env: Environment): Promise<Clients> {
  let c = clientsOf.get(env);
  if (!c) {
    c = (async () => {
      const [iam, eks, sts, http] = await Promise.all([
        import("@aws-sdk/client-iam"),
        import("@aws-sdk/client-eks"),
        import("@aws-sdk/client-sts"),
        import("@smithy/node-http-handler"),
      ]);
      if (env.mode === "simulated" && !env.aws.credentials) {
        throw new ProviderError("no-credential", "no AWS credential in this scenario");
      }
      const common = {
        ...(env.aws.region ? { region: env.aws.region } : {}),
        ...(env.aws.profile ? { profile: env.aws.profile } : {}),
        ...(env.aws.credentials ? { credentials: env.aws.credentials } : {}),
        requestHandler: new http.NodeHttpHandler({
          httpsAgent: env.agent ?? liveAgent(),
          connectionTimeout: env.timeoutMs,
          requestTimeout: env.timeoutMs,
        }),
        maxAttempts: 1,
      };
      return {
        iam: new iam.IAMClient(common),
        eks: new eks.EKSClient(common),
        sts: new sts.STSClient(common),
        lib: { iam, eks, sts },
      };
    })();
    clientsOf.set(env, c);
  }
  return c;
}

function mapError(what: string, action: string, err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const message = `${what}: ${e.name ?? "Error"}: ${e.message ?? String(err)}`;
  if (status === 403 || e.name === "AccessDenied" || e.name === "AccessDeniedException") {
    return new ProviderError("forbidden", message, 403, `allow ${action}`);
  }
  if (status === 404) return new ProviderError("not-found", message, 404);
  return new ProviderError(status && status >= 500 ? "unavailable" : "invalid-response", message, status);
}

export async function updateAssumeRolePolicy(
  env: Environment,
  roleName: string,
  policy: object,
  signal: AbortSignal,
): Promise<void> {
  const what = `iam:UpdateAssumeRolePolicy ${roleName}`;
  await withTimeout(what, env.timeoutMs, signal, async (s) => {
    try {
      const c = await clients(env);
      await c.iam.send(
        new c.lib.iam.UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: JSON.stringify(policy) }),
        {
          abortSignal: s,
        },
      );
    } catch (err) {
      throw mapError(what, "iam:UpdateAssumeRolePolicy", err);
    }
  });
}

export async function createPodIdentityAssociation(
  env: Environment,
  input: { clusterName: string; namespace: string; serviceAccount: string; roleArn: string },
  signal: AbortSignal,
): Promise<string | undefined> {
  const what = `eks:CreatePodIdentityAssociation ${input.clusterName}`;
  return withTimeout(what, env.timeoutMs, signal, async (s) => {
    try {
      const c = await clients(env);
      const out = await c.eks.send(new c.lib.eks.CreatePodIdentityAssociationCommand(input), { abortSignal: s });
      return out.association?.associationId;
    } catch (err) {
      throw mapError(what, "eks:CreatePodIdentityAssociation (and iam:PassRole on the role)", err);
    }
  });
}

export interface OidcProviderState {
  arn: string;
  clientIds: string[];
}

/** The account's IAM OIDC provider for an issuer (ListOpenIDConnectProviders, then Get on the one whose ARN ends with it). */
export async function findOidcProvider(
  env: Environment,
  issuer: string,
  signal: AbortSignal,
): Promise<OidcProviderState | null> {
  const what = "iam:ListOpenIDConnectProviders";
  const tail = `:oidc-provider/${issuer.replace(/^https:\/\//i, "").replace(/\/+$/, "")}`;
  return withTimeout(what, env.timeoutMs, signal, async (s) => {
    try {
      const c = await clients(env);
      const list = await c.iam.send(new c.lib.iam.ListOpenIDConnectProvidersCommand({}), { abortSignal: s });
      const arn = list.OpenIDConnectProviderList?.map((p) => p.Arn ?? "").find((a) => a.endsWith(tail));
      if (!arn) return null;
      const got = await c.iam.send(new c.lib.iam.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }), {
        abortSignal: s,
      });
      return { arn, clientIds: got.ClientIDList ?? [] };
    } catch (err) {
      throw mapError(what, "iam:ListOpenIDConnectProviders and iam:GetOpenIDConnectProvider", err);
    }
  });
}

export async function createOidcProvider(
  env: Environment,
  input: { url: string; clientIds: string[] },
  signal: AbortSignal,
): Promise<string | undefined> {
  const what = `iam:CreateOpenIDConnectProvider ${input.url}`;
  return withTimeout(what, env.timeoutMs, signal, async (s) => {
    try {
      const c = await clients(env);
      const out = await c.iam.send(
        new c.lib.iam.CreateOpenIDConnectProviderCommand({ Url: input.url, ClientIDList: input.clientIds }),
        { abortSignal: s },
      );
      return out.OpenIDConnectProviderArn;
    } catch (err) {
      throw mapError(what, "iam:CreateOpenIDConnectProvider", err);
    }
  });
}

export async function addOidcClientId(env: Environment, arn: string, clientId: string, signal: AbortSignal) {
  const what = `iam:AddClientIDToOpenIDConnectProvider ${arn}`;
  await withTimeout(what, env.timeoutMs, signal, async (s) => {
    try {
      const c = await clients(env);
      await c.iam.send(
        new c.lib.iam.AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: clientId }),
        { abortSignal: s },
      );
    } catch (err) {
      throw mapError(what, "iam:AddClientIDToOpenIDConnectProvider", err);
    }
  });
}

export interface SimulatedDecision {
  action: string;
  resource: string;
  decision: string;
}

/**
 * The operator's IAM decision for each action on its resource: sts:GetCallerIdentity names the caller, `source`
 * maps it to the principal to simulate (undefined: cannot be simulated, answered undefined), and
 * iam:SimulatePrincipalPolicy evaluates its policies.
 */
export async function simulateOperator(
  env: Environment,
  checks: { action: string; resource: string }[],
  source: (callerArn: string) => string | undefined,
  signal: AbortSignal,
): Promise<SimulatedDecision[] | undefined> {
  const what = "iam:SimulatePrincipalPolicy";
  return withTimeout(what, env.timeoutMs, signal, async (s) => {
    try {
      const c = await clients(env);
      const me = await c.sts.send(new c.lib.sts.GetCallerIdentityCommand({}), { abortSignal: s });
      const principal = source(me.Arn ?? "");
      if (!principal) return undefined;
      const out: SimulatedDecision[] = [];
      for (const { action, resource } of checks) {
        const answer = await c.iam.send(
          new c.lib.iam.SimulatePrincipalPolicyCommand({
            PolicySourceArn: principal,
            ActionNames: [action],
            ResourceArns: [resource],
          }),
          { abortSignal: s },
        );
        for (const r of answer.EvaluationResults ?? []) {
          out.push({
            action: r.EvalActionName ?? action,
            resource: r.EvalResourceName ?? resource,
            decision: r.EvalDecision ?? "",
          });
        }
      }
      return out;
    } catch (err) {
      throw mapError(what, "sts:GetCallerIdentity and iam:SimulatePrincipalPolicy", err);
    }
  });
}
