// AzureIdentity: a valid resource id, and the client id ARM holds for it.
import type { PodIdFacts } from "../facts.js";
import { differenceReason } from "../../compare.js";
import { sh } from "../../aks/names.js";
import type { Finding } from "../../types.js";
import { valueOf as factOf } from "../../types.js";
import { derive, nsFlag, restartCommand, targetNamed } from "../derive.js";
import { IDENTITY_TYPES, parseIdentityResourceId, RESOURCE_ID_FORM } from "../facts.js";
import { podIdCheck, ranOrUnread } from "../define.js";
import { podNames, identitiesInScope, needIdentities, userAssigned } from "./shared.js";

export const identityResourceIdInvalid = podIdCheck({
  id: "podid.identity-resource-id-invalid",
  doc: {
    meaning:
      "A user-assigned AzureIdentity's `resourceID` is empty or not `/subscriptions/<sub>/resourcegroups/<rg>/providers/Microsoft.ManagedIdentity/userAssignedIdentities/<name>`; with MIC ≥ 1.6 the pre-1.6 spelling `resourceid` reads as empty. Also: `type` not 0 (user-assigned identity), 1 (service principal) or 2 (service principal with certificate), or the identity does not exist in ARM.",
    symptom: 'MIC: `Invalid resource id: ""`',
  },
  supersedes: ["podid.assigned-identity-missing"],
  severity: "error",
  confirms: ["nmi_identity_not_assigned"],
  essential(f) {
    return ranOrUnread(this, f, [f.pods, f.workload, f.bindings, f.identities]);
  },
  title: "Each AzureIdentity has a valid type and (user-assigned) a resourceID of the exact form MIC accepts",
  skippedBecause: needIdentities,
  run(f) {
    const findings: Finding[] = [];
    const arm = factOf(f.armIdentities);
    for (const i of identitiesInScope(f)) {
      const ref = `${i.namespace}/${i.name}`;
      const patchCmd = (spec: Record<string, unknown>) =>
        `kubectl patch azureidentity ${sh(i.name)} ${nsFlag(i.namespace)} --type=merge -p ${sh(JSON.stringify({ spec }))}`;
      const miscasedFix = i.miscased.map((m) => `${m.found} → ${m.expected}`);
      if (i.typeRaw !== undefined || (i.type !== undefined && !(i.type in IDENTITY_TYPES))) {
        const raw = i.typeRaw ?? i.type;
        const asNumber = typeof raw === "string" && /^[0-2]$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
        findings.push({
          id: this.id,
          severity: "error",
          title: `AzureIdentity ${ref} has spec.type ${JSON.stringify(raw)}; it must be the number 0, 1 or 2`,
          evidence: { identity: ref, type: raw, meanings: IDENTITY_TYPES },
          fix: {
            summary:
              "Set spec.type to 0 for a user-assigned managed identity (1: service principal, 2: service principal with certificate).",
            commands: [patchCmd({ type: asNumber ?? 0 })],
          },
        });
        continue;
      }
      if (!userAssigned(i)) continue;
      const parsed = parseIdentityResourceId(i.resourceID);
      if (!parsed) {
        const miscasedId = i.miscased.find((m) => m.expected === "resourceID");
        const candidate = miscasedId && typeof miscasedId.value === "string" ? miscasedId.value : undefined;
        const fields: Record<string, unknown> = {};
        for (const m of i.miscased) fields[m.expected] = m.value;
        findings.push({
          id: this.id,
          severity: "error",
          title: miscasedId
            ? `AzureIdentity ${ref} spells "${miscasedId.found}": MIC ≥ 1.6 reads "resourceID" and logs Invalid resource id: ""`
            : `AzureIdentity ${ref} has resourceID ${JSON.stringify(i.resourceID)}, not a user-assigned identity resource id`,
          evidence: {
            identity: ref,
            resourceID: i.resourceID,
            expectedForm: RESOURCE_ID_FORM,
            ...(i.miscased.length ? { miscasedFields: miscasedFix } : {}),
            ...(/^[0-9a-f-]{36}$/i.test(i.resourceID)
              ? { note: "this is a GUID (a client or principal id), not a resource id" }
              : {}),
          },
          fix: {
            summary: miscasedId
              ? "Rename the fields to the capitalisation MIC ≥ 1.6 requires (type, resourceID, clientID) and remove the old ones."
              : "Set resourceID to the identity's full resource id (`az identity show --query id`).",
            commands: miscasedId
              ? [
                  `kubectl patch azureidentity ${sh(i.name)} ${nsFlag(i.namespace)} --type=merge -p ${sh(
                    JSON.stringify({
                      spec: {
                        ...fields,
                        ...Object.fromEntries(i.miscased.map((m) => [m.found, null])),
                        ...(candidate ? { resourceID: candidate } : {}),
                      },
                    }),
                  )}`,
                ]
              : [
                  `az identity show --ids ${sh(i.resourceID || "<resource-id>")} --query id -o tsv   # or: az identity list --query ${sh(`[?clientId=='${i.clientID || "<client-id>"}'].id`)} -o tsv`,
                  patchCmd({ resourceID: "<resource id from the command above>" }),
                ],
          },
        });
        continue;
      }
      const key = i.resourceID.toLowerCase();
      if (arm && Object.hasOwn(arm, key) && arm[key] === null) {
        findings.push({
          id: this.id,
          severity: "error",
          title: `AzureIdentity ${ref} points at ${parsed.name} in ${parsed.resourceGroup}, which does not exist in ARM`,
          evidence: { identity: ref, resourceID: i.resourceID, arm: "ResourceNotFound" },
          fix: {
            summary: "Create the identity, or point resourceID (and clientID) at one that exists.",
            commands: [
              `az identity list --subscription ${sh(parsed.subscriptionId)} --query "[].{name:name, id:id, clientId:clientId}" -o table`,
              patchCmd({ resourceID: "<existing identity resource id>", clientID: "<its client id>" }),
            ],
          },
        });
      }
    }
    return findings;
  },
});

