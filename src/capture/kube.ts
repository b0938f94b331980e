// The Kubernetes side of a capture: the objects the diagnosis of one namespace reads, as the API server shows
// them, with secrets, tokens and server bookkeeping removed.
import type { Environment } from "../providers/environment.js";
import { kubeGetRaw, kubeListRaw, type RawObject } from "../providers/kube-raw.js";

export interface KubeCapture {
  server: string;
  apiServerHost: string;
  issuer?: string;
  version?: string;
  objects: RawObject[];
  /** Logs of identity components: "<namespace>/<pod>" → text (the last lines). */
  logs: Record<string, string>;
  /** Resources the API server refused to list (403): they stay forbidden in the captured world. */
  forbidden: string[];
  notes: string[];
}

/** Namespaced resources read in the target namespace and the namespaces the identity components run in. */
const NAMESPACED: { path: string; plural: string }[] = [
  { path: "/api/v1", plural: "serviceaccounts" },
  { path: "/api/v1", plural: "pods" },
  { path: "/apis/apps/v1", plural: "deployments" },
  { path: "/apis/apps/v1", plural: "replicasets" },
  { path: "/apis/apps/v1", plural: "statefulsets" },
  { path: "/apis/apps/v1", plural: "daemonsets" },
  { path: "/apis/batch/v1", plural: "jobs" },
  { path: "/apis/batch/v1", plural: "cronjobs" },
  { path: "/apis/networking.k8s.io/v1", plural: "networkpolicies" },
];

/** Identity components whose own logs the diagnosis reads (aad-pod-identity's NMI and MIC): never application logs. */
const COMPONENT_POD = /^(nmi|mic)-/;

/** Custom resources the diagnosis reads, when the cluster serves them (all namespaces: bindings cross them). */
const CUSTOM: { path: string; plural: string; allNamespaces: boolean }[] = [
  { path: "/apis/secrets-store.csi.x-k8s.io/v1", plural: "secretproviderclasses", allNamespaces: false },
  { path: "/apis/aadpodidentity.k8s.io/v1", plural: "azureidentities", allNamespaces: true },
  { path: "/apis/aadpodidentity.k8s.io/v1", plural: "azureidentitybindings", allNamespaces: true },
  { path: "/apis/aadpodidentity.k8s.io/v1", plural: "azureassignedidentities", allNamespaces: true },
  { path: "/apis/aadpodidentity.k8s.io/v1", plural: "azurepodidentityexceptions", allNamespaces: true },
];

/** The verb and API group AKS identity bindings authorise with (use-managed-identity on cid.wi.aks.azure.com). */
const USE_MI_VERB = "use-managed-identity";
const USE_MI_GROUP = "cid.wi.aks.azure.com";

interface RbacRule {
  verbs?: string[];
  apiGroups?: string[];
}

/** A ClusterRole or Role with a rule that can grant use-managed-identity (wildcards included). */
function grantsUseIdentity(role: RawObject): boolean {
  return ((role.rules as RbacRule[] | undefined) ?? []).some(
    (r) =>
      (r.verbs ?? []).some((v) => v === USE_MI_VERB || v === "*") &&
      (r.apiGroups ?? []).some((g) => g === USE_MI_GROUP || g === "*"),
  );
}

/**
 * The RBAC objects the identity binding checks read: roles that can grant use-managed-identity, and the bindings
 * that refer to them (cluster-wide, and the target namespace's).
 */
function identityRbac(roles: RawObject[], bindings: RawObject[]): RawObject[] {
  const kept = roles.filter(grantsUseIdentity);
  const names = new Set(kept.map((r) => `${r.kind}/${r.metadata?.namespace ?? ""}/${r.metadata?.name}`));
  const refersToKept = (b: RawObject) => {
    const ref = b.roleRef as { kind?: string; name?: string } | undefined;
    const ns = ref?.kind === "Role" ? String(b.metadata?.namespace ?? "") : "";
    return names.has(`${ref?.kind}/${ns}/${ref?.name}`);
  };
  return [...kept, ...bindings.filter(refersToKept)];
}

/** A Secret as the capture keeps it: the names of its data keys, never their values. */
function secretKeysOnly(secret: RawObject): RawObject {
  const c = scrub(secret);
  const keys = Object.keys((secret.data as Record<string, unknown> | undefined) ?? {});
  if (keys.length) c.data = Object.fromEntries(keys.sort().map((k) => [k, ""]));
  return c;
}

