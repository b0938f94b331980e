// A broken world whose evidence cannot be read is never reported healthy. The matrix: every bundled broken world
// × a 403, a 500 and a hung answer on each service its root-cause evidence comes from.
import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/gather/index.js";
import { startSimSession } from "../../src/sim/environment.js";
import { listBundledScenarios, loadScenario, type Scenario } from "../../src/sim/scenario.js";

type Rule = Scenario["faults"]["rules"][number];
type Evidence = Pick<Rule, "service" | "path">[];

const k8s = (path: string): Evidence => [{ service: "kubernetes", path }];
const arm = (path: string): Evidence => [{ service: "arm", path }];
const iam = (...actions: string[]): Evidence => actions.map((path) => ({ service: "iam", path }));

/** Where the evidence of each root cause is read from (finding id → the requests that read it). */
const EVIDENCE: [RegExp, Evidence[]][] = [
  [/^cluster\./, [arm("managedClusters")]],
  [/^binding\.not-found/, [arm("identityBindings")]],
  [/^binding\.credential/, [arm("identityBindings"), arm("federatedIdentityCredentials")]],
  [/^binding\.rbac/, [k8s("clusterrole")]],
  [/^binding\./, [k8s("pods")]],
  [/^eks\.oidc-|^eks\.thumbprint/, [iam("ListOpenIDConnectProviders", "GetOpenIDConnectProvider")]],
  [/^eks\.pod-identity-agent/, [k8s("daemonsets")]],
  [/^eks\.pod-identity-association|^eks\.irsa-and/, [[{ service: "eks", path: "pod-identity-associations" }]]],
  [/^eks\.pod-identity-trust|^iam\./, [iam("GetRole")]],
  [/^eks\.pod-identity-(target-trust|exchange)/, [[{ service: "eks-auth", path: "" }]]],
  [/^eks\.pod-identity-source-permission/, [iam("ListRolePolicies", "GetRolePolicy", "ListAttachedRolePolicies")]],
  [/^eks\.pod-identity-session-tags/, [iam("GetRole"), [{ service: "eks", path: "pod-identity-associations" }]]],
  [/^eks\.pod-identity-(sdk|mechanism)/, [k8s("pods")]],
  [
    /^exchange\.failed/,
    [[{ service: "entra", path: "token" }], [{ service: "sts", path: "AssumeRoleWithWebIdentity" }]],
  ],
  [/^fic\./, [arm("federatedIdentityCredentials")]],
  [/^identity\./, [arm("userAssignedIdentities")]],
  [/^issuer\./, [[{ service: "oidc", path: "" }]]],
  [/^keyvault\./, [arm("vaults")]],
  [/^rbac\./, [arm("roleAssignments")]],
  [/^pod\./, [k8s("pods")]],
  [/^sa\./, [k8s("serviceaccounts")]],
  [/^spc\./, [k8s("secretproviderclasses")]],
  [/^webhook\./, [k8s("mutatingwebhookconfigurations"), k8s("deployments")]],
  [/^podid\.namespaced/, [k8s("azureidentities"), k8s("azureidentitybindings")]],
  [/^podid\.service-principal/, [k8s("azureidentities"), k8s("secrets")]],
  [/^podid\.kubenet/, [arm("managedClusters"), k8s("daemonsets")]],
  [/^podid\.(binding|label)/, [k8s("azureidentitybindings"), k8s("pods")]],
  [/^podid\.(client-id|identity-resource)/, [k8s("azureidentities"), arm("userAssignedIdentities")]],
  [/^podid\.egress/, [k8s("networkpolicies")]],
  [/^podid\.(finalizer|assigned)/, [k8s("azureassignedidentities")]],
  [/^podid\.identity-not-on-vmss/, [arm("virtualMachineScaleSets")]],
  [/^podid\.(linked-authorization|node-rg)/, [arm("roleAssignments"), k8s("pods")]],
  [/^podid\.mic/, [k8s("deployments"), k8s("pods")]],
  [/^podid\.nmi/, [k8s("daemonsets"), k8s("pods")]],
];

const FAULTS: { name: string; rule: Pick<Rule, "status" | "timeout"> }[] = [
  { name: "403", rule: { status: 403 } },
  { name: "500", rule: { status: 500 } },
  { name: "timeout", rule: { timeout: true } },
];

const broken = listBundledScenarios()
  .map((s) => loadScenario(s.file))
  .filter((s) => s.expect.verdict === "broken" || (s.expect.findings.length > 0 && s.expect.verdict !== "healthy"));

function evidenceOf(s: Scenario): Evidence[] {
  const root = s.expect.findings[0];
  const hit = EVIDENCE.find(([re]) => re.test(root));
  if (!hit) throw new Error(`${s.name}: no evidence source listed for ${root}`);
  return hit[1];
}

/** The matrix for the broken worlds whose names start with `prefix` (one test file per platform runs in parallel). */
export function faultMatrix(prefix: string) {
  const worlds = broken.filter((s) => s.name.startsWith(prefix));
  describe(`broken ${prefix}* world + a read fault on its evidence`, () => {
    it("lists where the evidence of every broken world's root cause is read from", () => {
      expect(worlds.length).toBeGreaterThanOrEqual(15);
      // The three files (aks-, eks-, podid-) together cover every broken world.
      expect(broken.filter((s) => !/^(aks|eks|podid)-/.test(s.name)).map((s) => s.name)).toEqual([]);
      for (const s of worlds) expect(evidenceOf(s).length, s.name).toBeGreaterThan(0);
    });

    for (const scenario of worlds) {
      // Each case mostly waits on injected faults and deadlines: worlds run side by side.
      it.concurrent(`${scenario.name} is never healthy`, { timeout: 240_000 }, async () => {
        // One world per scenario; each case swaps the fault rules in place.
        const session = await startSimSession(scenario, { timeoutMs: 800 });
        const outcomes: string[] = [];
        try {
          for (const evidence of evidenceOf(scenario)) {
            for (const fault of FAULTS) {
              session.world.scenario.faults.rules = evidence.map((e) => ({ ...e, ...fault.rule }));
              const report = await diagnose(session.env, scenario.target, {
                signal: AbortSignal.timeout(60_000),
                progress: async () => undefined,
                errorText: scenario.target.errorText,
              });
              const where = evidence.map((e) => `${e.service}:${e.path}`).join("+");
              outcomes.push(`${where} ${fault.name} → ${report.verdict}`);
              // Inconclusive says what could not be read.
              if (report.verdict === "inconclusive") expect(report.unsettled?.length, where).toBeGreaterThan(0);
            }
          }
        } finally {
          await session.close();
        }
        expect(
          outcomes.filter((o) => o.endsWith("healthy")),
          outcomes.join("\n"),
        ).toEqual([]);
        expect(outcomes.length).toBe(evidenceOf(scenario).length * FAULTS.length);
      });
    }
  });
}
