// EKS Pod Identity: an association for the service account, the node agent, and a role that trusts pods.eks.amazonaws.com.
import type { Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import {
  AGENT_DAEMONSET,
  AGENT_NAMESPACE,
  mechanismOf,
  names,
  POD_IDENTITY_URI,
  roleArnAnnotation,
  serviceAccountAssociations,
  sh,
} from "../names.js";
import {
  evaluatePodIdentityTrust,
  POD_IDENTITY_ACTIONS,
  POD_IDENTITY_SERVICE,
  podIdentityActions,
} from "../trust-policy.js";
import { eksCheck, irsa, podIdentity, unread } from "./define.js";

const POD_IDENTITY_TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: POD_IDENTITY_SERVICE }, Action: POD_IDENTITY_ACTIONS }],
});

export const associationMissing = eksCheck({
  id: "eks.pod-identity-association-missing",
  doc: {
    meaning:
      "The Pod Identity Agent runs but there is no association for this namespace and service account (near misses in the namespace are listed).",
    symptom: "no `AWS_CONTAINER_CREDENTIALS_FULL_URI` in the pod",
  },
  severity: "error",
  confirms: ["imds_unreachable"],
  essential: (f) => podIdentity(f) || (unread(f.associations) && !irsa(f)),
  title: "The service account has a Pod Identity association",
  skippedBecause(f) {
    if (f.associations.status !== "ok") return `Pod Identity associations could not be read: ${f.associations.reason}`;
    if (f.serviceAccount.status === "ok" && !f.serviceAccount.value) return "the service account does not exist";
    if (mechanismOf(f) === "irsa") return "the service account uses IRSA";
    return undefined;
  },
  run(f) {
    if (mechanismOf(f) !== "none") return [];
    // Without the agent, nothing suggests Pod Identity was meant; sa.role-arn-missing speaks instead.
    if (!valueOf(f.podIdentityAgent)) return [];
    const n = names(f);
    const others = (valueOf(f.associations) ?? []).filter((a) => a.namespace === n.namespace);
    return [
      {
        id: this.id,
        severity: "error",
        title: `No Pod Identity association for ${n.namespace}/${n.serviceAccount} in cluster ${n.clusterName} (and no IRSA annotation)`,
        evidence: {
          cluster: n.clusterName,
          namespace: n.namespace,
          serviceAccount: n.serviceAccount,
          associationsInNamespace: others.map(
            (a) => `${a.namespace}/${a.serviceAccount} → ${a.roleArn ?? a.associationId}`,
          ),
          podIdentityAgent: `${AGENT_NAMESPACE}/${AGENT_DAEMONSET} installed`,
        },
        fix: {
          summary: "Create the association (the role must trust pods.eks.amazonaws.com), then restart the pods.",
          commands: [
            `aws eks create-pod-identity-association --cluster-name ${sh(n.clusterName)} --region ${sh(n.region)} --namespace ${sh(n.namespace)} --service-account ${sh(n.serviceAccount)} --role-arn ${sh(n.roleArn)}`,
            `kubectl rollout restart deployment -n ${sh(n.namespace)} <deployment>`,
          ],
        },
      },
    ];
  },
});

export const agentMissing = eksCheck({
  id: "eks.pod-identity-agent-missing",
  doc: {
    severity: "error (warning when some agent pods are ready)",
    meaning:
      "The association exists but the `eks-pod-identity-agent` DaemonSet is missing or not ready (a DaemonSet without any status is taken as installed).",
    symptom: "connection refused to `169.254.170.23`",
  },
  severity: "error",
  confirms: ["imds_unreachable"],
  essential: podIdentity,
  title: `The ${AGENT_DAEMONSET} DaemonSet runs on the nodes`,
  skippedBecause(f) {
    if (mechanismOf(f) !== "pod-identity") return "the service account does not use EKS Pod Identity";
    if (f.podIdentityAgent.status !== "ok")
      return `the agent DaemonSet could not be read: ${f.podIdentityAgent.reason}`;
    return undefined;
  },
  run(f) {
    const agent = valueOf(f.podIdentityAgent);
    // Installed, with no status to judge its pods by: nothing says it is unhealthy.
    if (agent && agent.statusKnown === false) return [];
    if (agent && agent.ready > 0 && agent.ready >= agent.desired) return [];
    const n = names(f);
    return [
      {
        id: this.id,
        severity: agent && agent.ready > 0 ? "warning" : "error",
        title: agent
          ? `The ${AGENT_DAEMONSET} DaemonSet has ${agent.ready} of ${agent.desired} pods ready`
          : `The ${AGENT_DAEMONSET} add-on is not installed: pods cannot reach ${POD_IDENTITY_URI}`,
        evidence: {
          daemonSet: `${AGENT_NAMESPACE}/${AGENT_DAEMONSET}`,
          found: agent ? { desired: agent.desired, ready: agent.ready } : "none",
          associations: serviceAccountAssociations(f).map((a) => a.associationId),
          credentialsEndpoint: POD_IDENTITY_URI,
        },
        fix: {
          summary: "Install (or repair) the EKS Pod Identity Agent add-on.",
          commands: [
            `aws eks create-addon --cluster-name ${sh(n.clusterName)} --region ${sh(n.region)} --addon-name ${AGENT_DAEMONSET}`,
            `kubectl get daemonset ${AGENT_DAEMONSET} -n ${AGENT_NAMESPACE}`,
          ],
        },
      },
    ];
  },
});

