// Gather the facts of an AKS workload identity diagnosis. Independent calls run concurrently; only the
// dependent round trips (pod → service account → identity → credentials) are sequential.
import type { V1Deployment, V1Pod, V1ServiceAccount } from "@kubernetes/client-node";
import type {
  AksFacts,
  ClusterFacts,
  ExchangeFacts,
  IdentityFacts,
  KeyVaultFacts,
  MissingKeyVaultFacts,
  SecretProviderClassFacts,
  TokenFacts,
  WebhookFacts,
} from "../diagnosis/aks/facts.js";
import { type AksReport, diagnoseAksFacts } from "../diagnosis/aks/index.js";
import { WEBHOOK_DEPLOYMENT, WEBHOOK_MWC, WI_TENANT_ID, WI_TOKEN_EXPIRATION } from "../diagnosis/aks/names.js";
import { tokenExpirationValid } from "../diagnosis/rules.js";
import { mountedSpcNames } from "../diagnosis/aks/checks/access.js";
import { type Gathered, ok, skipped, type Target, valueOf } from "../diagnosis/types.js";
import { AzureProvider, type IdentityRef } from "../providers/azure.js";
import type { Environment } from "../providers/environment.js";
import { gather, ProviderError } from "../providers/errors.js";
import { KubeProvider } from "../providers/kubernetes.js";
import { errorTextFacts } from "./error-text.js";
import { aksWorkload, injectedTenant, readyOf } from "./aks-workload.js";
import { type ClusterRef, clientIdOf, identityResourceIdOf } from "./aks-refs.js";
import { contextClusterLookup, once, readSecretProviderClasses } from "./aks-reads.js";

export { aksWorkload, workloadFacts } from "./aks-workload.js";
import { bindingReads, PROXY_EXCHANGE } from "./aks-binding.js";
import { NOT_GATHERED } from "./sections.js";
import { normalizeTarget } from "./platform.js";
import { type ResolvedTarget, resolveTarget } from "./target.js";
import { decodeToken, fetchIssuerKeys, type IssuerKeys, verifyWithIssuer } from "../providers/oidc.js";

export interface GatherOptions {
  signal: AbortSignal;
  progress: (message: string, progress: number, total?: number) => Promise<void>;
  errorText?: string;
}

const WEBHOOK_NAMESPACES = ["kube-system", "azure-workload-identity-system"];

/**
 * The one AKS facts builder: every section not gathered unless given. The diagnosis gives them all; a step tool
 * gives the ones it looked at, and runs only the checks that read them.
 */
export function aksFacts(env: Environment, target: Target, sections: Partial<AksFacts> = {}): AksFacts {
  const none = <T>() => skipped<T>(NOT_GATHERED);
  return {
    target,
    cloud: {
      name: env.azure.cloud.name,
      tokenExchangeAudience: env.azure.cloud.tokenExchangeAudience,
      authorityHost: env.azure.cloud.authorityHost,
    },
    serviceAccount: none(),
    pods: none(),
    webhook: none(),
    apiServerIssuer: none(),
    secretProviderClasses: none(),
    cluster: none(),
    identity: none(),
    federatedCredentials: none(),
    roleAssignments: none(),
    keyVaults: none(),
    token: none(),
    exchange: none(),
    ...sections,
  };
}

export class AksGatherer {
  readonly kube: KubeProvider;
  readonly azure: AzureProvider;

  constructor(
    readonly env: Environment,
    readonly opts: Pick<GatherOptions, "signal">,
    kube?: KubeProvider,
  ) {
    this.kube = kube ?? new KubeProvider(env);
    this.azure = new AzureProvider(env);
  }

  get signal() {
    return this.opts.signal;
  }

  /** The AKS cluster behind the kube context (matched by API server host across subscriptions). */
  contextCluster: () => Promise<Gathered<ClusterFacts | null>> = once(() =>
    contextClusterLookup(this.kube, this.azure, this.signal),
  );

