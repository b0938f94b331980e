// The EKS cluster's name from the kubeconfig's exec credential plugin (`aws eks get-token --cluster-name NAME`, what
// `aws eks update-kubeconfig` writes whatever the context is later called): the cluster is described at once instead
// of listing every cluster and describing each, and the name is checked against the endpoint before it is trusted.
import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/gather/index.js";
import { clusterFromExecArgs } from "../../src/gather/eks.js";
import { SIM_KUBE_TOKEN } from "../../src/sim/constants.js";
import { startSimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";

describe("the cluster an exec credential plugin names", () => {
  it.each([
    [["--region", "us-west-2", "eks", "get-token", "--cluster-name", "orders-prod"], "orders-prod", "us-west-2"],
    [["eks", "get-token", "--cluster-name=orders-prod", "--output", "json"], "orders-prod", undefined],
    [["token", "-i", "orders-prod"], "orders-prod", undefined],
    [["token", "--cluster-id", "orders-prod"], "orders-prod", undefined],
    // kubelogin's get-token names no cluster.
    [["get-token", "--login", "azurecli", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"], undefined, undefined],
    [["eks", "get-token", "--cluster-name"], undefined, undefined],
  ])("%j → %s", (args, name, region) => {
    expect(clusterFromExecArgs(args)).toEqual({ name, region });
  });
});

/** The world's kubeconfig with its context renamed and its user an exec plugin (node printing the world's token). */
function execKubeconfig(kc: KubeConfig, clusterName: string): KubeConfig {
  const script = `process.stdout.write(JSON.stringify({kind:"ExecCredential",apiVersion:"client.authentication.k8s.io/v1beta1",status:{token:${JSON.stringify(SIM_KUBE_TOKEN)}}}))`;
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: kc.clusters,
    users: [
      {
        name: "eks-user",
        exec: {
          apiVersion: "client.authentication.k8s.io/v1beta1",
          command: process.execPath,
          args: ["-e", script, "--", "--region", "us-west-2", "eks", "get-token", "--cluster-name", clusterName],
        },
      },
    ],
    contexts: [{ name: "orders", cluster: kc.clusters[0].name, user: "eks-user" }],
    currentContext: "orders",
  });
  return out;
}

async function diagnoseWithExec(clusterName: string) {
  const scenario = loadScenario("eks-podid-healthy");
  const eks: string[] = [];
  const session = await startSimSession(scenario, {
    onRequest: (e) => {
      if (e.host.startsWith("eks.")) eks.push(`${e.method} ${e.path}`);
    },
  });
  try {
    session.env.kubeconfig = execKubeconfig(session.env.kubeconfig!, clusterName);
    const report = await diagnose(session.env, scenario.target, {
      signal: AbortSignal.timeout(60_000),
      progress: async () => undefined,
    });
    return { report, eks };
  } finally {
    await session.close();
  }
}

describe("a renamed context whose exec plugin names the cluster", { timeout: 60_000 }, () => {
  it("describes that cluster at once: no listing of the account's clusters", async () => {
    const { report, eks } = await diagnoseWithExec("orders-prod");
    expect(report.verdict).toBe("healthy");
    expect(eks).toContain("GET /clusters/orders-prod");
    expect(eks).not.toContain("GET /clusters");
  });

  it("a name that is not the kubeconfig's cluster is not trusted: the clusters are searched by endpoint", async () => {
    const { report, eks } = await diagnoseWithExec("billing-prod");
    expect(report.verdict).toBe("healthy");
    expect(eks).toContain("GET /clusters");
    expect(eks).toContain("GET /clusters/orders-prod");
  });
});
