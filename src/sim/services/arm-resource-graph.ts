// Azure Resource Graph (POST /providers/Microsoft.ResourceGraph/resources), as far as wi-doctor queries it: the
// user-assigned identities whose client or principal id is the one asked, across the subscriptions named in the
// body. Other queries are refused the way the service refuses a query it cannot parse.
import type { SimRequest, SimResponse } from "../world.js";

export interface ResourceGraphRow {
  id: string;
  name: string;
  type: string;
  location: string;
  subscriptionId: string;
  resourceGroup: string;
  tenantId: string;
  properties: Record<string, unknown>;
}

const QUERY =
  /^resources\s*\|\s*where\s+type\s*=~\s*'microsoft\.managedidentity\/userassignedidentities'\s*\|\s*where\s+properties\.(clientId|principalId)\s*=~\s*'([^']*)'\s*\|\s*project\s+([\w\s,]+)$/i;

function badRequest(message: string, code = "InvalidQuery"): SimResponse {
  return {
    status: 400,
    body: {
      error: {
        code: "BadRequest",
        message: "Please provide below info when asking for support: timestamp, correlationId.",
        details: [{ code, message }],
      },
    },
  };
}

/** `rows`: the identities the caller may read (RBAC already applied), as Resource Graph holds them. */
export function resourceGraphQuery(req: SimRequest, rows: ResourceGraphRow[]): SimResponse {
  let body: { subscriptions?: unknown; query?: unknown; options?: { resultFormat?: string } };
  try {
    body = req.json() as typeof body;
  } catch {
    return badRequest("The request content was invalid and could not be deserialized.", "InvalidRequestContent");
  }
  if (typeof body?.query !== "string") return badRequest("The query is missing.", "InvalidRequestContent");
  const m = QUERY.exec(body.query.trim());
  if (!m) {
    return badRequest(
      "Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying.",
    );
  }
  const [, field, value, projection] = m;
  const subs = Array.isArray(body.subscriptions) ? body.subscriptions.map((s) => String(s).toLowerCase()) : undefined;
  const columns = projection.split(",").map((c) => c.trim());
  const data = rows
    .filter((r) => !subs || subs.includes(r.subscriptionId.toLowerCase()))
    .filter((r) => String(r.properties[field] ?? "").toLowerCase() === value.toLowerCase())
    .map((r) => Object.fromEntries(columns.map((c) => [c, (r as unknown as Record<string, unknown>)[c] ?? null])));
  return {
    status: 200,
    body: { totalRecords: data.length, count: data.length, data, facets: [], resultTruncated: "false" },
  };
}