  /** A cluster named by resource group and name (in its subscription, else every visible one), or the context's. */
  cluster(ref: ClusterRef = {}): Promise<Gathered<ClusterFacts | null>> {
    const { clusterName, resourceGroup, subscriptionId } = ref;
    if (!clusterName || !resourceGroup) return this.contextCluster();
    return gather("AKS cluster", async () => {
      const subscriptions = subscriptionId ? [subscriptionId] : await this.azure.listSubscriptionIds(this.signal);
      for (const sub of subscriptions) {
        const found = await this.azure.getCluster(sub, resourceGroup, clusterName, this.signal);
        if (found) return found;
      }
      return null;
    });
  }

  serviceAccount(namespace: string, name: string): Promise<Gathered<V1ServiceAccount | null>> {
    return gather("service account", () => this.kube.getServiceAccount(namespace, name, this.signal));
  }

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
        this.kube
          .getMutatingWebhookConfiguration(WEBHOOK_MWC, this.signal)
          .then((c) => c ?? this.findWebhookConfiguration()),
        this.webhookDeployments(),
        this.kube.getNamespace(namespace, this.signal).catch(() => null),
      ]);
      const i = deployments.findIndex((d) => d);
      const dep = i >= 0 ? deployments[i]! : null;
      let readyEndpoints: number | undefined;
      if (dep) {
        // The configuration names the service the API server calls; the standard name otherwise.
        const svc = configuration?.webhooks?.find((w) => w.clientConfig?.service)?.clientConfig?.service;
        const eps = await this.kube
          .getEndpoints(
            svc?.namespace ?? WEBHOOK_NAMESPACES[i],
            svc?.name ?? "azure-wi-webhook-webhook-service",
            this.signal,
          )
          .catch(() => null);
        if (eps) readyEndpoints = (eps.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
      }
      return {
        configuration,
        deployment: dep
          ? {
              namespace: WEBHOOK_NAMESPACES[i],
              name: dep.metadata?.name ?? WEBHOOK_DEPLOYMENT,
              replicas: dep.spec?.replicas ?? 1,
              // A live Deployment always reports status; an object without one (hand-written) counts as running.
              readyReplicas: readyOf(dep),
              createdAt: dep.metadata?.creationTimestamp
                ? new Date(dep.metadata.creationTimestamp).toISOString()
                : undefined,
            }
          : null,
        readyEndpoints,
        namespaceLabels: ns?.metadata?.labels ?? {},
      };
    });

  /**
   * Installations renamed by hand or by another chart: the configuration is recognised by its webhook's name,
   * `mutation.azure-workload-identity.io`. Only asked when the standard name is absent.
   */
  private async findWebhookConfiguration() {
    const all = await this.kube.listMutatingWebhookConfigurations(this.signal).catch(() => []);
    return (
      all.find((c) =>
        (c.webhooks ?? []).some(
          (w) => w.name === "mutation.azure-workload-identity.io" || w.name.endsWith(".azure-workload-identity.io"),
        ),
      ) ?? null
    );
  }

  /** The webhook's controller per namespace: by its standard name, else (only then) among their Deployments. */
  private async webhookDeployments(): Promise<(V1Deployment | null)[]> {
    const named = await Promise.all(
      WEBHOOK_NAMESPACES.map((n) => this.kube.getDeployment(n, WEBHOOK_DEPLOYMENT, this.signal).catch(() => null)),
    );
    if (named.some(Boolean)) return named;
    return Promise.all(WEBHOOK_NAMESPACES.map((n) => this.findWebhookDeployment(n)));
  }

  /** The controller under another name: it carries the azure-workload-identity.io/system label. */
  private async findWebhookDeployment(namespace: string) {
    const all = await this.kube.listDeployments(namespace, this.signal).catch(() => []);
    const hit = all.find(
      (d) =>
        d.metadata?.labels?.["azure-workload-identity.io/system"] === "true" ||
        d.spec?.template?.metadata?.labels?.["azure-workload-identity.io/system"] === "true" ||
        (d.metadata?.name ?? "").startsWith("azure-wi-webhook"),
    );
    return hit ?? null;
  }

  /** The tenant the webhook injects by default (azure-wi-webhook-config). */
  defaultTenant = once(async () => {
    for (const ns of WEBHOOK_NAMESPACES) {
      const cm = await this.kube.getConfigMap(ns, "azure-wi-webhook-config", this.signal).catch(() => null);
      const t = cm?.data?.AZURE_TENANT_ID;
      if (t) return t;
    }
    return undefined;
  });

  secretProviderClasses = (namespace: string) => readSecretProviderClasses(this.kube, namespace, this.signal);

  /** The identity a client id (or another reference) names; skipped without a valid client id. */
  identity(ref: IdentityRef | string | undefined): Promise<Gathered<IdentityFacts | null>> {
    if (!ref) return Promise.resolve(skipped("the service account names no valid client id"));
    const named = typeof ref === "string" ? { clientId: ref } : ref;
    return gather("identity", async () => (await this.azure.findIdentity(named, this.signal)) ?? null);
  }

  federatedCredentials(identity: IdentityFacts) {
    return gather("federated credentials", () => this.azure.listFederatedCredentials(identity, this.signal));
  }

  /** The role assignments of a principal (its object id). */
  roleAssignments(principalId: string) {
    return gather("role assignments", () => this.azure.listRoleAssignments(principalId, this.signal));
  }

  /** The identity a mistaken object id in the client-id annotation belongs to (only asked when nothing else matched). */
  identityByPrincipalId = async (id: string): Promise<IdentityFacts | undefined> =>
    (await this.azure.findIdentityByPrincipalId(id, this.signal).catch(() => null)) ?? undefined;

  /** The identity a resource id mistakenly put in the client-id annotation names. */
  identityByResourceId = async (resourceId: string): Promise<IdentityFacts | undefined> =>
    (await this.azure.findIdentity({ resourceId }, this.signal).catch(() => null)) ?? undefined;

  /** Mint a token as the webhook would. The raw token stays in this process: only claims reach a report. */
  async mint(
    namespace: string,
    sa: string,
    audience: string,
    expirationSeconds = 3600,
  ): Promise<{ minted: Gathered<Pick<TokenFacts, "claims" | "kid" | "audience">>; raw?: string }> {
    let raw: string | undefined;
    const minted = await gather("service-account token", async () => {
      const t = await this.kube.createServiceAccountToken(
        namespace,
        sa,
        { audiences: [audience], expirationSeconds },
        this.signal,
      );
      raw = t.token;
      const { claims, kid } = decodeToken(t.token);
      return { claims, kid, audience };
    });
    return { minted, raw };
  }

  /** Check a token the way Entra will: the issuer's discovery document and JWKS, and the signature. */
  verifyIssuer(raw: string, prefetched?: Promise<IssuerKeys | undefined>): Promise<TokenFacts["issuerCheck"]> {
    return gather("issuer discovery and JWKS", () => verifyWithIssuer(this.env, raw, this.signal, prefetched));
  }

  /** Mint a token and check it the way Entra will. */
  async token(
    namespace: string,
    sa: string,
    audience: string,
    expirationSeconds = 3600,
  ): Promise<{ facts: Gathered<TokenFacts>; raw?: string }> {
    const { minted, raw } = await this.mint(namespace, sa, audience, expirationSeconds);
    if (minted.status !== "ok" || !raw) return { facts: minted as Gathered<TokenFacts>, raw };
    return { facts: ok({ ...minted.value, issuerCheck: await this.verifyIssuer(raw) }), raw };
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

/** The service account the target runs as, or why there is none to read (the part of the target that is missing). */
async function readServiceAccount(
  g: AksGatherer,
  target: Target,
  name: string | undefined,
  targetP: Promise<ResolvedTarget>,
): Promise<Gathered<V1ServiceAccount | null>> {
  const ns = target.namespace;
  if (name) return g.serviceAccount(ns, name);
  const r = await targetP;
  const why = r.podMissing
    ? `pod ${ns}/${r.podMissing} does not exist`
    : r.workload?.status === "ok" && !r.workload.value
      ? `${target.workload} does not exist in namespace ${ns}`
      : "no service account to read";
  return skipped<V1ServiceAccount | null>(why);
}

/** The service account controller gives every namespace a "default" account; a world written by hand may omit it. */
function withDefaultAccount(
  sa: Gathered<V1ServiceAccount | null>,
  name: string | undefined,
  namespace: string,
): Gathered<V1ServiceAccount | null> {
  if (name !== "default" || sa.status !== "ok" || sa.value) return sa;
  return ok<V1ServiceAccount | null>({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } });
}