export const podIdentityTrustInvalid = eksCheck({
  id: "eks.pod-identity-trust-invalid",
  doc: {
    meaning:
      "The associated role does not exist, or does not trust `pods.eks.amazonaws.com` for both `sts:AssumeRole` and `sts:TagSession`.",
    symptom: "credentials endpoint answers an error",
  },
  severity: "error",
  confirms: ["irsa_trust_policy_mismatch"],
  essential: podIdentity,
  title: "The associated role trusts pods.eks.amazonaws.com for sts:AssumeRole and sts:TagSession",
  skippedBecause(f) {
    const associations = serviceAccountAssociations(f);
    if (!associations.length) return "the service account has no Pod Identity association";
    // A role that could not be read cannot be said to trust the agent.
    for (const a of associations) {
      const g = a.roleArn ? f.podIdentityRoles[a.roleArn] : undefined;
      if (g && g.status !== "ok") return `the associated role could not be read: ${g.reason}`;
    }
    return undefined;
  },
  run(f) {
    const n = names(f);
    const findings: Finding[] = [];
    for (const a of serviceAccountAssociations(f)) {
      if (!a.roleArn) continue;
      const g = f.podIdentityRoles[a.roleArn];
      if (g?.status !== "ok") continue;
      const roleName = a.roleArn.split("/").pop() ?? a.roleArn;
      const role = g.value;
      if (!role) {
        findings.push({
          id: this.id,
          severity: "error",
          title: `The association's role ${roleName} does not exist`,
          evidence: { associationId: a.associationId, roleArn: a.roleArn },
          fix: {
            summary:
              "Create the role with the Pod Identity trust policy, or point the association at an existing role.",
            commands: [
              `aws iam create-role --role-name ${sh(roleName)} --assume-role-policy-document ${sh(POD_IDENTITY_TRUST)}`,
              `aws eks update-pod-identity-association --cluster-name ${sh(n.clusterName)} --region ${sh(n.region)} --association-id ${sh(a.associationId)} --role-arn <role-arn>`,
            ],
          },
        });
        continue;
      }
      if (!role.trustPolicy) continue;
      const cluster = valueOf(f.cluster);
      const context = {
        accountId: valueOf(f.accountId),
        clusterArn: cluster?.arn,
        clusterName: cluster?.name,
        namespace: a.namespace,
        serviceAccount: a.serviceAccount,
      };
      const sessionTags = a.disableSessionTags !== true;
      const e = evaluatePodIdentityTrust(role.trustPolicy, { ...context, sessionTags });
      if (e.accepted) continue;
      // Refused only for want of the disabled session tags: eks.pod-identity-session-tags names that.
      if (!sessionTags && evaluatePodIdentityTrust(role.trustPolicy, context).accepted) continue;
      findings.push({
        id: this.id,
        severity: "error",
        title: `Role ${roleName} does not let EKS Pod Identity assume it: ${e.failingClause?.reason ?? "no statement allows it"}`,
        evidence: {
          associationId: a.associationId,
          roleArn: a.roleArn,
          requiredPrincipal: { Service: POD_IDENTITY_SERVICE },
          requiredActions: podIdentityActions(sessionTags),
          disableSessionTags: !sessionTags,
          failingClause: e.failingClause,
          mistakes: e.mistakes.map((m) => m.detail),
        },
        fix: {
          summary: "Trust the service principal pods.eks.amazonaws.com with both sts:AssumeRole and sts:TagSession.",
          commands: [
            `aws iam update-assume-role-policy --role-name ${sh(roleName)} --policy-document ${sh(POD_IDENTITY_TRUST)}`,
          ],
        },
      });
    }
    return findings;
  },
});

export const irsaAndPodIdentity = eksCheck({
  id: "eks.irsa-and-pod-identity",
  doc: {
    severity: "info (warning when the roles differ)",
    meaning:
      "Both an IRSA annotation and a Pod Identity association. The webhook injects Pod Identity's variables when an association exists; if a container has both sets, the SDK's default chain uses web identity first, because it comes before the container credential provider.",
    symptom: 'the "other" role is used',
  },
  severity: "warning",
  title: "The service account uses one mechanism, not both",
  skippedBecause: (f) =>
    f.associations.status !== "ok"
      ? `Pod Identity associations could not be read: ${f.associations.reason}`
      : undefined,
  run(f) {
    const irsa = roleArnAnnotation(f);
    const assoc = serviceAccountAssociations(f);
    if (!irsa || assoc.length === 0) return [];
    const podRole = assoc[0].roleArn;
    const n = names(f);
    return [
      {
        id: this.id,
        severity: podRole && podRole !== irsa.trim() ? "warning" : "info",
        title: `${n.namespace}/${n.serviceAccount} has both an IRSA annotation and a Pod Identity association; new pods get Pod Identity`,
        evidence: {
          irsaRoleArn: irsa,
          podIdentityRoleArn: podRole,
          injection:
            "the pod identity webhook injects AWS_CONTAINER_CREDENTIALS_FULL_URI/AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE instead of AWS_ROLE_ARN/AWS_WEB_IDENTITY_TOKEN_FILE when an association exists",
          sdkPrecedence:
            "if a container has both sets of variables, the SDK's default chain uses web identity (IRSA) first: it comes before the container credential provider",
        },
        fix: {
          summary: "Keep one: remove the role-arn annotation once the association works, or delete the association.",
          commands: [
            `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} eks.amazonaws.com/role-arn-`,
            `aws eks delete-pod-identity-association --cluster-name ${sh(n.clusterName)} --region ${sh(n.region)} --association-id ${sh(assoc[0].associationId)}`,
          ],
        },
      },
    ];
  },
});
