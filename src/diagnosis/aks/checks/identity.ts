// The client id must name an identity in the tenant the token is exchanged in.
import { GUID_RE } from "../../compare.js";
import { valueOf } from "../../types.js";
import type { AksFacts } from "../facts.js";
import { names, sh, WI_CLIENT_ID, WI_TENANT_ID } from "../names.js";
import { aksCheck, unread } from "./define.js";

export function annotatedClientId(f: AksFacts): string | undefined {
  const v = valueOf(f.serviceAccount)?.metadata?.annotations?.[WI_CLIENT_ID]?.trim();
  return v && GUID_RE.test(v) ? v : undefined;
}

/** The tenant the webhook injects: the annotation, else the cluster's default, else what the pods carry. */
export function effectiveTenantId(f: AksFacts): string | undefined {
  return (
    valueOf(f.serviceAccount)?.metadata?.annotations?.[WI_TENANT_ID]?.trim() || f.defaultTenantId || podTenantId(f)
  );
}

/** AZURE_TENANT_ID as injected into the pods in scope, when they agree on one. */
function podTenantId(f: AksFacts): string | undefined {
  const seen = new Set<string>();
  for (const pod of valueOf(f.pods) ?? [])
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])])
      for (const e of c.env ?? [])
        if (e.name === "AZURE_TENANT_ID" && e.value && GUID_RE.test(e.value)) seen.add(e.value);
  return seen.size === 1 ? [...seen][0] : undefined;
}

export const identityNotFound = aksCheck({
  id: "identity.not-found",
  doc: {
    meaning:
      "No user-assigned identity (in the visible subscriptions) or app registration has that client id. When the GUID is an identity's principal (object) id, the finding names that identity and its real client id.",
    symptom: "AADSTS700016",
  },
  supersedes: ["exchange.failed"],
  severity: "error",
  confirms: ["fic_missing", "wrong_client_id", "app_not_found_in_tenant"],
  essential: true,
  title: "The client id belongs to a managed identity or app registration",
  skippedBecause: (f) => {
    if (!annotatedClientId(f)) return "the service account has no valid client id annotation";
    if (f.identity.status !== "ok") return `the identity could not be looked up: ${f.identity.reason}`;
    return undefined;
  },
  run(f) {
    if (valueOf(f.identity)) return [];
    const n = names(f);
    const clientId = annotatedClientId(f)!;
    const meant = f.identityByPrincipalId;
    if (meant) {
      return [
        {
          id: this.id,
          severity: "error",
          title: `The client-id annotation holds the principal (object) id of ${meant.name}, not its client id (AADSTS700016 at exchange time)`,
          evidence: {
            annotated: clientId,
            identity: meant.name,
            principalId: meant.principalId,
            clientId: meant.clientId,
          },
          fix: {
            summary: `Annotate the service account with ${meant.name}'s client id, then restart the pods.`,
            commands: [
              `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${WI_CLIENT_ID}=${sh(meant.clientId)} --overwrite`,
            ],
          },
        },
      ];
    }
    return [
      {
        id: this.id,
        severity: "error",
        title: `No managed identity or app registration with client id ${clientId} is visible (AADSTS700016 at exchange time)`,
        evidence: {
          clientId,
          searched: "user-assigned identities in the visible subscriptions, then app registrations by appId",
        },
        fix: {
          summary: "Put the client id of an existing identity on the service account (or create the identity).",
          commands: [
            'az identity list --query "[].{name:name, resourceGroup:resourceGroup, clientId:clientId}" -o table',
            `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${WI_CLIENT_ID}=<client-id> --overwrite`,
          ],
        },
      },
    ];
  },
});

export const identityTenantMismatch = aksCheck({
  id: "identity.tenant-mismatch",
  doc: {
    meaning:
      "The pod authenticates against a tenant (tenant-id annotation, else the webhook's default, else the `AZURE_TENANT_ID` the pods carry) other than the identity's.",
    symptom: "AADSTS700016, AADSTS90002",
  },
  supersedes: ["exchange.failed"],
  severity: "error",
  confirms: ["app_not_found_in_tenant", "wrong_tenant"],
  essential: (f) => unread(f.identity),
  title: "The identity lives in the tenant the pod authenticates against",
  skippedBecause: (f) =>
    valueOf(f.identity) && effectiveTenantId(f) ? undefined : "needs the identity and the tenant the webhook injects",
  run(f) {
    const identity = valueOf(f.identity)!;
    const tenant = effectiveTenantId(f)!;
    if (identity.tenantId.toLowerCase() === tenant.toLowerCase()) return [];
    const n = names(f);
    const fromAnnotation = Boolean(valueOf(f.serviceAccount)?.metadata?.annotations?.[WI_TENANT_ID]);
    return [
      {
        id: this.id,
        severity: "error",
        title: "The pod authenticates against a different tenant than the identity's",
        evidence: {
          identityTenantId: identity.tenantId,
          podTenantId: tenant,
          podTenantFrom: fromAnnotation
            ? `annotation ${WI_TENANT_ID}`
            : f.defaultTenantId
              ? "the webhook's default (azure-wi-webhook-config)"
              : "AZURE_TENANT_ID in the running pods",
        },
        fix: {
          summary: "Set the tenant-id annotation to the identity's tenant, then restart the pods.",
          commands: [
            `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${WI_TENANT_ID}=${sh(identity.tenantId)} --overwrite`,
          ],
        },
      },
    ];
  },
});
