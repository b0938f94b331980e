// Every tool on every bundled world, called through the MCP SDK's own Client: after tools/list it validates each
// structured result against the tool's outputSchema and rejects (-32602) any that does not conform. The one-call
// diagnosis is checked against the world's expectation (test/helpers/expectations.ts).
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { listBundledScenarios, loadScenario, type Scenario } from "../../src/sim/scenario.js";
import { type DiagnosisView, expectAsScenarioSays, namespaceOnly } from "./expectations.js";
import { connect } from "./mcp.js";

type Args = Record<string, unknown>;

/** The service account a scenario's target runs as: named, or read off its pod or workload's template. */
function serviceAccountOf(s: Scenario): string {
  if (s.target.serviceAccount) return s.target.serviceAccount;
  const objects = s.kubernetes.objects as {
    kind?: string;
    metadata?: { name?: string; namespace?: string };
    spec?: {
      serviceAccountName?: string;
      template?: { spec?: { serviceAccountName?: string } };
      jobTemplate?: { spec?: { template?: { spec?: { serviceAccountName?: string } } } };
    };
  }[];
  const [kind, name] = (s.target.workload ?? "").includes("/")
    ? s.target.workload!.split("/")
    : ["deployment", s.target.workload];
  const named = objects.find(
    (o) =>
      o.metadata?.namespace === s.target.namespace &&
      ((s.target.pod && o.kind === "Pod" && o.metadata?.name === s.target.pod) ||
        (name && o.kind?.toLowerCase() === kind.toLowerCase() && o.metadata?.name === name)),
  );
  return (
    named?.spec?.serviceAccountName ??
    named?.spec?.template?.spec?.serviceAccountName ??
    named?.spec?.jobTemplate?.spec?.template?.spec?.serviceAccountName ??
    "default"
  );
}

function roleArnOf(s: Scenario, sa: string): string | undefined {
  const objects = s.kubernetes.objects as {
    kind?: string;
    metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  }[];
  const annotated = objects.find(
    (o) => o.kind === "ServiceAccount" && o.metadata?.name === sa && o.metadata?.namespace === s.target.namespace,
  )?.metadata?.annotations?.["eks.amazonaws.com/role-arn"];
  return annotated?.trim() || undefined;
}

/** Sensible arguments for every tool, from the scenario's target. */
function callsFor(s: Scenario): [string, Args][] {
  const namespace = s.target.namespace;
  const serviceAccount = serviceAccountOf(s);
  const target: Args = { namespace };
  for (const k of ["serviceAccount", "pod", "workload"] as const) if (s.target[k]) target[k] = s.target[k];
  if (!s.target.serviceAccount && !s.target.pod && !s.target.workload) target.serviceAccount = serviceAccount;
  const errorText = s.target.errorText;
  const roleArn = roleArnOf(s, serviceAccount);
  const roleName = s.aws?.roles[0]?.roleName ?? "some-role";
  return [
    ["diagnose_workload_identity", { ...target, ...(errorText ? { errorText } : {}) }],
    ["inspect_service_account", { namespace, serviceAccount }],
    ["inspect_token", { namespace, serviceAccount }],
    ["inspect_workload", target],
    ["check_webhook", { namespace, serviceAccount }],
    ["show_cluster_oidc", { namespace, serviceAccount }],
    ["test_token_exchange", { namespace, serviceAccount }],
    ["list_federated_credentials", { namespace, serviceAccount }],
    ["check_role_assignments", { namespace, serviceAccount }],
    ["check_keyvault_access", { namespace, serviceAccount }],
    ["inspect_pod_identity", target],
    ["plan_migration", { namespace }],
    ["inspect_iam_role", roleArn ? { roleArn, namespace, serviceAccount } : { roleName }],
    ["audit_cluster", { namespace }],
    ["explain_error", { text: errorText ?? "AADSTS700213: No matching federated identity record found", namespace }],
  ];
}

const all = listBundledScenarios().map((s) => loadScenario(s.file));

/** Every tool on the bundled worlds whose names start with `prefix` (one test file per platform runs in parallel). */
export function sdkClientMatrix(prefix: string) {
  const worlds = all.filter((s) => s.name.startsWith(prefix));
  describe(`the SDK client accepts every structured result (${prefix}* worlds)`, () => {
    it("calls every registered tool", async () => {
      const h = await connect({ scenario: "aks-healthy" });
      try {
        const { tools } = await h.client.listTools();
        const called = new Set(callsFor(worlds[0]).map(([name]) => name));
        expect(tools.map((t) => t.name).filter((n) => !called.has(n))).toEqual([]);
        // The three files (aks-, eks-, podid-) together cover every bundled world.
        expect(all.filter((s) => !/^(aks|eks|podid)-/.test(s.name)).map((s) => s.name)).toEqual([]);
      } finally {
        await h.close();
      }
    });

    for (const scenario of worlds) {
      it(scenario.name, { timeout: 240_000 }, async () => {
        const h = await connect({ scenario: scenario.name });
        const rejected: string[] = [];
        let structured = 0;
        let diagnosis: DiagnosisView | undefined;
        try {
          // The client learns the output schemas from tools/list, and validates every result from then on.
          await h.client.listTools();
          // One server per world; its tools are called one after another, so each reuses the connections the
          // last one left open (side by side, every call opened its own TLS connections: most of the CPU).
          for (const [name, args] of callsFor(scenario)) {
            try {
              const r = await h.client.callTool({ name, arguments: args });
              if (!r.isError) {
                expect(r.structuredContent, name).toBeDefined();
                structured++;
                if (name === "diagnose_workload_identity") diagnosis = r.structuredContent as DiagnosisView;
              } else {
                const text = (r.content as { text?: string }[])[0]?.text ?? "";
                // A refusal names the field or the tool to use; it never leaks a raw SDK complaint.
                expect(text, name).not.toMatch(/Region is missing/);
              }
            } catch (err) {
              rejected.push(`${name}: ${err instanceof McpError ? `${err.code} ${err.message}` : String(err)}`);
            }
          }
        } finally {
          await h.close();
        }
        expect(rejected).toEqual([]);
        expect(structured).toBeGreaterThan(0);
        // The one-call diagnosis, as the client received it, is what the scenario expects (a target naming only a
        // namespace is given its service account here, so that one is checked in test/scenarios.test.ts).
        if (!namespaceOnly(scenario)) {
          expect(diagnosis, "diagnose_workload_identity answered").toBeDefined();
          expectAsScenarioSays(scenario, diagnosis!);
        }
      });
    }
  });
}
