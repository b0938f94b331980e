// The Kubernetes API's Status body for a failed request, shared by the simulated API server's handlers.
import type { SimResponse } from "../world.js";

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason: string; message: string; field?: string }[];
}

export function status(code: number, reason: string, message: string, details?: StatusDetails): SimResponse {
  return {
    status: code,
    body: {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    },
  };
}