/** Environment variables whose values could be credentials: kept as present, value removed. */
const SECRET_ENV = /(SECRET|PASSWORD|PASSWD|TOKEN|ACCESS_KEY|PRIVATE_KEY|CONNECTION_STRING|API_KEY)/i;
const SAFE_ENV = new Set([
  "AZURE_FEDERATED_TOKEN_FILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
]);
export const REDACTED = "<removed by wi-doctor capture>";

function scrubEnv(list: unknown): void {
  if (!Array.isArray(list)) return;
  for (const e of list as { name?: string; value?: string }[]) {
    if (e?.name && typeof e.value === "string" && SECRET_ENV.test(e.name) && !SAFE_ENV.has(e.name)) {
      e.value = REDACTED;
    }
  }
}

function scrubPodSpec(spec: unknown): void {
  if (!spec || typeof spec !== "object") return;
  const s = spec as Record<string, unknown>;
  for (const key of ["containers", "initContainers", "ephemeralContainers"]) {
    const list = s[key];
    if (Array.isArray(list)) for (const c of list) scrubEnv((c as { env?: unknown })?.env);
  }
}

/** Remove what must not leave the cluster (secret values) and what the simulator sets itself. */
export function scrub(o: RawObject): RawObject {
  const c = structuredClone(o);
  const meta = (c.metadata ?? {}) as Record<string, unknown>;
  delete meta.managedFields;
  delete meta.resourceVersion;
  delete meta.selfLink;
  const annotations = meta.annotations as Record<string, string> | undefined;
  if (annotations) {
    delete annotations["kubectl.kubernetes.io/last-applied-configuration"];
    if (Object.keys(annotations).length === 0) delete meta.annotations;
  }
  c.metadata = meta;
  if (c.kind === "Secret") {
    delete c.data;
    delete c.stringData;
  }
  if (c.kind === "ServiceAccount") delete c.secrets;
  const spec = c.spec as Record<string, unknown> | undefined;
  if (c.kind === "Pod") scrubPodSpec(spec);
  const template = (spec?.template ?? (spec?.jobTemplate as { spec?: { template?: unknown } })?.spec?.template) as
    | { spec?: unknown }
    | undefined;
  scrubPodSpec(template?.spec);
  return c;
}

const keyOf = (o: RawObject) =>
  `${o.apiVersion}/${o.kind}/${(o.metadata?.namespace as string) ?? ""}/${o.metadata?.name as string}`;

/** The namespaces the identity components run in: kube-system and the mutating webhooks' services. */
function componentNamespaces(webhooks: RawObject[]): string[] {
  const out = new Set(["kube-system"]);
  for (const w of webhooks) {
    for (const hook of (w.webhooks as { clientConfig?: { service?: { namespace?: string } } }[] | undefined) ?? []) {
      const ns = hook.clientConfig?.service?.namespace;
      if (ns) out.add(ns);
    }
  }
  return [...out];
}

/** The Secrets service-principal AzureIdentities name in clientPassword, as key names only. */
async function captureIdentitySecrets(env: Environment, capture: KubeCapture, signal?: AbortSignal): Promise<void> {
  const refs = new Map<string, { name: string; namespace: string }>();
  for (const o of capture.objects) {
    const ref = o.kind === "AzureIdentity" ? (o.spec as { clientPassword?: unknown })?.clientPassword : undefined;
    const r = ref as { name?: unknown; namespace?: unknown } | undefined;
    if (typeof r?.name === "string" && typeof r.namespace === "string")
      refs.set(`${r.namespace}/${r.name}`, { name: r.name, namespace: r.namespace });
  }
  for (const [key, ref] of refs) {
    const path = `/api/v1/namespaces/${encodeURIComponent(ref.namespace)}/secrets/${encodeURIComponent(ref.name)}`;
    const r = await kubeGetRaw(env, path, signal).catch((err: Error) => {
      capture.notes.push(`Secret ${key}: ${err.message}`);
      return undefined;
    });
    if (r?.status === 200 && r.body && typeof r.body === "object")
      capture.objects.push(secretKeysOnly(r.body as RawObject));
    else if (r?.status === 403) capture.notes.push(`Secret ${key}: not readable (HTTP 403), its key names are unknown`);
    else if (r && r.status !== 404) capture.notes.push(`Secret ${key}: HTTP ${r.status}`);
  }
}

