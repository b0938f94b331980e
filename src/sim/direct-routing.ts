// Requests addressed to the simulator itself (https://127.0.0.1:PORT, as AWS_ENDPOINT_URL or an authority host
// makes clients send them) carry no real host name. Which service they are meant for shows in the request:
// the Signature Version 4 credential scope, the AWS query Action, or the path's shape.
import type { DirectRequest, SimWorld } from "./world.js";

const STS_ACTIONS = new Set([
  "AssumeRoleWithWebIdentity",
  "AssumeRole",
  "GetCallerIdentity",
  "GetSessionToken",
  "AssumeRoleWithSAML",
  "DecodeAuthorizationMessage",
  "GetAccessKeyInfo",
  "GetFederationToken",
]);

/** The service named in a SigV4 Authorization header's credential scope (…/date/region/service/aws4_request). */
function sigV4Scope(headers: DirectRequest["headers"]): { region: string; service: string } | undefined {
  const auth = headers.authorization;
  if (typeof auth !== "string") return undefined;
  const m = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/.exec(auth);
  return m ? { region: m[1], service: m[2] } : undefined;
}

function awsHost(service: string, region: string): string | undefined {
  if (service === "iam") return "iam.amazonaws.com";
  if (service === "sts") return `sts.${region}.amazonaws.com`;
  if (service === "eks") return `eks.${region}.amazonaws.com`;
  if (service === "eks-auth") return `eks-auth.${region}.api.aws`;
  return undefined;
}

const KUBE_PATHS = /^\/(api|apis|version|healthz|livez|readyz|openid)(\/|$)/;

/** The real host name a request to the simulator's own address is meant for, or undefined. */
export function hostForDirectRequest(req: DirectRequest, world: SimWorld): string | undefined {
  const region = world.scenario.aws?.region ?? "us-west-2";
  const scope = sigV4Scope(req.headers);
  if (scope) return awsHost(scope.service, scope.region);
  const action =
    req.query.get("Action") ??
    (req.method === "POST" ? new URLSearchParams(req.body.toString("utf8")).get("Action") : null);
  if (action) return STS_ACTIONS.has(action) ? `sts.${region}.amazonaws.com` : "iam.amazonaws.com";
  const path = req.path;
  if (KUBE_PATHS.test(path) || path === "/.well-known/openid-configuration") return world.apiServerHost;
  if (/^\/(subscriptions|providers|tenants)(\/|$)/i.test(path)) return "management.azure.com";
  if (/^\/(v1\.0|beta)(\/|$)/.test(path)) return "graph.microsoft.com";
  if (/^\/clusters(\/|$)/.test(path)) return `eks.${region}.amazonaws.com`;
  // Entra: /{tenant}/oauth2/…, /{tenant}/v2.0/.well-known/…, /common/discovery/instance, /{tenant}/discovery/…
  if (/^\/[^/]+\/(oauth2|v2\.0|discovery|\.well-known)(\/|$)/.test(path) || /^\/common\/discovery/.test(path)) {
    return "login.microsoftonline.com";
  }
  return undefined;
}
