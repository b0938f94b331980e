// Gather the facts of an AKS workload identity diagnosis. Independent calls run concurrently; only the
// dependent round trips (pod → service account → identity → credentials) are sequential.
import type { V1Pod, V1ServiceAccount } from "@kubernetes/client-node";
import type {
  AksFacts,
  ClusterFacts,
  ErrorTextFacts,
  ExchangeFacts,
  IdentityFacts,
  KeyVaultFacts,
  SecretProviderClassFacts,
  TokenFacts,
  WebhookFacts,
  WorkloadFacts,
} from "../diagnosis/aks/facts.js";
import { type AksReport, diagnoseAksFacts } from "../diagnosis/aks/index.js";
import { WEBHOOK_DEPLOYMENT, WEBHOOK_MWC, WI_CLIENT_ID, WI_TENANT_ID } from "../diagnosis/aks/names.js";
import { GUID_RE } from "../diagnosis/compare.js";
import { explainError } from "../diagnosis/errors/explain.js";
import { type Gathered, ok, skipped, type Target, valueOf } from "../diagnosis/types.js";
import { AzureProvider } from "../providers/azure.js";
import type { Environment } from "../providers/environment.js";
import { gather, ProviderError } from "../providers/errors.js";
import { KubeProvider } from "../providers/kubernetes.js";
import { decodeToken, verifyWithIssuer } from "../providers/oidc.js";

export interface GatherOptions {
  signal: AbortSignal;
  progress: (message: string, progress: number, total?: number) => Promise<void>;
  errorText?: string;
}

const WEBHOOK_NAMESPACES = ["kube-system", "azure-workload-identity-system"];

function notApplicable<T>(reason: string): Gathered<T> {
  return skipped(reason);
}

/** A lazily-started promise shared by every check that needs it. */
function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= fn();
    return p;
  };
}

export class AksGatherer {
  readonly kube: KubeProvider;
  readonly azure: AzureProvider;

  constructor(
    readonly env: Environment,
    readonly opts: Pick<GatherOptions, "signal">,
  ) {
    this.kube = new KubeProvider(env);
    this.azure = new AzureProvider(env);
  }

  get signal() {
    return this.opts.signal;
  }

  /** The AKS cluster behind the kube context (matched by API server host across subscriptions). */
  cluster = once(() =>
    gather<ClusterFacts | null>("AKS cluster", async () => {
      const host = this.kube.apiServerHost();
      if (!host) throw new ProviderError("no-credential", "no kube context to take the API server host from");
      return (await this.azure.findClusterByApiHost(host, this.signal)) ?? null;
    }),
  );

  apiServerIssuer = once(() =>
    gather<string>("API server OIDC discovery", async () => {
      const doc = (await this.kube.getIssuerDiscovery(this.signal)) as { issuer?: string };
      if (!doc?.issuer)
        throw new ProviderError("invalid-response", "the API server's discovery document has no issuer");
      return doc.issuer;
    }),
  );

