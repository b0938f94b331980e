// Who may call the HTTP server: a static bearer token, or a Kubernetes bearer token checked with TokenReview,
// each tool call then authorised with SubjectAccessReview for the namespace it reads.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { withTimeout } from "../providers/errors.js";

export interface Caller {
  /** A name for logs: the Kubernetes user name, or "token" for the static token. */
  username: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/** One permission a call needs: a SubjectAccessReview resourceAttributes. */
export interface Permission {
  verb: string;
  resource: string;
  group?: string;
  /** Undefined: in every namespace (cluster-wide). */
  namespace?: string;
}

export interface Authenticator {
  /** The caller behind a bearer token, or undefined when the token is not accepted. */
  authenticate(token: string, signal?: AbortSignal): Promise<Caller | undefined>;
  /** The permissions the caller lacks among `needed` (empty: allowed). Undefined: this mode does not authorise per call. */
  missing?(caller: Caller, needed: Permission[], signal?: AbortSignal): Promise<Permission[]>;
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** A static token read from a file (surrounding whitespace ignored), compared in constant time. */
export function tokenFileAuthenticator(file: string): Authenticator {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (err) {
    throw new Error(`--token-file: cannot read ${file}: ${(err as Error).message}`);
  }
  if (text.length < 16) throw new Error(`--token-file: the token in ${file} is shorter than 16 characters`);
  const want = digest(text);
  return {
    authenticate: async (token) => (timingSafeEqual(digest(token), want) ? { username: "token" } : undefined),
  };
}

/** Answers kept briefly so a burst of calls costs one review; keyed by a hash, never by the token itself. */
class TtlCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; until: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}
  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    if (this.entries.size >= this.max) this.entries.clear();
    const value = load();
    this.entries.set(key, { value, until: now + this.ttlMs });
    value.catch(() => this.entries.delete(key));
    return value;
  }
}

export interface KubernetesAuthOptions {
  kubeconfig: KubeConfig;
  timeoutMs: number;
  /** Audiences the token must be valid for (TokenReview spec.audiences); default: the API server's. */
  audiences?: string[];
  cacheMs?: number;
}

/** TokenReview for the caller, SubjectAccessReview for each permission a call needs. */
export function kubernetesAuthenticator(opts: KubernetesAuthOptions): Authenticator {
  const authn = opts.kubeconfig.makeApiClient(AuthenticationV1Api);
  const authz = opts.kubeconfig.makeApiClient(AuthorizationV1Api);
  const reviews = new TtlCache<Caller | undefined>(opts.cacheMs ?? 30_000);
  const decisions = new TtlCache<boolean>(opts.cacheMs ?? 30_000);

  const review = (token: string, signal?: AbortSignal) =>
    withTimeout("create tokenreviews.authentication.k8s.io", opts.timeoutMs, signal, async () => {
      const res = await authn.createTokenReview({
        body: {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenReview",
          spec: { token, audiences: opts.audiences },
        },
      });
      const s = res.status;
      if (!s?.authenticated || !s.user?.username) return undefined;
      return { username: s.user.username, groups: s.user.groups, uid: s.user.uid, extra: s.user.extra };
    });

  const allowed = (caller: Caller, p: Permission, signal?: AbortSignal) =>
    withTimeout("create subjectaccessreviews.authorization.k8s.io", opts.timeoutMs, signal, async () => {
      const res = await authz.createSubjectAccessReview({
        body: {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SubjectAccessReview",
          spec: {
            user: caller.username,
            groups: caller.groups,
            uid: caller.uid,
            extra: caller.extra,
            resourceAttributes: { verb: p.verb, resource: p.resource, group: p.group ?? "", namespace: p.namespace },
          },
        },
      });
      return res.status?.allowed === true && res.status?.denied !== true;
    });

  return {
    authenticate: (token, signal) => reviews.get(digest(token).toString("hex"), () => review(token, signal)),
    async missing(caller, needed, signal) {
      const answers = await Promise.all(
        needed.map((p) =>
          decisions.get(
            JSON.stringify([caller.username, caller.groups, p.verb, p.group, p.resource, p.namespace]),
            () => allowed(caller, p, signal),
          ),
        ),
      );
      return needed.filter((_, i) => !answers[i]);
    },
  };
}

/**
 * What a tool call reads, as permissions: a call that names a namespace needs to read pods and service accounts
 * there; a call without one (or over every namespace) needs to list them cluster-wide. An explanation of an error
 * text that does not cross-check reads nothing.
 */
export function permissionsFor(tool: string, input: Record<string, unknown>): Permission[] {
  if (tool === "explain_error" && !input.crossCheck) return [];
  const ns =
    typeof input.namespace === "string" && input.namespace && !input.allNamespaces ? input.namespace : undefined;
  if (tool === "audit_cluster") {
    return [
      { verb: "list", resource: "pods", namespace: ns },
      { verb: "list", resource: "serviceaccounts", namespace: ns },
    ];
  }
  if (ns) {
    return [
      { verb: "get", resource: "pods", namespace: ns },
      { verb: "get", resource: "serviceaccounts", namespace: ns },
    ];
  }
  return [{ verb: "list", resource: "pods" }];
}

export function describePermission(p: Permission): string {
  const res = p.group ? `${p.resource}.${p.group}` : p.resource;
  return `${p.verb} ${res} ${p.namespace ? `in namespace ${p.namespace}` : "in all namespaces"}`;
}
