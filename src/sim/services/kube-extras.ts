// What kubectl asks of an API server beyond plain reads: server-side Table output (the columns `kubectl get` prints),
// watch streams, and SelfSubjectAccessReview (`kubectl auth can-i`).
import type { SimRequest, SimResponse, SimWorld } from "../world.js";
import { status } from "./kube-status.js";

type Obj = { apiVersion?: string; kind?: string; metadata?: Record<string, unknown>; [k: string]: unknown };

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const col = (name: string, type: string, description: string, priority = 0, format = ""): Column => ({
  name,
  type,
  format,
  description,
  priority,
});

const NAME = col(
  "Name",
  "string",
  "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.",
  0,
  "name",
);
const AGE = col(
  "Age",
  "string",
  "CreationTimestamp is a timestamp representing the server time when this object was created.",
);

/** Kubernetes' duration.HumanDuration: the compact ages `kubectl get` shows (5s, 3m2s, 4h, 12d, 2y45d). */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60 * 2) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 60 * 3) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 24 * 8) return h % 24 === 0 ? `${Math.floor(h / 24)}d` : `${Math.floor(h / 24)}d${h % 24}h`;
  const d = Math.floor(h / 24);
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (y < 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

const age = (o: Obj) => {
  const ts = o.metadata?.creationTimestamp;
  return typeof ts === "string" ? humanDuration(Date.now() - Date.parse(ts)) : "<unknown>";
};

type Printer = { columns: Column[]; cells(o: Obj): unknown[] };

interface ContainerStatus {
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string } };
}

function podStatus(o: Obj): string {
  const status = (o.status ?? {}) as { phase?: string; reason?: string; containerStatuses?: ContainerStatus[] };
  if (o.metadata?.deletionTimestamp) return "Terminating";
  let reason = status.reason ?? status.phase ?? "Unknown";
  for (const c of status.containerStatuses ?? []) {
    const r = c.state?.waiting?.reason ?? c.state?.terminated?.reason;
    if (r) reason = r;
  }
  return reason;
}