/** The client ids the workload asks NMI for: AZURE_CLIENT_ID, --identity-client-id, a pod-identity SecretProviderClass. */
function requestedClientIds(f: PodIdFacts): { where: string; clientId: string }[] {
  const requested: { where: string; clientId: string }[] = [];
  const d = derive(f);
  const templateSpec = factOf(f.workload)?.podTemplate.spec;
  const specs = templateSpec ? [templateSpec] : d.pods.map((p) => p.spec).filter((s) => !!s);
  for (const spec of specs.slice(0, 1)) {
    for (const c of spec?.containers ?? []) {
      for (const e of c.env ?? []) {
        if (e.name === "AZURE_CLIENT_ID" && e.value)
          requested.push({ where: `container ${c.name} env AZURE_CLIENT_ID`, clientId: e.value });
      }
      for (const a of [...(c.command ?? []), ...(c.args ?? [])]) {
        const m = /^--(?:identity-client-id|client-id)=(.+)$/.exec(a);
        if (m) requested.push({ where: `container ${c.name} argument ${a.split("=")[0]}`, clientId: m[1] });
      }
    }
    const spcNames = (spec?.volumes ?? [])
      .map((v) => v.csi?.volumeAttributes?.secretProviderClass)
      .filter((n): n is string => !!n);
    for (const spc of factOf(f.secretProviderClasses) ?? []) {
      if (!spcNames.includes(spc.name)) continue;
      if (String(spc.parameters.usePodIdentity).toLowerCase() !== "true") continue;
      const id = spc.parameters.userAssignedIdentityID;
      if (id) requested.push({ where: `SecretProviderClass ${spc.name} userAssignedIdentityID`, clientId: id });
    }
  }
  return requested;
}

