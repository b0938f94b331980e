// The service account: it exists, and its eks.amazonaws.com annotations are spelt and shaped right.
import { closestKnownKey } from "../../compare.js";
import type { Finding } from "../../types.js";
import { valueOf } from "../../types.js";
import { roleArnProblem } from "../arn.js";
import type { EksFacts } from "../facts.js";
import {
  AGENT_DAEMONSET,
  annotationsOf,
  KNOWN_SA_KEYS,
  mechanismOf,
  names,
  ROLE_ARN_KEY,
  STS_REGIONAL_KEY,
  sh,
  TOKEN_EXPIRATION_KEY,
} from "../names.js";
import { eksCheck, irsa, podIdentity } from "./define.js";

const needSa = (f: EksFacts) => {
  if (f.serviceAccount.status !== "ok") return `the service account could not be read: ${f.serviceAccount.reason}`;
  if (!f.serviceAccount.value) return "the service account does not exist";
  return undefined;
};

export const saNotFound = eksCheck({
  id: "sa.not-found",
  doc: {
    meaning: "The service account the workload names does not exist in the namespace.",
    symptom: "pods not created (`error looking up service account`)",
  },
  severity: "error",
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
          summary:
            "Create the service account with the role annotation (eksctl also creates the role and its trust policy).",
          commands: [
            `kubectl create serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)}`,
            `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${ROLE_ARN_KEY}=${sh(n.roleArn)}`,
            `eksctl create iamserviceaccount --cluster ${sh(n.clusterName)} --region ${sh(n.region)} --namespace ${sh(n.namespace)} --name ${sh(n.serviceAccount)} --attach-role-arn ${sh(n.roleArn)} --approve`,
          ],
        },
      },
    ];
  },
});

/** Keys that look like ours but are not: the webhook ignores them without a word. */
export function nearMissKeys(ann: Record<string, string>): { key: string; meant: string }[] {
  const out: { key: string; meant: string }[] = [];
  for (const key of Object.keys(ann)) {
    if (KNOWN_SA_KEYS.includes(key)) continue;
    const lower = key.toLowerCase().trim();
    if (!/eks|amazon|aws|role|iam/.test(lower)) continue;
    if (lower === "iam.amazonaws.com/role") {
      out.push({ key, meant: ROLE_ARN_KEY });
      continue;
    }
    const normal = lower.replace(/_/g, "-").replace(/rolearn$/, "role-arn");
    const meant = closestKnownKey(normal, KNOWN_SA_KEYS, 4);
    if (meant) out.push({ key, meant });
  }
  return out;
}

export const saAnnotationTypo = eksCheck({
  id: "sa.annotation-typo",
  doc: {
    severity: "error (warning if the right key is also set)",
    meaning:
      "A near-miss key such as `eks.amazon.com/role-arn`, `eks.amazonaws.com/role_arn` or kiam's `iam.amazonaws.com/role`: the webhook ignores it.",
    symptom: "no `AWS_ROLE_ARN` in the pod",
  },
  severity: "error",
  confirms: ["irsa_sa_annotation_missing"],
  essential: true,
  title: "No near-miss eks.amazonaws.com annotation keys",
  skippedBecause: needSa,
  run(f) {
    const ann = annotationsOf(f);
    const n = names(f);
    return nearMissKeys(ann).map(
      ({ key, meant }): Finding => ({
        id: this.id,
        severity: ann[meant] ? "warning" : "error",
        title: `Annotation "${key}" is not read by the pod identity webhook; the key is "${meant}"`,
        evidence: {
          found: key,
          expected: meant,
          value: ann[key],
          ...(key === "iam.amazonaws.com/role"
            ? { note: "iam.amazonaws.com/role is kiam/kube2iam's pod annotation, not IRSA" }
            : {}),
        },
        fix: {
          summary: `Move the value to ${meant}, remove the misspelt key, then restart the pods.`,
          commands: [
            `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${meant}=${sh(ann[key].trim())} ${sh(`${key}-`)} --overwrite`,
            `kubectl rollout restart deployment -n ${sh(n.namespace)} -l <selector-of-the-workload>`,
          ],
        },
      }),
    );
  },
});