/**
 * When the pods' own service account names no identity and none was asked about, another account in the
 * namespace that does is the likely intent: pods left on "default" are the classic case.
 */
function accountsWithIdentity(g: AksGatherer, ns: string, except: string | undefined): Promise<string[] | undefined> {
  const p = g.kube
    .listServiceAccounts(ns, g.signal)
    .then((all) =>
      all
        .filter((a) => a.metadata?.name !== except)
        .filter((a) => clientIdOf(a))
        .map((a) => a.metadata?.name ?? ""),
    )
    .catch(() => undefined);
  p.catch(() => undefined);
  return p;
}

/** Mint a token as the webhook would (the annotation's lifetime when valid) and check it as Entra will. */
function mintAndVerify(
  g: AksGatherer,
  saName: string | undefined,
  ns: string,
  expiration: string | undefined,
  issuerP: Promise<Gathered<string>>,
) {
  const audience = g.env.azure.cloud.tokenExchangeAudience;
  const lifetime = expiration !== undefined && tokenExpirationValid("aks", expiration) ? Number(expiration) : 3600;
  const mintP = saName
    ? g.mint(ns, saName, audience, lifetime)
    : Promise.resolve({
        minted: skipped<Pick<TokenFacts, "claims" | "kid" | "audience">>("the service account does not exist"),
        raw: undefined,
      });
  // The issuer the API server announces is almost always the tokens' own: fetch its keys while the token is minted.
  const issuerKeysP = issuerP.then((iss) =>
    iss.status === "ok" ? fetchIssuerKeys(g.env, iss.value, g.signal) : undefined,
  );
  issuerKeysP.catch(() => undefined);
  // Entra's view of the issuer and the exchange itself both need only the minted token: run them side by side.
  const tokenP = mintP.then(async ({ minted, raw }) => ({
    facts:
      minted.status === "ok" && raw
        ? ok<TokenFacts>({ ...minted.value, issuerCheck: await g.verifyIssuer(raw, issuerKeysP) })
        : (minted as Gathered<TokenFacts>),
    raw,
  }));
  return { mintP, tokenP };
}