export const clientIdMismatch = podIdCheck({
  id: "podid.client-id-mismatch",
  doc: {
    meaning:
      "The AzureIdentity's `clientID` is empty (`clientid` spelling) or not the identity's client id in ARM (often its principal id); or the workload asks NMI for a client id that is not bound to it (`AZURE_CLIENT_ID`, `--identity-client-id`, or a SecretProviderClass `userAssignedIdentityID` with `usePodIdentity: \"true\"`).",
    symptom: 'NMI 404 "getting assigned identities for pod … in CREATED state failed"',
  },
  severity: "error",
  confirms: ["wrong_client_id", "nmi_identity_not_assigned"],
  essential(f) {
    return ranOrUnread(this, f, [f.pods, f.workload, f.bindings, f.identities, f.armIdentities]);
  },
  title: "clientID agrees between the AzureIdentity, ARM, and what the pod asks NMI for",
  // Without ARM's view only an empty clientID can be judged: anything else would pass unverified.
  skippedBecause: (f) =>
    needIdentities(f) ??
    (f.armIdentities.status !== "ok" && identitiesInScope(f).every((i) => i.clientID)
      ? `the identities could not be read from ARM to compare their client ids: ${f.armIdentities.reason}`
      : undefined),
  run(f) {
    const findings: Finding[] = [];
    const arm = factOf(f.armIdentities);
    const scoped = identitiesInScope(f);
    for (const i of scoped) {
      const ref = `${i.namespace}/${i.name}`;
      const armIdentity = arm?.[i.resourceID.toLowerCase()];
      const miscasedClient = i.miscased.find((m) => m.expected === "clientID");
      if (!i.clientID) {
        findings.push({
          id: this.id,
          severity: "error",
          title: miscasedClient
            ? `AzureIdentity ${ref} spells "${miscasedClient.found}"; MIC ≥ 1.6 reads "clientID", so it is empty`
            : `AzureIdentity ${ref} has no clientID`,
          evidence: { identity: ref, clientID: "", found: miscasedClient?.found, armClientId: armIdentity?.clientId },
          fix: {
            summary: "Set spec.clientID to the identity's client id.",
            commands: [
              `kubectl patch azureidentity ${sh(i.name)} ${nsFlag(i.namespace)} --type=merge -p ${sh(
                JSON.stringify({
                  spec: {
                    clientID: armIdentity?.clientId ?? miscasedClient?.value ?? "<client-id>",
                    ...(miscasedClient ? { [miscasedClient.found]: null } : {}),
                  },
                }),
              )}`,
            ],
          },
        });
        continue;
      }
      if (userAssigned(i) && armIdentity && armIdentity.clientId.toLowerCase() !== i.clientID.toLowerCase()) {
        findings.push({
          id: this.id,
          severity: "error",
          title: `AzureIdentity ${ref} clientID is not the client id of ${armIdentity.name}`,
          evidence: {
            identity: ref,
            azureIdentityClientID: i.clientID,
            armClientId: armIdentity.clientId,
            resourceID: i.resourceID,
            reason:
              armIdentity.clientId === i.clientID
                ? undefined
                : i.clientID === armIdentity.principalId
                  ? "this is the principal (object) id, not the client id"
                  : "different value",
          },
          fix: {
            summary:
              "NMI asks IMDS for a token with this client id; use the identity's clientId (not its principalId).",
            commands: [
              `kubectl patch azureidentity ${sh(i.name)} ${nsFlag(i.namespace)} --type=merge -p ${sh(
                JSON.stringify({ spec: { clientID: armIdentity.clientId } }),
              )}`,
            ],
          },
        });
      }
    }
    // What the workload asks for: an explicit client id must be one of the identities bound to it.
    if (!targetNamed(f)) return findings;
    const boundIds = scoped.map((i) => i.clientID.toLowerCase()).filter(Boolean);
    if (boundIds.length === 0) return findings;
    const d = derive(f);
    const requested = requestedClientIds(f);
    for (const r of requested) {
      if (boundIds.includes(r.clientId.toLowerCase())) continue;
      const isSpc = r.where.startsWith("SecretProviderClass");
      findings.push({
        id: this.id,
        severity: "error",
        title: `${r.where} asks NMI for client id ${r.clientId}, which is not bound to the pod`,
        evidence: {
          requested: r.clientId,
          where: r.where,
          boundClientIds: scoped.map((i) => ({ azureIdentity: `${i.namespace}/${i.name}`, clientID: i.clientID })),
          reason: differenceReason(scoped[0].clientID, r.clientId),
          ...(f.errorText && /CREATED state/i.test(f.errorText)
            ? { errorText: "NMI gave up waiting for an assigned identity with this client id (404 … in CREATED state)" }
            : {}),
        },
        fix: {
          summary: isSpc
            ? "NMI only hands out identities bound to the pod: set the SecretProviderClass userAssignedIdentityID to the bound identity's clientID (or leave it empty to use the bound one)."
            : "Request the client id of the identity bound to the pod, or bind the identity the workload asks for.",
          commands: isSpc
            ? [
                `kubectl patch secretproviderclass ${sh(r.where.split(" ")[1])} ${nsFlag(f.target.namespace)} --type=merge -p ${sh(
                  JSON.stringify({ spec: { parameters: { userAssignedIdentityID: scoped[0].clientID } } }),
                )}`,
                restartCommand(d, f.target.namespace, podNames(f)),
              ]
            : [
                `kubectl set env ${d.workloadRef ? sh(d.workloadRef) : "deployment/<name>"} ${nsFlag(f.target.namespace)} AZURE_CLIENT_ID=${sh(scoped[0].clientID)}`,
              ],
        },
      });
    }
    return findings;
  },
});