export const saRoleArnMissing = eksCheck({
  id: "sa.role-arn-missing",
  doc: {
    meaning: "No role annotation and no Pod Identity association (and no Pod Identity Agent).",
    symptom: "the SDK falls back to the node's instance role",
  },
  severity: "error",
  confirms: ["irsa_sa_annotation_missing"],
  essential: (f) => !podIdentity(f),
  title: `The service account has the ${ROLE_ARN_KEY} annotation`,
  skippedBecause(f) {
    const why = needSa(f);
    if (why) return why;
    if (mechanismOf(f) === "pod-identity") return "the service account uses EKS Pod Identity";
    return undefined;
  },
  run(f) {
    if (mechanismOf(f) !== "none") return [];
    const ann = annotationsOf(f);
    // A misspelt key is the better explanation; it is reported on its own.
    if (nearMissKeys(ann).some((m) => m.meant === ROLE_ARN_KEY)) return [];
    const agent = valueOf(f.podIdentityAgent);
    if (agent) return []; // with the agent installed, a missing association is the likelier intent
    const n = names(f);
    return [
      {
        id: this.id,
        severity: "error",
        title: `Service account ${n.namespace}/${n.serviceAccount} has no ${ROLE_ARN_KEY} annotation (and no Pod Identity association)`,
        evidence: {
          annotations: Object.keys(ann),
          podIdentityAgent: `${AGENT_DAEMONSET} not installed`,
          podIdentityAssociations: valueOf(f.associations)?.length ?? "unknown",
        },
        fix: {
          summary: "Annotate the service account with the IAM role to assume, then restart the pods.",
          commands: [
            `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${ROLE_ARN_KEY}=${sh(n.roleArn)}`,
            `kubectl rollout restart deployment -n ${sh(n.namespace)} <deployment>`,
          ],
        },
      },
    ];
  },
});

export const saRoleArnMalformed = eksCheck({
  id: "sa.role-arn-malformed",
  doc: {
    meaning:
      "The annotation is not `arn:aws[-cn\\|-us-gov]:iam::<12 digits>:role/<path/>name` (a region in the ARN, a short account id, a user or assumed-role ARN, whitespace).",
    symptom: "`ValidationError` from STS",
  },
  severity: "error",
  confirms: ["irsa_sa_annotation_missing"],
  essential: irsa,
  title: "The role ARN annotation is a well-formed IAM role ARN",
  skippedBecause: (f) =>
    needSa(f) ?? (annotationsOf(f)[ROLE_ARN_KEY] === undefined ? "no role ARN annotation" : undefined),
  run(f) {
    const value = annotationsOf(f)[ROLE_ARN_KEY];
    const problem = roleArnProblem(value);
    if (!problem) return [];
    const n = names(f);
    return [
      {
        id: this.id,
        severity: "error",
        title: `The role ARN "${value}" is malformed: ${problem}`,
        evidence: {
          annotation: ROLE_ARN_KEY,
          value,
          problem,
          expectedForm: "arn:aws:iam::<12-digit-account>:role/<optional-path/>name",
        },
        fix: {
          summary: "Put the role's full ARN in the annotation (aws iam get-role prints it), then restart the pods.",
          commands: [
            `aws iam get-role --role-name <role-name> --query Role.Arn --output text`,
            `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${ROLE_ARN_KEY}=arn:aws:iam::${sh(n.accountId)}:role/<role-name> --overwrite`,
          ],
        },
      },
    ];
  },
});

export const saAnnotationInvalid = eksCheck({
  id: "sa.annotation-invalid",
  doc: {
    meaning:
      "`eks.amazonaws.com/token-expiration` outside 600–86400 seconds, or `sts-regional-endpoints` neither `true` nor `false`.",
    symptom: "the default is used instead",
  },
  severity: "warning",
  title: "token-expiration and sts-regional-endpoints annotations have valid values",
  skippedBecause: needSa,
  run(f) {
    const ann = annotationsOf(f);
    const n = names(f);
    const out: Finding[] = [];
    const exp = ann[TOKEN_EXPIRATION_KEY];
    if (exp !== undefined) {
      const v = Number(exp);
      if (!/^\d+$/.test(exp.trim()) || v < 600 || v > 86400) {
        out.push({
          id: this.id,
          severity: "warning",
          title: `${TOKEN_EXPIRATION_KEY}="${exp}" is outside 600–86400 seconds; the webhook will not use it as written`,
          evidence: { annotation: TOKEN_EXPIRATION_KEY, value: exp, allowed: "600-86400 (seconds)" },
          fix: {
            summary: "Use a whole number of seconds between 600 and 86400 (the default is 86400).",
            commands: [
              `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${TOKEN_EXPIRATION_KEY}=86400 --overwrite`,
            ],
          },
        });
      }
    }
    const regional = ann[STS_REGIONAL_KEY];
    if (regional !== undefined && !["true", "false"].includes(regional.trim().toLowerCase())) {
      out.push({
        id: this.id,
        severity: "warning",
        title: `${STS_REGIONAL_KEY}="${regional}" is neither "true" nor "false"`,
        evidence: { annotation: STS_REGIONAL_KEY, value: regional, allowed: ["true", "false"] },
        fix: {
          summary: "Set it to true to have pods use the regional STS endpoint.",
          commands: [
            `kubectl annotate serviceaccount ${sh(n.serviceAccount)} -n ${sh(n.namespace)} ${STS_REGIONAL_KEY}=true --overwrite`,
          ],
        },
      });
    }
    return out;
  },
});
