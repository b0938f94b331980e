// EKS Auth AssumeRoleForPodIdentity through the provider against the simulated service: the success shape, the
// refusals a pod meets (wrong audience, no association), and a failing service that leaves a partial report.
import { describe, expect, it } from "vitest";
import { diagnoseEksFacts } from "../../src/diagnosis/eks/index.js";
import { gatherEksFacts } from "../../src/gather/eks.js";
import { AwsProvider } from "../../src/providers/aws.js";
import { assumeRoleForPodIdentity } from "../../src/providers/aws-pod-identity.js";
import { KubeProvider } from "../../src/providers/kubernetes.js";
import { never, noProgress, session } from "./helpers.js";

describe("EKS Auth AssumeRoleForPodIdentity (simulated)", () => {
  it("answers a pods.eks.amazonaws.com token with the association and the role, and refuses the rest", async () => {
    const s = await session("eks-podid-healthy", (sc) => {
      sc.kubernetes.objects.push({
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: { name: "unassociated", namespace: "orders" },
      });
    });
    try {
      const aws = new AwsProvider(s.env);
      const kube = new KubeProvider(s.env);
      const mint = async (sa: string, audience: string) =>
        (await kube.createServiceAccountToken("orders", sa, { audiences: [audience], expirationSeconds: 600 }, never))
          .token;
      const good = await assumeRoleForPodIdentity(
        aws,
        s.env.timeoutMs,
        "orders-prod",
        await mint("orders-api", "pods.eks.amazonaws.com"),
      );
      expect(good).toMatchObject({
        ok: true,
        audience: "pods.eks.amazonaws.com",
        subject: { namespace: "orders", serviceAccount: "orders-api" },
        associationId: "a-4kq7x2m9v1b3n5c8d",
      });
      expect(good.ok && good.assumedRoleArn).toMatch(/^arn:aws:sts::111122223333:assumed-role\/orders-api-podid\//);
      // Only the outcome comes back: no key material in what the provider returns.
      expect(JSON.stringify(good)).not.toMatch(/SecretAccessKey|sessionToken|ASIA/);

      const wrongAudience = await assumeRoleForPodIdentity(
        aws,
        s.env.timeoutMs,
        "orders-prod",
        await mint("orders-api", "sts.amazonaws.com"),
      );
      expect(wrongAudience).toMatchObject({ ok: false, code: "InvalidTokenException", httpStatus: 400 });

      const noAssociation = await assumeRoleForPodIdentity(
        aws,
        s.env.timeoutMs,
        "orders-prod",
        await mint("unassociated", "pods.eks.amazonaws.com"),
      );
      expect(noAssociation).toMatchObject({ ok: false, code: "ResourceNotFoundException", httpStatus: 404 });
    } finally {
      await s.close();
    }
  });

  it("keeps the rest of the diagnosis when EKS Auth fails, and says the exchange could not be judged", async () => {
    const s = await session("eks-podid-healthy", (sc) => {
      sc.faults.rules.push({ service: "eks-auth", path: "assume-role-for-pod-identity", status: 503 });
    });
    try {
      const t = s.world.scenario.target;
      const facts = await gatherEksFacts(
        s.env,
        { namespace: t.namespace, serviceAccount: t.serviceAccount },
        { signal: never, progress: noProgress },
      );
      expect(facts.podIdentityExchange?.status).toBe("error");
      const report = diagnoseEksFacts(facts);
      expect(report.podIdentityExchange?.actual).toBeUndefined();
      expect(report.podIdentityExchange?.predicted.accepted).toBe(true);
      expect(report.checks.find((c) => c.id === "eks.pod-identity-exchange")?.status).toBe("skipped");
      expect(report.checks.find((c) => c.id === "eks.pod-identity-trust-invalid")?.status).not.toBe("skipped");
      expect(report.findings.filter((f) => f.severity === "error")).toEqual([]);
    } finally {
      await s.close();
    }
  });
});
