// No output of any tool or command contains a token: mint tokens in the world, run every tool, scan every output.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeProvider } from "../src/providers/kubernetes.js";
import { allTools } from "../src/tools/index.js";
import { connect, type Harness } from "./helpers/mcp.js";
import { SPAWNS_TIMEOUT_MS } from "./helpers/spawn.js";

const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/;

/** Plausible arguments for every tool against the bundled AKS worlds. */
const ARGS: Record<string, Record<string, unknown>> = {
  diagnose_workload_identity: {
    namespace: "payments",
    serviceAccount: "payments-api",
    workload: "deployment/payments-api",
  },
  explain_error: {
    text: 'AADSTS70021: No matching federated identity record. client_assertion=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL3gifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ access_token":"eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwcyJ9.c2ln"',
    namespace: "payments",
  },
  show_cluster_oidc: {},
  list_federated_credentials: {
    clientId: "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f",
    namespace: "payments",
    serviceAccount: "payments-api",
  },
  inspect_service_account: { namespace: "payments", serviceAccount: "payments-api" },
  inspect_workload: { namespace: "payments", workload: "deployment/payments-api" },
  check_webhook: { namespace: "payments" },
  inspect_token: { namespace: "payments", serviceAccount: "payments-api" },
  test_token_exchange: { namespace: "payments", serviceAccount: "payments-api" },
  check_role_assignments: { namespace: "payments", serviceAccount: "payments-api" },
  check_keyvault_access: { namespace: "payments", serviceAccount: "payments-api" },
  inspect_iam_role: { roleName: "payments-api" },
  inspect_pod_identity: { namespace: "payments", workload: "deployment/payments-api" },
  plan_migration: { namespace: "payments" },
  audit_cluster: {},
  // Write tools (dry runs; registered only with --allow-writes).
  set_federated_credential: { namespace: "payments", serviceAccount: "payments-api" },
  annotate_service_account: {
    namespace: "payments",
    serviceAccount: "payments-api",
    annotations: { "azure.workload.identity/tenant-id": "6d3e1a52-8c3f-4b7e-9f1a-2b5c7d9e0f11" },
  },
  label_pod_template: {
    namespace: "payments",
    workload: "deployment/payments-api",
    labels: { "azure.workload.identity/use": "true" },
  },
  restart_workload: { namespace: "payments", workload: "deployment/payments-api" },
  update_role_trust_policy: { namespace: "payments", serviceAccount: "payments-api" },
  create_pod_identity_association: {
    clusterName: "payments",
    namespace: "payments",
    serviceAccount: "payments-api",
    roleArn: "arn:aws:iam::111122223333:role/payments",
  },
  create_role_assignment: {
    principalId: "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    role: "Key Vault Secrets User",
    scope:
      "/subscriptions/0b1f6471-1bf0-4dda-aec3-5c1e2f3a4b6d/resourceGroups/payments-rg/providers/Microsoft.KeyVault/vaults/payments-kv",
  },
  set_iam_oidc_provider: { issuer: "https://oidc.eks.us-west-2.amazonaws.com/id/7B3F9C2A41E8D05F6A1C2B3D4E5F6071" },
  set_secret_provider_class_client_id: {
    namespace: "payments",
    name: "payments-secrets",
    clientID: "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f",
  },
  set_azure_identity_binding: { namespace: "payments", name: "payments-binding" },
  add_keyvault_access_policy: { vaultName: "payments-kv", objectId: "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d" },
  add_keyvault_network_rule: {
    vaultName: "payments-kv",
    subnetIds: [
      "/subscriptions/0b1f6471-1bf0-4dda-aec3-5c1e2f3a4b6d/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pool",
    ],
  },
};

describe.each(["aks-healthy", "aks-fic-subject-namespace-typo", "aks-issuer-key-rotated"])(
  "no token in any output (%s)",
  (scenario) => {
    let h: Harness;
    let minted: string;
    beforeAll(async () => {
      h = await connect({ scenario });
      // Listing first makes the SDK client check every structured result against the listed output schema.
      await h.client.listTools();
      // A token the world really issued: if any output carried tokens, this kind would be among them.
      const kube = new KubeProvider(h.session!.env);
      minted = (
        await kube.createServiceAccountToken("payments", "payments-api", { audiences: ["api://AzureADTokenExchange"] })
      ).token;
    });
    afterAll(async () => h.close());

    it("every tool's structured and text output", async () => {
      expect(minted).toMatch(JWT);
      for (const tool of allTools) {
        const args = ARGS[tool.name];
        expect(args, `no test arguments for ${tool.name}`).toBeDefined();
        const r = await h.client.callTool({ name: tool.name, arguments: args });
        // Every structured result validates against its tool's outputSchema.
        if (!r.isError) expect(() => tool.outputSchema.parse(r.structuredContent), tool.name).not.toThrow();
        const all = JSON.stringify(r);
        expect(all, tool.name).not.toMatch(JWT);
        expect(all, tool.name).not.toContain(minted.split(".")[2]);
        expect(all, tool.name).not.toMatch(/simulated-access-token|"access_token"/);
      }
    });
  },
);

describe("no token in command output", { timeout: SPAWNS_TIMEOUT_MS }, () => {
  it("diagnose, demo and explain print no token", () => {
    const runs = [
      ["diagnose", "--scenario", "aks-fic-subject-namespace-typo", "--json"],
      ["diagnose", "--scenario", "aks-issuer-key-rotated"],
      ["demo", "aks-keyvault-firewall", "--json"],
      [
        "explain",
        "--json",
        `Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl AADSTS7000215 client_secret=abc~DEF123456789012345678901234567890`,
      ],
    ];
    for (const args of runs) {
      const r = spawnSync(process.execPath, ["dist/cli.js", ...args], { encoding: "utf8", timeout: SPAWNS_TIMEOUT_MS });
      expect(r.stdout + r.stderr, args.join(" ")).not.toMatch(JWT);
      expect(r.stdout, args.join(" ")).not.toContain("abc~DEF123456789012345678901234567890");
    }
  });
});