  webhook = (namespace: string) =>
    gather<WebhookFacts>("workload identity webhook", async () => {
      const [configuration, deployments, ns] = await Promise.all([
        this.kube.getMutatingWebhookConfiguration(WEBHOOK_MWC, this.signal),
        Promise.all(
          WEBHOOK_NAMESPACES.map((n) => this.kube.getDeployment(n, WEBHOOK_DEPLOYMENT, this.signal).catch(() => null)),
        ),
        this.kube.getNamespace(namespace, this.signal).catch(() => null),
      ]);
      const i = deployments.findIndex((d) => d);
      const dep = i >= 0 ? deployments[i]! : null;
      let readyEndpoints: number | undefined;
      if (dep) {
        const eps = await this.kube
          .getEndpoints(WEBHOOK_NAMESPACES[i], "azure-wi-webhook-webhook-service", this.signal)
          .catch(() => null);
        if (eps) readyEndpoints = (eps.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
      }
      return {
        configuration,
        deployment: dep
          ? {
              namespace: WEBHOOK_NAMESPACES[i],
              name: WEBHOOK_DEPLOYMENT,
              replicas: dep.spec?.replicas ?? 1,
              readyReplicas: dep.status?.readyReplicas ?? 0,
              createdAt: dep.metadata?.creationTimestamp
                ? new Date(dep.metadata.creationTimestamp).toISOString()
                : undefined,
            }
          : null,
        readyEndpoints,
        namespaceLabels: ns?.metadata?.labels ?? {},
      };
    });

  /** The tenant the webhook injects by default (azure-wi-webhook-config). */
  defaultTenant = once(async () => {
    for (const ns of WEBHOOK_NAMESPACES) {
      const cm = await this.kube.getConfigMap(ns, "azure-wi-webhook-config", this.signal).catch(() => null);
      const t = cm?.data?.AZURE_TENANT_ID;
      if (t) return t;
    }
    return undefined;
  });

  secretProviderClasses = (namespace: string) =>
    gather<SecretProviderClassFacts[]>("SecretProviderClasses", async () => {
      const items = (await this.kube.listCustomObjects(
        "secrets-store.csi.x-k8s.io",
        "v1",
        "secretproviderclasses",
        namespace,
        this.signal,
      )) as {
        metadata?: { name?: string; namespace?: string };
        spec?: { provider?: string; parameters?: Record<string, unknown> };
      }[];
      return items.map((o) => ({
        name: o.metadata?.name ?? "",
        namespace: o.metadata?.namespace ?? namespace,
        provider: o.spec?.provider,
        parameters: Object.fromEntries(Object.entries(o.spec?.parameters ?? {}).map(([k, v]) => [k, String(v)])),
      }));
    });

  identity = (clientId: string | undefined) =>
    clientId
      ? gather<IdentityFacts | null>(
          "identity",
          async () => (await this.azure.findIdentity({ clientId }, this.signal)) ?? null,
        )
      : Promise.resolve(notApplicable<IdentityFacts | null>("the service account names no valid client id"));

  /** Mint a token as the webhook would, and check it the way Entra will. */
  async token(
    namespace: string,
    sa: string,
    audience: string,
    expirationSeconds = 3600,
  ): Promise<{ facts: Gathered<TokenFacts>; raw?: string }> {
    let raw: string | undefined;
    const facts = await gather<TokenFacts>("service-account token", async () => {
      const minted = await this.kube.createServiceAccountToken(
        namespace,
        sa,
        { audiences: [audience], expirationSeconds },
        this.signal,
      );
      raw = minted.token;
      const { claims, kid } = decodeToken(minted.token);
      const issuerCheck = await gather("issuer discovery and JWKS", () =>
        verifyWithIssuer(this.env, minted.token, this.signal),
      );
      return { claims, kid, audience, issuerCheck };
    });
    return { facts, raw };
  }

  async exchange(
    token: string | undefined,
    clientId: string | undefined,
    tenantId: string | undefined,
  ): Promise<Gathered<ExchangeFacts>> {
    if (!this.env.allowExchange) return skipped("token exchange disabled (--no-exchange)");
    if (!token) return skipped("no token to exchange");
    if (!clientId) return skipped("no valid client id to exchange for");
    if (!tenantId) return skipped("the tenant is unknown (no tenant-id annotation, webhook config or identity)");
    return gather<ExchangeFacts>("token exchange", async () => {
      const r = await this.azure.exchangeToken({ tenantId, clientId, assertion: token }, this.signal);
      return r.ok ? { ok: true, expiresIn: r.expiresIn, clientId, tenantId } : { ...r, ok: false, clientId, tenantId };
    });
  }
}

function errorTextFacts(text: string | undefined): ErrorTextFacts | undefined {
  if (!text?.trim()) return undefined;
  const r = explainError(text);
  const x = r.extracted as Record<string, string | undefined>;
  return {
    codes: r.codes,
    classes: r.causes.filter((c) => c.class !== "unknown").map((c) => c.class),
    extracted: {
      issuer: x.issuer,
      subject: x.subject,
      audience: x.audience,
      clientId: x.clientId,
      tenantId: x.tenantId,
    },
  };
}

function workloadFacts(w: {
  kind: string;
  name: string;
  object: { metadata?: { labels?: Record<string, string> } };
  podTemplate: WorkloadFacts["podTemplate"];
}): WorkloadFacts {
  return { kind: w.kind, name: w.name, labels: w.object.metadata?.labels ?? {}, podTemplate: w.podTemplate };
}

/** Resolve the target to a service account, a workload and the pods in scope. */
async function resolveTarget(g: AksGatherer, target: Target) {
  const ns = target.namespace;
  let podMissing: string | undefined;
  let workload: Gathered<WorkloadFacts | null> | undefined;
  let pods: Gathered<V1Pod[]> | undefined;
  let saName = target.serviceAccount;
  if (target.pod) {
    const pod = await gather("pod", () => g.kube.getPod(ns, target.pod!, g.signal));
    if (pod.status === "ok") {
      if (pod.value) {
        pods = ok([pod.value]);
        saName ??= pod.value.spec?.serviceAccountName ?? "default";
      } else {
        podMissing = target.pod;
        pods = ok([]);
      }
    } else pods = pod as Gathered<V1Pod[]>;
  } else if (target.workload) {
    const [kind, name] = target.workload.split("/");
    const wl = await gather("workload", () => g.kube.getWorkload(ns, kind, name, g.signal));
    workload =
      wl.status === "ok" ? ok(wl.value ? workloadFacts(wl.value) : null) : (wl as Gathered<WorkloadFacts | null>);
    const w = valueOf(wl);
    if (w) {
      saName ??= w.podTemplate.spec?.serviceAccountName ?? "default";
      pods = w.selector
        ? await gather("pods", () => g.kube.listPods(ns, { labelSelector: w.selector }, g.signal))
        : ok([]);
    } else pods = wl.status === "ok" ? ok([]) : (wl as Gathered<V1Pod[]>);
  }
  return { saName, pods, workload, podMissing };
}

export async function diagnoseAks(env: Environment, target: Target, opts: GatherOptions): Promise<AksReport> {
  const g = new AksGatherer(env, opts);
  const ns = target.namespace;
  const audience = env.azure.cloud.tokenExchangeAudience;
  const total = 4;
  await opts.progress("reading the cluster and cloud", 0, total);

  // Phase 1: everything that needs only the target.
  const credentialWarmup = env.azure.credential
    ? env.azure.credential
        .getToken(`${env.azure.cloud.armEndpoint}/.default`, { abortSignal: opts.signal })
        .catch(() => null)
    : Promise.resolve(null);
  const clusterP = g.cluster();
  const issuerP = g.apiServerIssuer();
  const webhookP = g.webhook(ns);
  const spcP = g.secretProviderClasses(ns);
  const tenantP = g.defaultTenant();
  const targetP = resolveTarget(g, target);
  const earlySaP = target.serviceAccount
    ? gather("service account", () => g.kube.getServiceAccount(ns, target.serviceAccount!, g.signal))
    : undefined;

  const resolved = await targetP;
  const saName = resolved.saName;
  await opts.progress("reading the service account and identity", 1, total);

  // Phase 2: the service account, then the identity and the token (independent of each other).
  const saP: Promise<Gathered<V1ServiceAccount | null>> =
    earlySaP ??
    (saName
      ? gather("service account", () => g.kube.getServiceAccount(ns, saName, g.signal))
      : Promise.resolve(skipped("no service account to read")));
  const podsP: Promise<Gathered<V1Pod[]>> = resolved.pods
    ? Promise.resolve(resolved.pods)
    : saName
      ? gather("pods", async () =>
          (await g.kube.listPods(ns, {}, g.signal)).filter((p) => (p.spec?.serviceAccountName ?? "default") === saName),
        )
      : Promise.resolve(ok([]));

  podsP.catch(() => undefined);
  const sa = await saP;
  const annotations = valueOf(sa)?.metadata?.annotations ?? {};
  const rawClientId = annotations[WI_CLIENT_ID]?.trim();
  const clientId = rawClientId && GUID_RE.test(rawClientId) ? rawClientId : undefined;
  const expiration = Number(annotations["azure.workload.identity/service-account-token-expiration"]);

  await credentialWarmup;
  const identityP = g.identity(clientId);
  const tokenP = valueOf(sa)
    ? g.token(
        ns,
        saName!,
        audience,
        Number.isInteger(expiration) && expiration >= 3600 && expiration <= 86400 ? expiration : 3600,
      )
    : Promise.resolve({ facts: skipped<TokenFacts>("the service account does not exist"), raw: undefined });

  // Phase 3: what depends on the identity or the token.
  const ficsP = identityP.then((id) => {
    const identity = valueOf(id);
    return identity
      ? gather("federated credentials", () => g.azure.listFederatedCredentials(identity, g.signal))
      : skipped<Awaited<ReturnType<AzureProvider["listFederatedCredentials"]>>>("the identity is not known");
  });
  const rolesP = identityP.then((id) => {
    const identity = valueOf(id);
    return identity
      ? gather("role assignments", () => g.azure.listRoleAssignments(identity.principalId, g.signal))
      : skipped<Awaited<ReturnType<AzureProvider["listRoleAssignments"]>>>("the identity is not known");
  });
  const vaultsP = spcP.then(async (spcs) => {
    const names = [
      ...new Set((valueOf(spcs) ?? []).map((s) => s.parameters.keyvaultName).filter((n): n is string => Boolean(n))),
    ];
    if (!names.length) return ok<KeyVaultFacts[]>([]);
    return gather("Key Vaults", async () => {
      const found = await Promise.all(names.map((n) => g.azure.findKeyVault(n, g.signal)));
      return found.filter((v): v is KeyVaultFacts => Boolean(v));
    });
  });
  const exchangeP = Promise.all([tokenP, identityP, tenantP]).then(([tok, id, defTenant]) => {
    const tenant = annotations[WI_TENANT_ID]?.trim() || defTenant || valueOf(id)?.tenantId;
    return g.exchange(tok.raw, clientId, tenant);
  });

  await opts.progress("checking the token and federated credentials", 2, total);
  const [
    cluster,
    apiServerIssuer,
    webhook,
    spcs,
    defaultTenantId,
    pods,
    identity,
    token,
    fics,
    roles,
    vaults,
    exchange,
  ] = await Promise.all([
    clusterP,
    issuerP,
    webhookP,
    spcP,
    tenantP,
    podsP,
    identityP,
    tokenP,
    ficsP,
    rolesP,
    vaultsP,
    exchangeP,
  ]);
  await opts.progress("running the checks", 3, total);

  const facts: AksFacts = {
    target,
    cloud: {
      name: env.azure.cloud.name,
      tokenExchangeAudience: audience,
      authorityHost: env.azure.cloud.authorityHost,
    },
    apiServerHost: g.kube.apiServerHost(),
    serviceAccountName: saName,
    serviceAccount: sa,
    workload: resolved.workload,
    pods,
    podMissing: resolved.podMissing,
    webhook,
    apiServerIssuer,
    secretProviderClasses: spcs,
    cluster,
    identity,
    federatedCredentials: fics,
    roleAssignments: roles,
    keyVaults: vaults,
    token: token.facts,
    exchange,
    errorText: errorTextFacts(opts.errorText),
    defaultTenantId: annotations[WI_TENANT_ID] ? undefined : defaultTenantId,
  };
  const report = diagnoseAksFacts(facts);
  await opts.progress("done", total, total);
  return report;
}
