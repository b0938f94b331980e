// Simulated IAM (Query protocol, XML): the OIDC providers and roles a scenario declares.
import type { SimRequest, SimResponse, SimService, SimWorld } from "../world.js";
import {
  el,
  escapeUri,
  fakeId,
  members,
  partitionOf,
  querySuccess,
  queryError,
  simProviderArn,
  simProviderUrl,
  simRoleArn,
  verifySigV4,
} from "./aws-common.js";
import { noteWrite } from "./propagation.js";
import { wildcardMatches } from "../../diagnosis/wildcard.js";

const NS = "https://iam.amazonaws.com/doc/2010-05-08/";
const CREATED = "2024-01-15T10:00:00Z";

function findProvider(world: SimWorld, arn: string) {
  return world.scenario.aws?.oidcProviders.find((p) => simProviderArn(world, p.url) === arn);
}

/** A role of the operator's account (IAM answers only for the caller's account). */
export function findRole(world: SimWorld, name: string) {
  const aws = world.scenario.aws;
  return aws?.roles.find(
    (r) => r.roleName.toLowerCase() === name.toLowerCase() && (r.accountId ?? aws.accountId) === aws.accountId,
  );
}

/** A role by ARN in any account the world holds, as STS resolves it. */
export function findRoleByArn(world: SimWorld, arn: string) {
  const aws = world.scenario.aws;
  const m = /^arn:[a-z-]+:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!aws || !m) return undefined;
  return aws.roles.find(
    (r) => r.roleName.toLowerCase() === m[2].toLowerCase() && (r.accountId ?? aws.accountId) === m[1],
  );
}

/** A trust policy as IAM validates it: JSON with a Statement list whose entries have Effect, Principal and Action. */
function parsePolicy(text: string): Record<string, unknown> | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return "This policy contains invalid Json";
  }
  const statements = (doc as { Statement?: unknown })?.Statement;
  const list = Array.isArray(statements) ? statements : statements ? [statements] : [];
  if (!list.length) return "Syntax errors in policy.";
  for (const st of list as Record<string, unknown>[]) {
    if (st.Effect !== "Allow" && st.Effect !== "Deny") return "Invalid effect in policy.";
    if (!st.Principal) return "Missing required field Principal";
    if (!st.Action) return "Missing required field Action";
  }
  return doc as Record<string, unknown>;
}

/** A Query-protocol list parameter: Name.member.1, Name.member.2, … */
function listParam(form: URLSearchParams, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; form.has(`${name}.member.${i}`); i++) out.push(form.get(`${name}.member.${i}`) ?? "");
  return out;
}

/** A role's inline permission policies: ListRolePolicies and GetRolePolicy (the document URL-encoded, as IAM sends it). */
function rolePolicies(action: string, form: URLSearchParams, world: SimWorld): SimResponse {
  const name = form.get("RoleName") ?? "";
  const role = findRole(world, name);
  if (!role) return queryError(404, NS, "NoSuchEntity", `The role with name ${name} cannot be found.`);
  if (action === "ListRolePolicies") {
    const names = members("PolicyNames", Object.keys(role.inlinePolicies));
    return querySuccess(action, NS, `<IsTruncated>false</IsTruncated>${names}`);
  }
  const policyName = form.get("PolicyName") ?? "";
  const doc = role.inlinePolicies[policyName];
  if (!doc) return queryError(404, NS, "NoSuchEntity", `The role policy with name ${policyName} cannot be found.`);
  const encoded = escapeUri(JSON.stringify(doc));
  return querySuccess(
    action,
    NS,
    el("RoleName", role.roleName) + el("PolicyName", policyName) + el("PolicyDocument", encoded),
  );
}

/** The operator's ARN, as GetCallerIdentity answers it. */
const OPERATOR = (world: SimWorld) =>
  `arn:${partitionOf(world.scenario.aws?.region ?? "")}:iam::${world.scenario.aws?.accountId}:user/wi-doctor-operator`;

/** Whether a policy of the operator allows the action (the scenario lists the ones none allows). */
function operatorAllowed(world: SimWorld, action: string): boolean {
  return !(world.scenario.aws?.operatorDeniedActions ?? []).some((p) =>
    wildcardMatches(p, action, { ignoreCase: true, question: true }),
  );
}