export async function captureKube(env: Environment, namespace: string, signal?: AbortSignal): Promise<KubeCapture> {
  const cluster = env.kubeconfig?.getCurrentCluster();
  if (!cluster) throw new Error("no current cluster in the kubeconfig: pass --context, or --scenario");
  const apiServerHost = (cluster.tlsServerName ?? new URL(cluster.server).hostname).toLowerCase();
  const port = cluster.tlsServerName ? "443" : new URL(cluster.server).port || "443";
  const capture: KubeCapture = {
    server: `https://${apiServerHost}:${port}`,
    apiServerHost,
    objects: [],
    logs: {},
    forbidden: [],
    notes: [],
  };
  const seen = new Set<string>();
  const add = (items: RawObject[]) => {
    for (const o of items) {
      const k = keyOf(o);
      if (!seen.has(k)) {
        seen.add(k);
        capture.objects.push(scrub(o));
      }
    }
  };
  const list = async (path: string, plural: string) => {
    try {
      const r = await kubeListRaw(env, path, signal);
      if (r.status === 403 && !capture.forbidden.includes(plural)) capture.forbidden.push(plural);
      else if (r.status !== 200 && r.status !== 404) capture.notes.push(`${path}: HTTP ${r.status}`);
      return r.items;
    } catch (err) {
      capture.notes.push(`${path}: ${(err as Error).message}`);
      return [];
    }
  };

  const [version, discovery] = await Promise.all([
    kubeGetRaw(env, "/version", signal).catch(() => undefined),
    kubeGetRaw(env, "/.well-known/openid-configuration", signal).catch(() => undefined),
  ]);
  const v = version?.body as { major?: string; minor?: string } | undefined;
  if (version?.status === 200 && v?.major) capture.version = `${v.major}.${String(v.minor).replace(/\D+$/, "")}`;
  const issuer = (discovery?.body as { issuer?: string } | undefined)?.issuer;
  if (discovery?.status === 200 && issuer) capture.issuer = issuer;

  const webhooks = await list(
    "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
    "mutatingwebhookconfigurations",
  );
  add(webhooks);
  const crds = await list("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "customresourcedefinitions");
  add(
    crds.filter((c) =>
      /(secrets-store\.csi\.x-k8s\.io|aadpodidentity\.k8s\.io)$/.test(String((c.spec as { group?: string })?.group)),
    ),
  );
  const namespaces = [namespace, ...componentNamespaces(webhooks).filter((n) => n !== namespace)];
  const nsObjects = await list("/api/v1/namespaces", "namespaces");
  add(nsObjects.filter((n) => namespaces.includes(String(n.metadata?.name))));
  await Promise.all(
    namespaces.flatMap((ns) =>
      NAMESPACED.map(async (r) =>
        add(await list(`${r.path}/namespaces/${encodeURIComponent(ns)}/${r.plural}`, r.plural)),
      ),
    ),
  );
  await Promise.all(
    CUSTOM.map(async (r) => {
      const path = r.allNamespaces
        ? `${r.path}/${r.plural}`
        : `${r.path}/namespaces/${encodeURIComponent(namespace)}/${r.plural}`;
      add(await list(path, r.plural));
    }),
  );
  const rbac = "/apis/rbac.authorization.k8s.io/v1";
  const nsPath = `${rbac}/namespaces/${encodeURIComponent(namespace)}`;
  const [clusterRoles, clusterRoleBindings, roles, roleBindings] = await Promise.all([
    list(`${rbac}/clusterroles`, "clusterroles"),
    list(`${rbac}/clusterrolebindings`, "clusterrolebindings"),
    list(`${nsPath}/roles`, "roles"),
    list(`${nsPath}/rolebindings`, "rolebindings"),
  ]);
  add(identityRbac([...clusterRoles, ...roles], [...clusterRoleBindings, ...roleBindings]));
  await captureIdentitySecrets(env, capture, signal);
  const components = capture.objects.filter(
    (o) => o.kind === "Pod" && o.metadata?.namespace !== namespace && COMPONENT_POD.test(String(o.metadata?.name)),
  );
  await Promise.all(
    components.map(async (p) => {
      const ns = String(p.metadata?.namespace);
      const name = String(p.metadata?.name);
      const r = await kubeGetRaw(
        env,
        `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}/log?tailLines=500`,
        signal,
      ).catch(() => undefined);
      if (r?.status === 200 && typeof r.body === "string" && r.body)
        capture.logs[`${ns}/${name}`] = r.body.replace(/\n$/, "");
    }),
  );
  return capture;
}