const printers: Record<string, Printer> = {
  Pod: {
    columns: [
      NAME,
      col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
      col("Status", "string", "The aggregate status of the containers in this pod."),
      col(
        "Restarts",
        "string",
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
      ),
      AGE,
      col(
        "IP",
        "string",
        "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
        1,
      ),
      col("Node", "string", "NodeName is a request to schedule this pod onto a specific node.", 1),
      col(
        "Nominated Node",
        "string",
        "nominatedNodeName is set only when this pod preempts other pods on the node.",
        1,
      ),
      col("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness.", 1),
    ],
    cells(o) {
      const spec = (o.spec ?? {}) as { containers?: unknown[]; nodeName?: string };
      const status = (o.status ?? {}) as {
        containerStatuses?: ContainerStatus[];
        podIP?: string;
        nominatedNodeName?: string;
      };
      const statuses = status.containerStatuses ?? [];
      const conditions = ((o.status ?? {}) as { conditions?: { type?: string; status?: string }[] }).conditions ?? [];
      const podReady = conditions.some((c) => c.type === "Ready" && c.status === "True");
      // Without container statuses, a pod whose Ready condition holds has all its containers ready.
      const ready = statuses.length
        ? statuses.filter((c) => c.ready).length
        : podReady
          ? (spec.containers?.length ?? 0)
          : 0;
      const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
      return [
        o.metadata?.name,
        `${ready}/${spec.containers?.length ?? statuses.length}`,
        podStatus(o),
        String(restarts),
        age(o),
        status.podIP ?? "<none>",
        spec.nodeName ?? "<none>",
        status.nominatedNodeName ?? "<none>",
        "<none>",
      ];
    },
  },
  ServiceAccount: {
    columns: [
      NAME,
      col(
        "Secrets",
        "string",
        "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.",
      ),
      AGE,
    ],
    cells: (o) => [o.metadata?.name, ((o.secrets as unknown[] | undefined) ?? []).length, age(o)],
  },
  Deployment: {
    columns: [
      NAME,
      col("Ready", "string", "Number of the pod with ready state"),
      col(
        "Up-to-date",
        "string",
        "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
      ),
      col(
        "Available",
        "string",
        "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
      ),
      AGE,
      col("Containers", "string", "Names of each container in the template.", 1),
      col("Images", "string", "Images referenced by each container in the template.", 1),
      col(
        "Selector",
        "string",
        "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.",
        1,
      ),
    ],
    cells(o) {
      const spec = (o.spec ?? {}) as {
        replicas?: number;
        selector?: { matchLabels?: Record<string, string> };
        template?: { spec?: { containers?: { name?: string; image?: string }[] } };
      };
      const st = (o.status ?? {}) as { readyReplicas?: number; updatedReplicas?: number; availableReplicas?: number };
      const containers = spec.template?.spec?.containers ?? [];
      return [
        o.metadata?.name,
        `${st.readyReplicas ?? 0}/${spec.replicas ?? 1}`,
        st.updatedReplicas ?? 0,
        st.availableReplicas ?? 0,
        age(o),
        containers.map((c) => c.name).join(","),
        containers.map((c) => c.image).join(","),
        Object.entries(spec.selector?.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
      ];
    },
  },
};

const defaultPrinter: Printer = { columns: [NAME, AGE], cells: (o) => [o.metadata?.name, age(o)] };

/** Whether the client asked for a server-side Table (kubectl get does). */
export function wantsTable(req: SimRequest): boolean {
  const accept = String(req.headers.accept ?? "");
  return /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

function rowObject(o: Obj, includeObject: string | null): unknown {
  if (includeObject === "None") return undefined;
  if (includeObject === "Object") return o;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata ?? {} };
}

/** A list or object answer turned into the Table kubectl asked for (other answers pass through). */
export function asTable(req: SimRequest, answer: SimResponse | undefined): SimResponse | undefined {
  if (answer?.status !== 200 || !wantsTable(req) || req.method !== "GET") return answer;
  const body = answer.body as (Obj & { items?: Obj[] }) | undefined;
  if (!body || typeof body !== "object" || Buffer.isBuffer(body) || body.kind === "Status") return answer;
  const isList = Array.isArray(body.items);
  if (!isList && !(body.metadata && body.kind)) return answer;
  const kind = isList ? String(body.kind ?? "").replace(/List$/, "") : String(body.kind);
  const items = isList ? (body.items as Obj[]) : [body];
  const printer = printers[kind] ?? defaultPrinter;
  const includeObject = req.query.get("includeObject");
  const listMeta = (body.metadata ?? {}) as Record<string, unknown>;
  return {
    status: 200,
    body: {
      kind: "Table",
      apiVersion: "meta.k8s.io/v1",
      metadata: {
        resourceVersion: listMeta.resourceVersion ?? "",
        ...(listMeta.continue ? { continue: listMeta.continue } : {}),
        ...(listMeta.remainingItemCount !== undefined ? { remainingItemCount: listMeta.remainingItemCount } : {}),
      },
      columnDefinitions: printer.columns,
      rows: items.map((o) => {
        const obj = rowObject(o, includeObject);
        return { cells: printer.cells(o), ...(obj ? { object: obj } : {}) };
      }),
    },
  };
}

/**
 * A watch: the world does not change on its own, so a watch from the list's resource version has nothing to
 * report. The stream ends at once, as when the server's watch timeout passes (kubectl get -w then stops quietly;
 * informers re-list). A client that allows bookmarks gets one BOOKMARK event first, with the current version.
 */
export function watchAnswer(req: SimRequest, kind: string, apiVersion: string, resourceVersion: string): SimResponse {
  const headers = { "content-type": "application/json" };
  if (req.query.get("allowWatchBookmarks") !== "true" || wantsTable(req)) return { status: 200, headers, body: "" };
  const event = {
    type: "BOOKMARK",
    object: { kind, apiVersion, metadata: { resourceVersion, annotations: { "k8s.io/initial-events-end": "true" } } },
  };
  return { status: 200, headers, body: `${JSON.stringify(event)}\n` };
}

interface ReviewAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

/**
 * SelfSubjectAccessReview: the simulated operator may do everything except what the scenario's `forbidden` list
 * names (a plural, `plural.group`, or `plural/subresource`).
 */
export function selfSubjectAccessReview(req: SimRequest, world: SimWorld): SimResponse {
  let body: {
    spec?: { resourceAttributes?: ReviewAttributes; nonResourceAttributes?: { path?: string; verb?: string } };
  };
  try {
    body = JSON.parse(req.text() || "{}");
  } catch (err) {
    return status(400, "BadRequest", (err as Error).message);
  }
  const attrs = body.spec?.resourceAttributes;
  const forbidden = new Set(world.scenario.kubernetes.forbidden.map((f) => f.toLowerCase()));
  let allowed = true;
  if (attrs?.resource) {
    const plural = attrs.resource.toLowerCase();
    const qualified = attrs.group ? `${plural}.${attrs.group}` : plural;
    const names = [plural, qualified];
    if (attrs.subresource) names.push(`${plural}/${attrs.subresource}`, `${qualified}/${attrs.subresource}`);
    allowed = !names.some((n) => forbidden.has(n));
  }
  return {
    status: 201,
    body: {
      kind: "SelfSubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: { creationTimestamp: null },
      spec: body.spec ?? {},
      status: allowed
        ? { allowed: true, reason: "the simulated operator may do this" }
        : { allowed: false, reason: "forbidden by the scenario's kubernetes.forbidden list" },
    },
  };
}