/** A read that needs the identity, or skipped while it is not known. */
function ofIdentity<T>(identity: Gathered<IdentityFacts | null>, read: (id: IdentityFacts) => Promise<Gathered<T>>) {
  const id = valueOf(identity);
  return id ? read(id) : skipped<T>("the identity is not known");
}

/** The vault names of the classes this workload mounts (all of the namespace's when it mounts none). */
function referencedVaultNames(
  spcs: Gathered<SecretProviderClassFacts[]>,
  resolved: ResolvedTarget,
  scoped: Gathered<V1Pod[]>,
): string[] {
  const mounted = mountedSpcNames(valueOf(scoped) ?? [], valueOf(resolved.workload ?? ok(null))?.podTemplate);
  return [
    ...new Set(
      (valueOf(spcs) ?? [])
        .filter((s) => !mounted || mounted.has(s.name))
        .map((s) => s.parameters.keyvaultName)
        .filter((n): n is string => Boolean(n)),
    ),
  ];
}

/**
 * The referenced vault names ARM does not list, each with its soft-deleted entry (null: none; undefined: the
 * deleted vaults could not be read).
 */
function missingKeyVaultsFor(
  g: AksGatherer,
  vaultsP: Promise<Gathered<KeyVaultFacts[]>>,
  spcP: Promise<Gathered<SecretProviderClassFacts[]>>,
  targetP: Promise<ResolvedTarget>,
  podsP: Promise<Gathered<V1Pod[]>>,
): Promise<Gathered<MissingKeyVaultFacts[]>> {
  return Promise.all([vaultsP, spcP, targetP, podsP]).then(async ([vaults, spcs, resolved, scoped]) => {
    if (vaults.status !== "ok")
      return { status: vaults.status, reason: vaults.reason } as Gathered<MissingKeyVaultFacts[]>;
    const found = new Set(vaults.value.map((v) => v.name.toLowerCase()));
    const missing = referencedVaultNames(spcs, resolved, scoped).filter((n) => !found.has(n.toLowerCase()));
    return ok(
      await Promise.all(
        missing.map(async (name) => ({
          name,
          deleted: await g.azure.findDeletedKeyVault(name, g.signal).catch((err) => {
            if (err instanceof ProviderError && err.kind === "cancelled") throw err;
            return undefined;
          }),
        })),
      ),
    );
  });
}

