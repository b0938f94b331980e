// The service account carries the identity's client id; typos here are silent until the token exchange.
import { closestKnownKey, GUID_RE } from "../../compare.js";
import type { Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import type { AksFacts } from "../facts.js";
import { names, sh, WI_CLIENT_ID, WI_TENANT_ID, WI_TOKEN_EXPIRATION } from "../names.js";
import { aksCheck } from "./define.js";

const KNOWN_KEYS = [WI_CLIENT_ID, WI_TENANT_ID, WI_TOKEN_EXPIRATION];

const needSa = (f: AksFacts) => {
  if (f.serviceAccount.status !== "ok") return `the service account could not be read: ${f.serviceAccount.reason}`;
  if (!f.serviceAccount.value) return "the service account does not exist";
  return undefined;
};

function annotations(f: AksFacts): Record<string, string> {
  return valueOf(f.serviceAccount)?.metadata?.annotations ?? {};
}

export const saNotFound = aksCheck({
  id: "sa.not-found",
  doc: {
    meaning: "The service account the workload runs as does not exist.",
    symptom: "pods not created; no subject to present",
  },
  severity: "error",
  confirms: ["fic_subject_mismatch"],
  essential: true,
  title: "The service account exists",
  skippedBecause: (f) =>
    f.serviceAccount.status !== "ok" ? `the service account could not be read: ${f.serviceAccount.reason}` : undefined,
  run(f) {
    if (valueOf(f.serviceAccount)) return [];
    const n = names(f);
    return [
      {
        id: this.id,
        severity: "error",
        title: `Service account ${n.namespace}/${n.serviceAccount} does not exist`,
        evidence: { namespace: n.namespace, serviceAccount: n.serviceAccount },
        fix: {
          summary: "Create the service account with the identity's client id, or point the workload at the right one.",
          commands: [
            `kubectl create serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)}`,
            `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${WI_CLIENT_ID}=${sh(n.clientId)} --overwrite`,
          ],
        },
      },
    ];
  },
});

/** Keys that look like ours but are not: the webhook ignores them silently. */
export function nearMissKeys(ann: Record<string, string>): { key: string; meant: string }[] {
  const out: { key: string; meant: string }[] = [];
  for (const key of Object.keys(ann)) {
    if (KNOWN_KEYS.includes(key)) continue;
    const lower = key.toLowerCase();
    if (!/azure|workload|identity|client|tenant/.test(lower)) continue;
    const meant = closestKnownKey(lower.replace(/_/g, "-").replace(".io/", "/"), KNOWN_KEYS, 6);
    if (meant) out.push({ key, meant });
  }
  return out;
}

export const saAnnotationTypo = aksCheck({
  id: "sa.annotation-typo",
  doc: {
    severity: "error (warning if the right key is also set)",
    meaning:
      "A near-miss key such as `azure.workload.identity/client_id` or `azure.workload.identity.io/client-id`: the webhook ignores it.",
    symptom: "missing `AZURE_CLIENT_ID`",
  },
  supersedes: ["sa.client-id-missing"],
  severity: "error",
  confirms: ["missing_env_config"],
  essential: true,
  title: "No near-miss workload identity annotation keys",
  skippedBecause: needSa,
  run(f) {
    const ann = annotations(f);
    const n = names(f);
    return nearMissKeys(ann).map(
      ({ key, meant }): Finding => ({
        id: this.id,
        severity: ann[meant] ? "warning" : "error",
        title: `Annotation "${key}" is not read by the webhook; the key is "${meant}"`,
        evidence: { found: key, expected: meant, value: ann[key] },
        fix: {
          summary: `Move the value to ${meant} and remove the misspelt key.`,
          commands: [
            `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${meant}=${sh(ann[key])} ${sh(`${key}-`)} --overwrite`,
          ],
        },
      }),
    );
  },
});

export const saClientIdMissing = aksCheck({
  id: "sa.client-id-missing",
  doc: {
    severity:
      "error (info when no service account was named and the pods' account lacks the client id while another account in the namespace carries one: then `pod.service-account-mismatch` leads)",
    meaning:
      "No `azure.workload.identity/client-id` annotation. The webhook then leaves `AZURE_CLIENT_ID` out of the pod (it injects no empty values); that alone does not make the pod unmutated.",
    symptom: '"no client ID specified", AADSTS700016 with an empty client',
  },
  severity: "error",
  confirms: ["missing_env_config"],
  essential: true,
  title: "The service account names the identity's client id",
  skippedBecause: needSa,
  run(f) {
    const ann = annotations(f);
    if (ann[WI_CLIENT_ID]?.trim()) return [];
    const n = names(f);
    // When another account in the namespace carries the client id, the pods are on the wrong account: that
    // finding leads, and annotating this one would be the wrong fix.
    const elsewhere = f.target.serviceAccount ? [] : (f.serviceAccountCandidates ?? []);
    return [
      {
        id: this.id,
        severity: elsewhere.length ? "info" : "error",
        title: `Service account ${n.namespace}/${n.serviceAccount} has no ${WI_CLIENT_ID} annotation`,
        evidence: { annotations: ann, ...(elsewhere.length ? { annotatedServiceAccounts: elsewhere } : {}) },
        fix: {
          summary:
            "Annotate the service account with the client id of the managed identity or app registration, then restart the pods.",
          commands: [
            `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${WI_CLIENT_ID}=${sh(n.clientId)} --overwrite`,
          ],
        },
      },
    ];
  },
});

export const saClientIdMalformed = aksCheck({
  id: "sa.client-id-malformed",
  doc: {
    meaning: "The annotation is not a GUID (often the identity's resource id).",
    symptom: "AADSTS700016, AADSTS90002-style errors",
  },
  severity: "error",
  confirms: ["wrong_client_id"],
  essential: true,
  title: "The client id annotation is a GUID",
  skippedBecause: needSa,
  run(f) {
    const value = annotations(f)[WI_CLIENT_ID];
    if (!value?.trim() || GUID_RE.test(value)) return [];
    const n = names(f);
    const looksLikeResourceId = value.toLowerCase().includes("/providers/microsoft.managedidentity/");
    // The identity the resource id names, read from ARM: its real client id goes on the annotation.
    const named = looksLikeResourceId ? f.identityByResourceId : undefined;
    if (named) {
      return [
        {
          id: this.id,
          severity: "error",
          title: `The client id annotation holds the resource id of ${named.name}, not its client id ${named.clientId}`,
          evidence: { annotation: WI_CLIENT_ID, value, identity: named.name, clientId: named.clientId },
          fix: {
            summary: `Annotate the service account with ${named.name}'s client id, then restart the pods.`,
            commands: [
              `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${WI_CLIENT_ID}=${sh(named.clientId)} --overwrite`,
            ],
          },
        },
      ];
    }
    return [
      {
        id: this.id,
        severity: "error",
        title: looksLikeResourceId
          ? "The client id annotation holds the identity's resource id, not its client id"
          : "The client id annotation is not a GUID",
        evidence: {
          annotation: WI_CLIENT_ID,
          value,
          expected: "a client id (GUID), e.g. 00000000-0000-0000-0000-000000000000",
        },
        fix: {
          summary: "Use the identity's clientId (az identity show --query clientId).",
          commands: [
            `az identity show --name ${sh(n.identityName)} --resource-group ${sh(n.identityResourceGroup)} --query clientId -o tsv`,
            `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${WI_CLIENT_ID}=${sh(n.clientId)} --overwrite`,
          ],
        },
      },
    ];
  },
});

export const saTokenExpiration = aksCheck({
  id: "sa.token-expiration-invalid",
  doc: {
    meaning:
      "`azure.workload.identity/service-account-token-expiration` outside 3600–86400 seconds; the webhook refuses the pod.",
    symptom: "pod creation denied by the webhook",
  },
  severity: "error",
  essential: true,
  title: "The token expiration annotation is within 3600–86400 seconds",
  skippedBecause: needSa,
  run(f) {
    const raw = annotations(f)[WI_TOKEN_EXPIRATION];
    if (raw === undefined) return [];
    const v = Number(raw);
    if (Number.isInteger(v) && v >= 3600 && v <= 86400) return [];
    const n = names(f);
    return [
      {
        id: this.id,
        severity: "error",
        title: `${WI_TOKEN_EXPIRATION} must be a whole number of seconds from 3600 to 86400; the webhook rejects the pod otherwise`,
        evidence: { value: raw, allowed: "3600..86400" },
        fix: {
          summary: "Set a value in range (3600 is the default), then recreate the pods.",
          commands: [
            `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${WI_TOKEN_EXPIRATION}=3600 --overwrite`,
          ],
        },
      },
    ];
  },
});
