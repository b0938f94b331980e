// aad-pod-identity facts diagnosed whole, the node-pool case and MIC's ARM refusals read from its log lines (the
// other checks' tables are in tables*.ts and run in test/checks/checks.test.ts).
import { describe, expect, it } from "vitest";
import { readDenials, roleFor } from "../../../src/diagnosis/podid/arm-denials.js";
import { micAuthorizationFailed } from "../../../src/diagnosis/podid/checks/authorization.js";
import { identityNotOnVmss } from "../../../src/diagnosis/podid/checks/node-pool.js";
import { servicePrincipalSecret } from "../../../src/diagnosis/podid/checks/service-principal.js";
import { diagnosePodIdFacts } from "../../../src/diagnosis/podid/index.js";
import { testCheck } from "../rule-tester.js";
import { edit, healthyPodId, KUBELET, NODE_RG, SUB, TENANT, v, VMSS } from "./builders.js";
import { healthy, linked, OTHER_MI, SUBNET, servicePrincipal, valid, withMicLines } from "./tables-mic.js";

describe("the healthy aad-pod-identity facts", () => {
  it("raise no finding and give a healthy verdict", () => {
    const report = diagnosePodIdFacts(healthyPodId());
    expect(report.findings).toEqual([]);
    expect(report.verdict).toBe("healthy");
  });
});

it("the service-principal finding never carries a Secret value", () => {
  const found = servicePrincipalSecret.run(servicePrincipal(2, ["certificate"]));
  expect(JSON.stringify(found)).not.toMatch(/BEGIN|c2ltdWxhdGVk/);
  expect(found[0].fix.commands.join("\n")).toContain('"<certificate password>"');
});

it("the fix names the exact scope and role the log names", () => {
  const facts = edit(healthy, (f) =>
    withMicLines(f, [linked("Microsoft.ManagedIdentity/userAssignedIdentities/assign/action", OTHER_MI)]),
  );
  const [finding] = micAuthorizationFailed.run(facts);
  expect(finding.fix.commands[0]).toBe(
    `az role assignment create --role 'Managed Identity Operator' --assignee-object-id ${KUBELET.objectId} --assignee-principal-type ServicePrincipal --scope ${OTHER_MI}`,
  );
});

testCheck(identityNotOnVmss, {
  valid,
  invalid: [
    {
      name: "a node pool added after the identity was attached",
      facts: edit(healthy, (f) => {
        v(f.vmss).push({ name: "aks-pool2-27182818-vmss", resourceGroup: NODE_RG, userAssignedIdentities: [] });
        v(f.pods)[0].spec!.nodeName = "aks-pool2-27182818-vmss000000";
      }),
      findings: [{ evidence: { attachedToOtherScaleSets: [VMSS] }, title: /node pool added after/ }],
    },
  ],
});

describe("MIC's ARM refusals", () => {
  it("are read with their action, scope and principal, once each", () => {
    const line = linked("Microsoft.Network/virtualNetworks/subnets/join/action", SUBNET);
    const [d, ...rest] = readDenials([line, line]);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      code: "LinkedAuthorizationFailed",
      action: "Microsoft.Network/virtualNetworks/subnets/join/action",
      scope: SUBNET,
      objectId: KUBELET.objectId,
    });
    expect(roleFor(d.action)).toBe("Network Contributor");
  });

  it("read the cross-tenant linked subscription refusal of MIC before 1.6", () => {
    const line = `E0821 10:42:19.340740       1 vmss.go:57] compute.VirtualMachineScaleSetsClient#CreateOrUpdate: Failure sending request: StatusCode=403 -- Original Error: Code="LinkedAuthorizationFailed" Message="The client has permission to perform action 'Microsoft.Compute/galleries/images/versions/read' on scope '/subscriptions/${SUB}/resourceGroups/${NODE_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/${VMSS}', however the current tenant '${TENANT}' is not authorized to access linked subscription '109a5e88-712a-48ae-9078-9ca8b3c81345'."`;
    expect(readDenials([line])).toMatchObject([{ linkedSubscription: "109a5e88-712a-48ae-9078-9ca8b3c81345" }]);
  });

  it("ignore lines without a scope", () => {
    expect(readDenials(['E0612 mic.go:1105] … StatusCode=403 -- Original Error: Code="AuthorizationFailed"'])).toEqual(
      [],
    );
  });
});