/** Only the vaults behind the classes this workload mounts (all of the namespace's when it mounts none). */
function keyVaultsFor(
  g: AksGatherer,
  spcP: Promise<Gathered<SecretProviderClassFacts[]>>,
  targetP: Promise<ResolvedTarget>,
  podsP: Promise<Gathered<V1Pod[]>>,
): Promise<Gathered<KeyVaultFacts[]>> {
  return Promise.all([spcP, targetP, podsP]).then(async ([spcs, resolved, scoped]) => {
    // The classes could not be read: which vaults are in use is unknown, not "none".
    if (spcs.status !== "ok") return { status: spcs.status, reason: spcs.reason } as Gathered<KeyVaultFacts[]>;
    const names = referencedVaultNames(spcs, resolved, scoped);
    if (!names.length) return ok<KeyVaultFacts[]>([]);
    return gather("Key Vaults", async () => {
      const found = await Promise.all(names.map((n) => g.azure.findKeyVault(n, g.signal)));
      return found.filter((v): v is KeyVaultFacts => Boolean(v));
    });
  });
}

export async function diagnoseAks(
  env: Environment,
  named: Target,
  opts: GatherOptions,
  shared: {
    kube?: KubeProvider;
    resolved?: Promise<ResolvedTarget>;
    /** Reads shared with the aad-pod-identity run started alongside (src/gather/index.ts). */
    reads?: Pick<AksGatherer, "secretProviderClasses" | "contextCluster">;
  } = {},
): Promise<AksReport> {
  const target = normalizeTarget(named);
  const g = Object.assign(new AksGatherer(env, opts, shared.kube), shared.reads);
  const ns = target.namespace;
  const total = 4;
  await opts.progress("reading the cluster and cloud", 0, total);

  // Phase 1: everything that needs only the target.
  // Sign in to Azure while Kubernetes is read, so the first ARM calls do not wait for it.
  const credentialWarmup = g.azure.warmUp(opts.signal);
  const clusterP = g.cluster();
  const issuerP = g.apiServerIssuer();
  const webhookP = g.webhook(ns);
  const spcP = g.secretProviderClasses(ns);
  const tenantP = g.defaultTenant();
  const targetP = shared.resolved ?? resolveTarget(g, target);
  const earlySaP = target.serviceAccount ? g.serviceAccount(ns, target.serviceAccount) : undefined;
  // Each of these is awaited below; until then a cancellation must not surface as an unhandled rejection.
  for (const p of [credentialWarmup, clusterP, issuerP, webhookP, spcP, tenantP, targetP, earlySaP])
    p?.catch(() => undefined);

  // Phase 2: the service account (named, or read off the pod or template), then the identity and the token.
  // Resolving the workload's pods runs alongside: nothing below waits for it.
  const saNameP = target.serviceAccount
    ? Promise.resolve(target.serviceAccount)
    : targetP.then((r) => r.serviceAccountName);
  const saP = earlySaP ?? saNameP.then((name) => readServiceAccount(g, target, name, targetP));
  const podsP: Promise<Gathered<V1Pod[]>> = targetP.then((resolved) => resolved.pods);
  for (const p of [saNameP, saP, podsP]) p.catch(() => undefined);
  const saName = await saNameP;
  await opts.progress("reading the service account and identity", 1, total);

  const sa = withDefaultAccount(await saP, saName, ns);
  const annotations = valueOf(sa)?.metadata?.annotations ?? {};
  const clientId = clientIdOf(valueOf(sa));
  // When the pods' own service account names no identity and none was asked about, another account in the
  // namespace that does is the likely intent: pods left on "default" are the classic case.
  const candidatesP =
    !target.serviceAccount && !clientId && sa.status === "ok"
      ? accountsWithIdentity(g, ns, saName)
      : Promise.resolve(undefined);
  candidatesP.catch(() => undefined);
  const expiration = annotations[WI_TOKEN_EXPIRATION];

  // The identity lookup needs the operator's Azure token (requested early, above); minting does not.
  const identityP = credentialWarmup.then(() => g.identity(clientId));
  // Only when the client id matched nothing: is it some identity's object id?
  const byPrincipalP = identityP.then((id) =>
    clientId && id.status === "ok" && !id.value ? g.identityByPrincipalId(clientId) : undefined,
  );
  byPrincipalP.catch(() => undefined);
  const resourceId = identityResourceIdOf(valueOf(sa));
  const byResourceIdP = resourceId
    ? credentialWarmup.then(() => g.identityByResourceId(resourceId))
    : Promise.resolve(undefined);
  byResourceIdP.catch(() => undefined);
  const { mintP, tokenP } = mintAndVerify(g, valueOf(sa) ? saName : undefined, ns, expiration, issuerP);

  // Phase 3: what depends on the identity or the token.
  const ficsP = identityP.then((id) => ofIdentity(id, (i) => g.federatedCredentials(i)));
  const rolesP = identityP.then((id) => ofIdentity(id, (i) => g.roleAssignments(i.principalId)));
  const vaultsP = keyVaultsFor(g, spcP, targetP, podsP);
  const missingVaultsP = missingKeyVaultsFor(g, vaultsP, spcP, targetP, podsP);
  // The tenant the pod uses: the annotation, the webhook's config, or what the webhook put into the pods;
  // only without all three is the identity awaited.
  const tenantForExchange = annotations[WI_TENANT_ID]?.trim()
    ? Promise.resolve(annotations[WI_TENANT_ID].trim())
    : tenantP.then(async (t) => t || injectedTenant(valueOf(await podsP) ?? []) || valueOf(await identityP)?.tenantId);
  const { bindingsP, rbacP, viaProxyP } = bindingReads(g, clusterP, targetP, clientId, ns, opts.signal);
  const exchangeP = Promise.all([mintP, tenantForExchange, viaProxyP]).then(([m, tenant, viaProxy]) =>
    viaProxy ? skipped<ExchangeFacts>(PROXY_EXCHANGE) : g.exchange(m.raw, clientId, tenant),
  );
  for (const p of [identityP, mintP, tokenP, ficsP, rolesP, vaultsP, missingVaultsP, exchangeP, bindingsP, rbacP])
    p.catch(() => undefined);
  await opts.progress("checking the token and federated credentials", 2, total);
  const reads = [targetP, clusterP, issuerP, webhookP, spcP, tenantP, podsP, identityP, tokenP, ficsP, rolesP];
  await Promise.all([...reads, vaultsP, missingVaultsP, exchangeP, bindingsP, rbacP]);
  const resolved = await targetP;
  await opts.progress("running the checks", 3, total);

  const facts = aksFacts(env, target, {
    apiServerHost: g.kube.apiServerHost(),
    serviceAccountName: saName,
    serviceAccount: sa,
    workload: aksWorkload(resolved),
    pods: await podsP,
    podMissing: resolved.podMissing,
    webhook: await webhookP,
    apiServerIssuer: await issuerP,
    secretProviderClasses: await spcP,
    cluster: await clusterP,
    identity: await identityP,
    identityByPrincipalId: await byPrincipalP,
    identityByResourceId: await byResourceIdP,
    federatedCredentials: await ficsP,
    roleAssignments: await rolesP,
    keyVaults: await vaultsP,
    missingKeyVaults: await missingVaultsP,
    token: (await tokenP).facts,
    exchange: await exchangeP,
    errorText: errorTextFacts(opts.errorText),
    defaultTenantId: annotations[WI_TENANT_ID] ? undefined : await tenantP,
    serviceAccountCandidates: await candidatesP,
    identityBindings: await bindingsP,
    kubeRbac: await rbacP,
  });
  const report = diagnoseAksFacts(facts);
  await opts.progress("done", total, total);
  return report;
}
