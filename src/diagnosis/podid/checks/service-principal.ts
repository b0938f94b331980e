// Service-principal AzureIdentities (type 1: client secret, type 2: certificate). NMI signs in to Entra itself with
// the tenantID, clientID and the Secret clientPassword names; nothing is attached to the scale set, so neither
// Managed Identity Operator nor Virtual Machine Contributor matters for them. Only the Secret's keys are read.
import { sh } from "../../aks/names.js";
import type { Finding } from "../../types.js";
import { valueOf as factOf } from "../../types.js";
import type { AzureIdentityView } from "../facts.js";
import { nsFlag } from "../derive.js";
import { podIdCheck, ranOrUnread } from "../define.js";
import { identitiesInScope, needIdentities } from "./shared.js";

const servicePrincipal = (i: AzureIdentityView) => i.type === 1 || i.type === 2;

/** What NMI reads from the Secret: type 1 takes the first value of its data (any key), type 2 two fixed keys. */
const CERT_KEYS = ["certificate", "password"];

function secretCommand(i: AzureIdentityView, type: number): string {
  const ns = i.clientPassword?.namespace || i.namespace;
  const name = i.clientPassword?.name || `${i.name}-secret`;
  return type === 1
    ? `kubectl create secret generic ${sh(name)} ${nsFlag(ns)} --from-literal=clientSecret="<client secret>"`
    : `kubectl create secret generic ${sh(name)} ${nsFlag(ns)} --from-file=certificate=<cert.pem> --from-literal=password="<certificate password>"`;
}

export const servicePrincipalSecret = podIdCheck({
  id: "podid.service-principal-secret",
  doc: {
    severity: "error (warning when the Secret holds several keys)",
    meaning:
      "A service-principal AzureIdentity (type 1, client secret; type 2, certificate) has no `tenantID`, no `clientPassword` Secret reference, names a Secret that does not exist, or (type 2) a Secret without the keys `certificate` and `password`. Type 1: NMI takes the first value of the Secret's data in no fixed order, so more than one key is a warning. Only key names are read, never values. Such identities need no scale-set assignment and no Managed Identity Operator.",
    symptom: "NMI: `failed to get Kubernetes secret <ns>/<name>`",
  },
  severity: "error",
  essential(f) {
    return ranOrUnread(this, f, [f.pods, f.workload, f.bindings, f.identities, f.identitySecrets]);
  },
  title: "Service-principal AzureIdentities (types 1 and 2) name a tenant and a Secret NMI can sign in with",
  skippedBecause(f) {
    const why = needIdentities(f);
    if (why) return why;
    if (!identitiesInScope(f).some(servicePrincipal))
      return "no service-principal AzureIdentity is bound to the target";
    if (f.identitySecrets && f.identitySecrets.status !== "ok")
      return `the Secrets the identities name could not be read: ${f.identitySecrets.reason}`;
    return undefined;
  },
  run(f) {
    const secrets = f.identitySecrets ? factOf(f.identitySecrets) : undefined;
    const findings: Finding[] = [];
    for (const i of identitiesInScope(f).filter(servicePrincipal)) {
      const ref = `${i.namespace}/${i.name}`;
      const type = i.type!;
      const problems: string[] = [];
      const commands: string[] = [];
      let severity: "error" | "warning" = "error";
      if (!i.tenantID) {
        problems.push("spec.tenantID is empty: NMI cannot tell Entra which tenant the service principal lives in");
        commands.push(
          `kubectl patch azureidentity ${sh(i.name)} ${nsFlag(i.namespace)} --type=merge -p ${sh(JSON.stringify({ spec: { tenantID: "<tenant id>" } }))}`,
        );
      }
      const secretRef = i.clientPassword;
      const key = secretRef?.name && secretRef.namespace ? `${secretRef.namespace}/${secretRef.name}` : undefined;
      const found = key && secrets ? secrets[key] : undefined;
      let keys: string[] | undefined;
      if (!key) {
        problems.push("spec.clientPassword does not name a Secret (both name and namespace are needed)");
        commands.push(
          secretCommand(i, type),
          `kubectl patch azureidentity ${sh(i.name)} ${nsFlag(i.namespace)} --type=merge -p ${sh(JSON.stringify({ spec: { clientPassword: { name: secretRef?.name || `${i.name}-secret`, namespace: secretRef?.namespace || i.namespace } } }))}`,
        );
      } else if (secrets && found === null) {
        problems.push(`Secret ${key} does not exist: NMI fails with "failed to get Kubernetes secret ${key}"`);
        commands.push(secretCommand(i, type));
      } else if (found?.keys) {
        keys = found.keys;
        if (type === 1 && keys.length === 0) {
          problems.push(`Secret ${key} holds no data: NMI signs in with an empty client secret`);
          commands.push(secretCommand(i, type));
        } else if (type === 1 && keys.length > 1) {
          // Go map order: which value NMI takes changes from one request to the next.
          if (!problems.length) severity = "warning";
          problems.push(
            `Secret ${key} holds ${keys.length} keys; NMI takes the first value of the Secret's data, in no fixed order, so it may sign in with the wrong one`,
          );
          commands.push(
            `kubectl get secret ${sh(secretRef!.name)} ${nsFlag(secretRef!.namespace)} -o jsonpath='{.data}' | jq keys`,
          );
        } else if (type === 2) {
          const missing = CERT_KEYS.filter((k) => !keys!.includes(k));
          if (missing.length) {
            problems.push(
              `Secret ${key} lacks ${missing.join(" and ")}: NMI reads exactly the keys "certificate" and "password"`,
            );
            commands.push(secretCommand(i, type));
          }
        }
      }
      if (!problems.length) continue;
      findings.push({
        id: this.id,
        severity,
        title: `AzureIdentity ${ref} (${type === 1 ? "service principal, client secret" : "service principal, certificate"}): ${problems[0]}`,
        evidence: {
          identity: ref,
          type,
          tenantID: i.tenantID ?? "",
          clientID: i.clientID,
          clientPassword: secretRef ?? null,
          ...(keys ? { secretKeys: keys } : {}),
          ...(i.adEndpoint ? { adEndpoint: i.adEndpoint } : {}),
          problems,
          note: "a service principal needs no scale-set assignment and no Managed Identity Operator role",
        },
        fix: {
          summary:
            type === 1
              ? "Give the AzureIdentity its tenantID and a clientPassword reference to a Secret holding exactly one key, the client secret."
              : 'Give the AzureIdentity its tenantID and a clientPassword reference to a Secret with the keys "certificate" (PEM or PFX) and "password".',
          commands,
        },
      });
    }
    return findings;
  },
});
