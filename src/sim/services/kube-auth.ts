// The simulated API server's TokenReview and SubjectAccessReview, driven by the scenario's kubernetes.callers:
// a caller's bearer token authenticates as its user name, and its rules say what a SubjectAccessReview allows.
import type { Scenario } from "../scenario.js";
import type { SimRequest, SimResponse, SimWorld } from "../world.js";
import { status } from "./kube-status.js";

type Callers = Scenario["kubernetes"]["callers"];

const TOKEN_REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews";
const ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

function bad(message: string): SimResponse {
  return status(400, "BadRequest", message);
}

function body(req: SimRequest): Record<string, unknown> | undefined {
  try {
    const b = req.json();
    return b && typeof b === "object" && !Array.isArray(b) ? (b as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function tokenReview(callers: Callers, req: SimRequest): SimResponse {
  const b = body(req);
  const spec = (b?.spec ?? {}) as { token?: unknown; audiences?: unknown };
  if (typeof spec.token !== "string" || !spec.token) return bad("spec.token: Required value");
  const caller = callers.find((c) => c.token === spec.token);
  const status = caller
    ? {
        authenticated: true,
        user: { username: caller.username, uid: caller.uid, groups: caller.groups },
        audiences: Array.isArray(spec.audiences) ? spec.audiences : undefined,
      }
    : { authenticated: false, error: "invalid bearer token" };
  return {
    status: 201,
    body: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenReview",
      metadata: {},
      spec: { audiences: spec.audiences },
      status,
    },
  };
}

interface Attributes {
  verb?: string;
  resource?: string;
  group?: string;
  namespace?: string;
  subresource?: string;
}

function matches(list: string[] | undefined, value: string | undefined): boolean {
  return list === undefined || list.includes("*") || list.includes(value ?? "");
}

/** Whether the user may: the operator may do anything not forbidden; callers what their rules grant. */
function decide(world: SimWorld, operator: string, user: string, a: Attributes): boolean {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : (a.resource ?? "");
  if (user === operator) {
    return !world.scenario.kubernetes.forbidden.some((f) => f.toLowerCase() === (a.resource ?? "").toLowerCase());
  }
  const caller = world.scenario.kubernetes.callers.find((c) => c.username === user);
  return (caller?.allow ?? []).some(
    (r) =>
      matches(r.verbs, a.verb) &&
      matches(r.resources, resource) &&
      matches(r.apiGroups, a.group ?? "") &&
      // A rule limited to namespaces never grants a cluster-wide request.
      (r.namespaces === undefined ||
        (a.namespace !== undefined && a.namespace !== "" && r.namespaces.includes(a.namespace))),
  );
}

function accessReview(world: SimWorld, operator: string, req: SimRequest): SimResponse {
  const b = body(req);
  const spec = (b?.spec ?? {}) as { user?: unknown; groups?: unknown; resourceAttributes?: Attributes };
  if (typeof spec.user !== "string" || !spec.user) return bad("spec.user: Required value");
  if (!spec.resourceAttributes || typeof spec.resourceAttributes !== "object") {
    return bad("spec.resourceAttributes: Required value");
  }
  const allowed = decide(world, operator, spec.user, spec.resourceAttributes);
  return {
    status: 201,
    body: {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      metadata: {},
      spec,
      status: allowed ? { allowed: true, reason: "allowed by the scenario's rules" } : { allowed: false },
    },
  };
}

/** TokenReview or SubjectAccessReview; undefined for any other request. */
export function authReview(world: SimWorld, operator: string, req: SimRequest, path: string): SimResponse | undefined {
  if (req.method !== "POST") return undefined;
  if (path === TOKEN_REVIEWS) return tokenReview(world.scenario.kubernetes.callers, req);
  if (path === ACCESS_REVIEWS) return accessReview(world, operator, req);
  return undefined;
}
