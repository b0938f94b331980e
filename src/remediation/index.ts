// Which write tool call applies a finding's fix, decided once, after the checks ran: the dry-run call an agent
// makes (then applies with its planId). Findings whose fix needs a human decision get none; docs/findings.md
// ("Remediation") lists them with the reason.
import type { Finding, Remediation, Report } from "../diagnosis/types.js";

/**
 * `ran`: set when only some checks ran (a step tool): the ids that did. A rule that depends on another check's
 * finding proposes nothing when that check did not run, since it cannot tell.
 */
type Facts = Pick<Report, "target" | "findings"> & { mechanism?: string; ran?: readonly string[] };
type Rule = (f: Finding, facts: Facts) => Remediation | undefined;

const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[A-Za-z0-9_+=,.@/-]{1,512}$/;

function has(facts: Facts, prefix: string): boolean {
  return facts.findings.some((f) => f.severity === "error" && f.id.startsWith(prefix));
}

/** Whether a finding with this prefix was raised, or could have been but its check did not run (undecided). */
function hasOrUnknown(facts: Facts, prefix: string): boolean {
  return has(facts, prefix) || (facts.ran !== undefined && !facts.ran.some((id) => id.startsWith(prefix)));
}

/** The workload a finding's own fix restarts or patches (`kubectl rollout restart KIND/NAME -n NS`), else the target's. */
function workloadOf(f: Finding, facts: Facts): string | undefined {
  const commands = [...f.fix.commands, ...(f.fix.alternatives ?? []).flatMap((a) => a.commands)];
  for (const c of commands) {
    const m = /kubectl rollout restart ([a-z]+)\/([a-z0-9][-a-z0-9.]*)/.exec(c);
    if (m) return `${m[1]}/${m[2]}`;
  }
  const named = str(f.evidence.workload) ?? str(f.evidence.object) ?? facts.target.workload;
  return named?.includes("/") ? named.toLowerCase().replace(/^([a-z]+)\//, "$1/") : undefined;
}

function sa(facts: Facts) {
  const { namespace, serviceAccount } = facts.target;
  return serviceAccount ? { namespace, serviceAccount } : undefined;
}

const annotate = (facts: Facts, annotations: Record<string, string | null>): Remediation | undefined => {
  const who = sa(facts);
  return who ? { tool: "annotate_service_account", arguments: { ...who, annotations } } : undefined;
};

const restart = (f: Finding, facts: Facts): Remediation | undefined => {
  const workload = workloadOf(f, facts);
  // A Job's or CronJob's pods are not restarted in place: its next run starts new ones.
  return workload && !/^(job|cronjob)\//.test(workload)
    ? { tool: "restart_workload", arguments: { namespace: facts.target.namespace, workload } }
    : undefined;
};

const ficRule: Rule = (f, facts) => {
  const who = sa(facts);
  // A full identity needs a credential deleted first: which one is a human decision.
  if (!who || hasOrUnknown(facts, "fic.limit-reached")) return undefined;
  // A wrong audience is fixed on the credential that has the right issuer and subject; a credential with another
  // subject or issuer may serve another workload or cluster, so a new one is added beside it.
  const name = f.id === "fic.audience-mismatch" ? str(f.evidence.credential) : undefined;
  return { tool: "set_federated_credential", arguments: { ...who, ...(name ? { name } : {}) } };
};

const trustRule: Rule = (f, facts) => {
  // A custom audience annotation nobody configured on the AWS side: the annotation goes, not the policy.
  if (str(f.evidence.annotatedAudience)) return annotate(facts, { "eks.amazonaws.com/audience": null });
  const who = sa(facts);
  const arn = str(f.evidence.roleArn) ?? str(f.evidence.annotatedRoleArn);
  if (!who) return undefined;
  const statement = typeof f.evidence.statement === "number" ? { replaceStatement: f.evidence.statement } : {};
  return { tool: "update_role_trust_policy", arguments: { ...who, ...(arn ? { roleArn: arn } : {}), ...statement } };
};

const rules: Record<string, Rule> = {
  "fic.none": ficRule,
  "fic.subject-mismatch": ficRule,
  "fic.issuer-mismatch": ficRule,
  "fic.audience-mismatch": ficRule,
  "sa.annotation-typo": (f, facts) => {
    const found = str(f.evidence.found);
    const expected = str(f.evidence.expected);
    const value = str(f.evidence.value);
    return found && expected && value ? annotate(facts, { [found]: null, [expected]: value }) : undefined;
  },
  "sa.client-id-malformed": (f, facts) => {
    // A resource id on the annotation: the identity it names was read, and its client id is the value meant.
    const clientId = str(f.evidence.clientId);
    return clientId && GUID.test(clientId)
      ? annotate(facts, { "azure.workload.identity/client-id": clientId })
      : undefined;
  },
  "sa.token-expiration-invalid": (_f, facts) =>
    annotate(facts, { "azure.workload.identity/service-account-token-expiration": "3600" }),
  "identity.not-found": (f, facts) => {
    // The annotation holds the identity's principal (object) id: the client id of the same identity is known.
    const clientId = str(f.evidence.clientId);
    return str(f.evidence.annotated) && clientId && GUID.test(clientId)
      ? annotate(facts, { "azure.workload.identity/client-id": clientId })
      : undefined;
  },
  "identity.tenant-mismatch": (f, facts) => {
    const tenant = str(f.evidence.identityTenantId);
    return tenant && /annotation/.test(str(f.evidence.podTenantFrom) ?? "")
      ? annotate(facts, { "azure.workload.identity/tenant-id": tenant })
      : undefined;
  },
  "sa.role-arn-malformed": (f, facts) => {
    const value = str(f.evidence.value);
    const fixed = value?.trim().replace(/^(arn:aws[a-z-]*:iam):[a-z0-9-]+:/, "$1::");
    return fixed && ROLE_ARN.test(fixed) ? annotate(facts, { "eks.amazonaws.com/role-arn": fixed }) : undefined;
  },
  "pod.label-missing": (f, facts) => {
    const workload = workloadOf(f, facts);
    return workload
      ? {
          tool: "label_pod_template",
          arguments: { namespace: facts.target.namespace, workload, labels: { "azure.workload.identity/use": "true" } },
        }
      : undefined;
  },
  "podid.label-missing": (f, facts) => {
    const selectors = Array.isArray(f.evidence.bindingSelectorsInNamespace)
      ? f.evidence.bindingSelectorsInNamespace
      : [];
    const workload = workloadOf(f, facts);
    // One binding in the namespace: its selector is the label to carry; several: which one is a human decision.
    if (selectors.length !== 1 || !workload || typeof selectors[0] !== "string") return undefined;
    const labels: Record<string, string | null> = { aadpodidbinding: selectors[0] };
    for (const typo of Array.isArray(f.evidence.found) ? f.evidence.found : [])
      if (typeof typo === "string") labels[typo] = null;
    return { tool: "label_pod_template", arguments: { namespace: facts.target.namespace, workload, labels } };
  },
  "podid.binding-selector-mismatch": (f, facts) => {
    // A binding written with the pre-1.6 field names: its fields are renamed (the values stay).
    const old = str(f.evidence.binding)?.split("/");
    if (Array.isArray(f.evidence.miscasedFields) && old?.length === 2) {
      const workload = workloadOf(f, facts);
      return {
        tool: "set_azure_identity_binding",
        arguments: { namespace: old[0], name: old[1], ...(workload ? { workload } : {}) },
      };
    }
    const bindings = Array.isArray(f.evidence.bindings) ? (f.evidence.bindings as Record<string, unknown>[]) : [];
    const here = bindings.filter((b) => str(b.binding)?.startsWith(`${facts.target.namespace}/`));
    const selector = here.length === 1 && !here[0].miscased ? str(here[0].selector) : undefined;
    const workload = workloadOf(f, facts);
    // One binding in the namespace: the pods take its selector, which changes only this workload; several, or a
    // binding that may serve other pods under its own selector: which side is wrong is a human decision.
    if (!selector || !workload || here.length >= 5) return undefined;
    return {
      tool: "label_pod_template",
      arguments: { namespace: facts.target.namespace, workload, labels: { aadpodidbinding: selector } },
    };
  },
  "pod.restart-needed": (f, facts) => (f.evidence.templateClientId ? undefined : restart(f, facts)),
  // An unmutated pod is fixed by recreating it only while the webhook itself is healthy.
  "pod.not-mutated": (f, facts) => (hasOrUnknown(facts, "webhook.") ? undefined : restart(f, facts)),
  // Identity bindings: pods mutated before the annotation (or by an older webhook) get the proxy variables anew.
  "binding.proxy-env-missing": (f, facts) => (hasOrUnknown(facts, "webhook.") ? undefined : restart(f, facts)),
  "iam.trust-subject-mismatch": trustRule,
  "iam.trust-audience-mismatch": trustRule,
  "iam.trust-action-missing": trustRule,
  "iam.trust-condition-key-invalid": trustRule,
  "iam.trust-provider-mismatch": trustRule,
  "iam.trust-wildcard-in-stringequals": trustRule,
  "iam.trust-no-statement": trustRule,
  "rbac.role-missing": (f, facts) => {
    const principalId = str(f.evidence.principalId);
    const scope = str(f.evidence.vault);
    const who = sa(facts);
    // Reading secrets needs Microsoft.KeyVault/vaults/secrets/getSecret/action: Key Vault Secrets User, on the vault.
    return principalId && GUID.test(principalId) && scope?.startsWith("/subscriptions/")
      ? {
          tool: "create_role_assignment",
          arguments: { principalId, role: "Key Vault Secrets User", scope, ...(who ?? {}) },
        }
      : undefined;
  },
  "spc.client-id-mismatch": (f, facts) => {
    const name = str(f.evidence.secretProviderClass);
    const clientID = str(f.evidence.serviceAccountClientId);
    const problems = Array.isArray(f.evidence.problems) ? f.evidence.problems : [];
    // Only the client id is set from the service account; a wrong tenant alone is a human decision.
    if (!name || !clientID || !GUID.test(clientID) || !problems.some((p) => String(p).startsWith("clientID"))) {
      return undefined;
    }
    const who = sa(facts);
    return {
      tool: "set_secret_provider_class_client_id",
      arguments: {
        namespace: facts.target.namespace,
        name,
        clientID,
        ...(who ? { serviceAccount: who.serviceAccount } : {}),
      },
    };
  },
  "keyvault.access-policy-missing": (f, facts) => {
    const vaultName = str(f.evidence.vault);
    const objectId = str(f.evidence.identityPrincipalId);
    return vaultName && objectId && GUID.test(objectId)
      ? { tool: "add_keyvault_access_policy", arguments: { vaultName, objectId, ...(sa(facts) ?? {}) } }
      : undefined;
  },
  "keyvault.firewall-blocks-cluster": (f, facts) => {
    const vaultName = str(f.evidence.vault);
    const subnets = Array.isArray(f.evidence.clusterSubnets)
      ? f.evidence.clusterSubnets.filter((s) => typeof s === "string")
      : [];
    const allowed = Array.isArray(f.evidence.allowedSubnets)
      ? f.evidence.allowedSubnets.map((s) => String(s).toLowerCase())
      : [];
    const subnetIds = subnets.filter((s) => !allowed.includes(s.toLowerCase()));
    // With public access disabled only a private endpoint helps: an architecture decision.
    return vaultName && subnetIds.length && f.evidence.publicNetworkAccess !== "Disabled"
      ? { tool: "add_keyvault_network_rule", arguments: { vaultName, subnetIds, ...(sa(facts) ?? {}) } }
      : undefined;
  },
  "eks.oidc-provider-missing": (f, facts) => {
    const issuer = str(f.evidence.clusterIssuer);
    return issuer?.startsWith("https://")
      ? { tool: "set_iam_oidc_provider", arguments: { issuer, ...(sa(facts) ?? {}) } }
      : undefined;
  },
  "eks.oidc-audience-missing": (f, facts) => {
    if (str(f.evidence.annotatedAudience)) return annotate(facts, { "eks.amazonaws.com/audience": null });
    const arn = str(f.evidence.providerArn);
    const audience = str(f.evidence.tokenAudience);
    const host = arn?.split(":oidc-provider/")[1];
    return host && audience
      ? { tool: "set_iam_oidc_provider", arguments: { issuer: `https://${host}`, audience, ...(sa(facts) ?? {}) } }
      : undefined;
  },
  "eks.pod-identity-trust-invalid": (f, facts) => {
    const roleArn = str(f.evidence.roleArn);
    const who = sa(facts);
    return roleArn && who
      ? { tool: "update_role_trust_policy", arguments: { ...who, roleArn, mechanism: "pod-identity" } }
      : undefined;
  },
};

/** The dry-run write tool call that applies this finding's fix, or undefined when none does. */
export function remediationFor(finding: Finding, facts: Facts): Remediation | undefined {
  try {
    return rules[finding.id]?.(finding, facts);
  } catch {
    return undefined;
  }
}

/** Attach a remediation to every finding that has one (in place; returns the report). */
export function withRemediations<R extends Facts>(report: R): R {
  for (const f of report.findings) {
    const r = remediationFor(f, report);
    if (r) f.remediation = r;
  }
  return report;
}

/** The finding ids that may carry a remediation (docs/findings.md lists the others with the reason). */
export const REMEDIABLE_IDS = Object.keys(rules);
