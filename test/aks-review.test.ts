import { describe, expect, it } from "vitest";
import { injectionOf, tokenFileIn } from "../src/diagnosis/aks/checks/pods.js";
import { issuerDifference } from "../src/diagnosis/compare.js";
import { diagnose } from "../src/gather/index.js";
import { startSimSession } from "../src/sim/environment.js";
import { loadScenario } from "../src/sim/scenario.js";

const quiet = { progress: async () => undefined };

async function diagnoseScenario(name: string, target?: Record<string, string>) {
  const scenario = loadScenario(name);
  const session = await startSimSession(scenario);
  try {
    return await diagnose(session.env, { ...scenario.target, ...target } as typeof scenario.target, {
      signal: AbortSignal.timeout(20_000),
      ...quiet,
    });
  } finally {
    await session.close();
  }
}

describe("AKS diagnosis on worlds written from the outside", () => {
  it("names the differing host when another region's issuer is only a few characters away", () => {
    const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47/0c5b4f2e-7d1a-4e3b-9c8d-1a2b3c4d5e6f/";
    expect(
      issuerDifference(
        `https://eastus.oic.prod-aks.azure.com/${tenant}`,
        `https://westus2.oic.prod-aks.azure.com/${tenant}`,
      ),
    ).toBe("host differs (westus2.oic.prod-aks.azure.com instead of eastus.oic.prod-aks.azure.com)");
    expect(issuerDifference("https://a.example/x", "https://a.example/y")).toMatch(/typo/);
  });

  it("finds the token where the webhook mounted it, per-pod hash included", () => {
    const inj = injectionOf({
      metadata: { name: "p" },
      spec: {
        containers: [
          {
            name: "app",
            env: [
              { name: "AZURE_FEDERATED_TOKEN_FILE", value: "/var/run/secrets/azure/wi/abc/token/azure-identity-token" },
            ],
            volumeMounts: [
              { name: "azure-workload-identity-reserved-abc", mountPath: "/var/run/secrets/azure/wi/abc" },
            ],
          },
        ],
        volumes: [
          {
            name: "azure-workload-identity-reserved-abc",
            projected: {
              sources: [
                { serviceAccountToken: { audience: "api://AzureADTokenExchange", path: "token/azure-identity-token" } },
              ],
            },
          },
        ],
      },
    });
    expect(inj.mutated).toBe(true);
    expect(tokenFileIn(inj, inj.containers[0])).toBe("/var/run/secrets/azure/wi/abc/token/azure-identity-token");
  });

  it("reports a container left without the token for information, naming it", async () => {
    const report = await diagnoseScenario("aks-review-near-miss-sidecar-without-token");
    expect(report.verdict).toBe("healthy");
    const partial = report.findings.find((f) => f.id === "pod.not-mutated");
    expect(partial?.severity).toBe("info");
    expect(partial?.evidence.containersWithoutToken).toEqual(["istio-proxy"]);
  });

  it("says which part of the target does not exist when nothing else can be examined", async () => {
    const report = await diagnoseScenario("aks-review-pods-on-default-service-account", {
      workload: "deployment/orders-apii",
    });
    expect(report.verdict).toBe("inconclusive");
    expect(report.checks.map((c) => c.detail).join("\n")).toContain(
      "deployment/orders-apii does not exist in namespace orders",
    );
  });

  it("infers the intended service account only when none was named", async () => {
    const named = await diagnoseScenario("aks-review-pods-on-default-service-account", { serviceAccount: "orders-sa" });
    expect(named.findings.map((f) => f.id)).toEqual(["pod.service-account-mismatch"]);
    expect(named.findings[0].evidence.expected).toBe("orders-sa");
    const inferred = await diagnoseScenario("aks-review-pods-on-default-service-account");
    expect(inferred.findings[0].evidence.expected).toEqual(["orders-sa"]);
    expect(inferred.findings.find((f) => f.id === "sa.client-id-missing")?.severity).toBe("info");
  });
});