function accessDenied(world: SimWorld, action: string, resource: string): SimResponse {
  return queryError(
    403,
    NS,
    "AccessDenied",
    `User: ${OPERATOR(world)} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
  );
}

const WRITES: Record<string, (form: URLSearchParams, world: SimWorld) => string> = {
  CreateOpenIDConnectProvider: (form) => `oidc-provider ${form.get("Url") ?? ""}`,
  AddClientIDToOpenIDConnectProvider: (form) => form.get("OpenIDConnectProviderArn") ?? "",
  UpdateAssumeRolePolicy: (form, world) => simRoleArn(world, { roleName: form.get("RoleName") ?? "", path: "/" }),
};

/** SimulatePrincipalPolicy: each action on each resource, allowed unless the scenario denies it to the operator. */
function simulatePrincipalPolicy(form: URLSearchParams, world: SimWorld): SimResponse {
  const source = form.get("PolicySourceArn") ?? "";
  if (source !== OPERATOR(world)) {
    return queryError(404, NS, "NoSuchEntity", `The user with name ${source.split("/").pop()} cannot be found.`);
  }
  const actions = listParam(form, "ActionNames");
  if (!actions.length) return queryError(400, NS, "ValidationError", "ActionNames must not be empty");
  const resources = listParam(form, "ResourceArns");
  const rows = actions.flatMap((a) =>
    (resources.length ? resources : ["*"]).map(
      (r) =>
        `<member>${el("EvalActionName", a)}${el("EvalResourceName", r)}${el(
          "EvalDecision",
          operatorAllowed(world, a) ? "allowed" : "implicitDeny",
        )}<MatchedStatements/><MissingContextValues/></member>`,
    ),
  );
  return querySuccess(
    "SimulatePrincipalPolicy",
    NS,
    `<IsTruncated>false</IsTruncated><EvaluationResults>${rows.join("")}</EvaluationResults>`,
  );
}

function handleIam(req: SimRequest, world: SimWorld): SimResponse {
  if (req.method !== "POST" && req.method !== "GET")
    return queryError(400, NS, "InvalidAction", "IAM accepts GET or POST requests with an Action parameter.");
  const sig = verifySigV4(req);
  if (!sig.ok) return queryError(sig.code === "MissingAuthenticationToken" ? 403 : 403, NS, sig.code, sig.message);
  const aws = world.scenario.aws;
  if (!aws)
    return queryError(403, NS, "InvalidClientTokenId", "The security token included in the request is invalid.");
  const form = req.form();
  const action = form.get("Action") ?? "";
  const write = WRITES[action];
  if (write && !operatorAllowed(world, `iam:${action}`))
    return accessDenied(world, `iam:${action}`, write(form, world));
  switch (action) {
    case "SimulatePrincipalPolicy":
      return simulatePrincipalPolicy(form, world);
    case "ListOpenIDConnectProviders":
      return querySuccess(
        action,
        NS,
        `<OpenIDConnectProviderList>${aws.oidcProviders
          .map((p) => `<member>${el("Arn", simProviderArn(world, p.url))}</member>`)
          .join("")}</OpenIDConnectProviderList>`,
      );
    case "GetOpenIDConnectProvider": {
      const arn = form.get("OpenIDConnectProviderArn") ?? "";
      const p = findProvider(world, arn);
      if (!p) return queryError(404, NS, "NoSuchEntity", `OpenIDConnect Provider not found for arn ${arn}`);
      return querySuccess(
        action,
        NS,
        members("ThumbprintList", p.thumbprintList) +
          el("CreateDate", CREATED) +
          members("ClientIDList", p.clientIDList) +
          el("Url", simProviderUrl(p.url)) +
          "<Tags/>",
      );
    }
    case "CreateOpenIDConnectProvider": {
      // IAM's documented rules: an https URL without query or fragment, at most 100 client ids of up to 255
      // characters, thumbprints of 40 hex characters (optional since IAM secures the well-known issuers itself).
      const url = form.get("Url") ?? "";
      const clientIds = listParam(form, "ClientIDList");
      const thumbprints = listParam(form, "ThumbprintList");
      if (!/^https:\/\/[^?#\s]+$/i.test(url) || url.length > 255)
        return queryError(400, NS, "InvalidInput", `The URL ${url} is not a valid https URL.`);
      if (clientIds.length > 100 || clientIds.some((c) => !c || c.length > 255))
        return queryError(400, NS, "InvalidInput", "ClientIDList: each client id must have 1 to 255 characters.");
      if (thumbprints.some((t) => !/^[0-9a-fA-F]{40}$/.test(t)))
        return queryError(400, NS, "InvalidInput", "Thumbprint must be 40 hexadecimal characters.");
      const arn = simProviderArn(world, url);
      if (findProvider(world, arn))
        return queryError(409, NS, "EntityAlreadyExists", `Provider with url ${url} already exists.`);
      aws.oidcProviders.push({ url, clientIDList: clientIds, thumbprintList: thumbprints, thumbprintMatches: true });
      return querySuccess(action, NS, el("OpenIDConnectProviderArn", arn) + "<Tags/>");
    }
    case "AddClientIDToOpenIDConnectProvider": {
      const arn = form.get("OpenIDConnectProviderArn") ?? "";
      const clientId = form.get("ClientID") ?? "";
      const p = findProvider(world, arn);
      if (!p) return queryError(404, NS, "NoSuchEntity", `OpenIDConnect Provider not found for arn ${arn}`);
      if (!clientId || clientId.length > 255)
        return queryError(400, NS, "InvalidInput", "ClientID must have 1 to 255 characters.");
      // Adding a client id the provider already lists succeeds without a change.
      if (!p.clientIDList.includes(clientId)) p.clientIDList.push(clientId);
      return querySuccess(action, NS, "");
    }
    case "GetRole": {
      const name = form.get("RoleName") ?? "";
      const role = findRole(world, name);
      if (!role) return queryError(404, NS, "NoSuchEntity", `The role with name ${name} cannot be found.`);
      // The real service URL-encodes the trust policy (RFC 3986); SDKs hand it back still encoded.
      const encoded = escapeUri(JSON.stringify(role.assumeRolePolicyDocument));
      return querySuccess(
        action,
        NS,
        "<Role>" +
          el("Path", role.path) +
          el("AssumeRolePolicyDocument", encoded) +
          el("MaxSessionDuration", role.maxSessionDuration) +
          el("RoleId", fakeId("AROA", `${aws.accountId}/${role.roleName}`)) +
          "<RoleLastUsed/>" +
          el("RoleName", role.roleName) +
          el("Arn", simRoleArn(world, role)) +
          el("CreateDate", CREATED) +
          "</Role>",
      );
    }
    case "ListAttachedRolePolicies": {
      const name = form.get("RoleName") ?? "";
      const role = findRole(world, name);
      if (!role) return queryError(404, NS, "NoSuchEntity", `The role with name ${name} cannot be found.`);
      const policies = role.attachedPolicyArns
        .map((arn) => `<member>${el("PolicyName", arn.split("/").pop() ?? arn)}${el("PolicyArn", arn)}</member>`)
        .join("");
      return querySuccess(
        action,
        NS,
        `<IsTruncated>false</IsTruncated><AttachedPolicies>${policies}</AttachedPolicies>`,
      );
    }
    case "ListRolePolicies":
    case "GetRolePolicy":
      return rolePolicies(action, form, world);
    case "UpdateAssumeRolePolicy": {
      const name = form.get("RoleName") ?? "";
      const role = findRole(world, name);
      if (!role) return queryError(404, NS, "NoSuchEntity", `The role with name ${name} cannot be found.`);
      const doc = parsePolicy(form.get("PolicyDocument") ?? "");
      if (typeof doc === "string") return queryError(400, NS, "MalformedPolicyDocument", doc);
      role.assumeRolePolicyDocument = doc;
      noteWrite(world, role.roleName);
      return querySuccess(action, NS, "");
    }
    default:
      return queryError(400, NS, "InvalidAction", `Could not find operation ${action} for version 2010-05-08`);
  }
}

export const iamService: SimService = {
  name: "iam",
  matches: (host) =>
    host === "iam.amazonaws.com" || host === "iam.cn-north-1.amazonaws.com.cn" || host === "iam.us-gov.amazonaws.com",
  handle: handleIam,
  notFound: () => queryError(404, NS, "NotFound", "Unknown IAM route"),
};
