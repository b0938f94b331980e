// The pure parts of the aad-pod-identity diagnosis: reading the CRDs, role wildcards, NetworkPolicy egress,
// library versions and pod detection.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { usesPodIdentity } from "../../src/diagnosis/podid/detect.js";
import { parseIdentityResourceId, readAssigned, readBinding, readIdentity } from "../../src/diagnosis/podid/facts.js";
import { cidrContains, egressAllowed, ipv4ToInt, selectorMatches } from "../../src/diagnosis/podid/network.js";
import { actionAllowed, ASSIGN_ACTION, VMSS_WRITE_ACTION, wildcard } from "../../src/diagnosis/podid/roles.js";
import { assessSdk, compareVersions } from "../../src/diagnosis/podid/sdk.js";

const SUB = "9c4e2a7b-1d3f-4e5a-8b6c-0d2e4f6a8b0c";
const ID = `/subscriptions/${SUB}/resourcegroups/rg-ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders-mi`;

describe("reading aad-pod-identity objects", () => {
  it("reads MIC 1.6+ field names and reports the old lower-case ones as empty", () => {
    const good = readIdentity({
      metadata: { name: "a", namespace: "x" },
      spec: { type: 0, resourceID: ID, clientID: "c" },
    });
    expect(good).toMatchObject({ name: "a", namespace: "x", type: 0, resourceID: ID, clientID: "c", miscased: [] });
    const old = readIdentity({ metadata: { name: "a" }, spec: { type: 0, resourceid: ID, clientid: "c" } });
    expect(old.resourceID).toBe("");
    expect(old.clientID).toBe("");
    expect(old.miscased.map((m) => `${m.found}->${m.expected}`).sort()).toEqual([
      "clientid->clientID",
      "resourceid->resourceID",
    ]);
    const b = readBinding({ metadata: { name: "b" }, spec: { AzureIdentity: "a", Selector: "s" } });
    expect(b.azureIdentity).toBe("");
    expect(b.selector).toBe("");
    expect(b.miscased.map((m) => m.expected).sort()).toEqual(["azureIdentity", "selector"]);
    const typeAsText = readIdentity({ metadata: { name: "a" }, spec: { type: "0", resourceID: ID, clientID: "c" } });
    expect(typeAsText.type).toBeUndefined();
    expect(typeAsText.typeRaw).toBe("0");
  });

  it("accepts only the user-assigned identity resource id form, case-insensitively as MIC does", () => {
    expect(parseIdentityResourceId(ID)).toEqual({ subscriptionId: SUB, resourceGroup: "rg-ids", name: "orders-mi" });
    expect(parseIdentityResourceId(ID.replace("resourcegroups", "resourceGroups"))?.name).toBe("orders-mi");
    expect(parseIdentityResourceId("")).toBeUndefined();
    expect(parseIdentityResourceId("0f6a2c8e-4b1d-4e7a-9c3f-5d8b0e2a4c6f")).toBeUndefined();
    expect(parseIdentityResourceId(`${ID}/`)).toBeUndefined();
    expect(parseIdentityResourceId(` ${ID}`)).toBeUndefined();
    expect(parseIdentityResourceId(ID.replace("userAssignedIdentities", "identities"))).toBeUndefined();
  });

  it("reads an AzureAssignedIdentity's pod, state, finalizers and deletion", () => {
    const a = readAssigned({
      metadata: {
        name: "p-ns-a",
        namespace: "ns",
        finalizers: ["f"],
        deletionTimestamp: new Date("2025-06-12T09:30:00Z"),
      },
      spec: {
        pod: "p",
        podNamespace: "ns",
        nodename: "n",
        azureIdentityRef: { metadata: { name: "a" }, spec: { clientID: "c" } },
      },
      status: { status: "Created" },
    });
    expect(a).toMatchObject({
      pod: "p",
      podNamespace: "ns",
      nodeName: "n",
      identityName: "a",
      clientID: "c",
      state: "Created",
      deleting: true,
    });
    expect(a.deletionTimestamp).toBe("2025-06-12T09:30:00.000Z");
  });
});

describe("role assignments", () => {
  const role = (roleName: string, scope: string, actions: string[], notActions: string[] = []) => ({
    scope,
    roleName,
    actions,
    dataActions: [],
    notActions,
  });
  const mio = (scope: string) =>
    role("Managed Identity Operator", scope, [
      "Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
      "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
    ]);

  it("Managed Identity Operator grants assign/action on the identity, from the identity, its group or the subscription", () => {
    for (const scope of [ID, `/subscriptions/${SUB}/resourceGroups/RG-IDS`, `/subscriptions/${SUB}`, "/"]) {
      expect(actionAllowed([mio(scope)], ASSIGN_ACTION, ID), scope).toBe(true);
    }
    expect(actionAllowed([mio(`/subscriptions/${SUB}/resourceGroups/rg-other`)], ASSIGN_ACTION, ID)).toBe(false);
    expect(actionAllowed([mio(`/subscriptions/${SUB}/resourceGroups/rg-id`)], ASSIGN_ACTION, ID)).toBe(false);
    expect(actionAllowed([mio(`/subscriptions/${SUB}`)], VMSS_WRITE_ACTION, ID)).toBe(false);
  });

  it("honours notActions and the star forms", () => {
    expect(actionAllowed([role("Owner", "/", ["*"])], ASSIGN_ACTION, ID)).toBe(true);
    expect(actionAllowed([role("Custom", "/", ["*"], ["Microsoft.ManagedIdentity/*"])], ASSIGN_ACTION, ID)).toBe(false);
    expect(wildcard("Microsoft.Compute/virtualMachineScaleSets/*", VMSS_WRITE_ACTION)).toBe(true);
    expect(wildcard("Microsoft.Compute/virtualMachines/*", VMSS_WRITE_ACTION)).toBe(false);
    expect(
      wildcard(
        "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
        `${"Microsoft.ManagedIdentity/userAssignedIdentities"}/x/assign/action`,
      ),
    ).toBe(true);
    expect(wildcard("Microsoft.ManagedIdentity/userAssignedIdentities/*/read", ASSIGN_ACTION)).toBe(false);
  });
});

describe("NetworkPolicy egress to IMDS and NMI", () => {
  it("CIDR arithmetic agrees with a plain integer comparison", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 32 }),
        (a, b, bits) => {
          const ip = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
          const size = 2 ** (32 - bits);
          const expected = Math.floor(a / size) === Math.floor(b / size);
          return cidrContains(`${ip(a)}/${bits}`, ip(b)) === expected && ipv4ToInt(ip(a)) === a;
        },
      ),
    );
    expect(cidrContains("169.254.169.254/32", "169.254.169.254")).toBe(true);
    expect(cidrContains("not-an-ip/8", "10.0.0.1")).toBe(false);
  });

  it("label selectors follow Kubernetes semantics", () => {
    const labels = { app: "orders", tier: "api" };
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: "orders" } }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: "tier", operator: "In", values: ["api"] }] }, labels)).toBe(
      true,
    );
    expect(selectorMatches({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["api"] }] }, labels)).toBe(
      false,
    );
    expect(selectorMatches({ matchExpressions: [{ key: "x", operator: "DoesNotExist" }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: "x", operator: "Exists" }] }, labels)).toBe(false);
  });

  it("only ipBlocks (or no peers at all) let traffic out to IMDS; ports and excepts count", () => {
    const policy = (egress: unknown[], podSelector = {}) => ({
      metadata: { name: "p", namespace: "ns" },
      spec: { podSelector, policyTypes: ["Egress"], egress },
    });
    const check = (egress: unknown[], ip = "169.254.169.254", port = 80) =>
      egressAllowed([policy(egress) as never], "ns", { app: "a" }, ip, port).allowed;
    expect(egressAllowed([], "ns", {}, "169.254.169.254", 80)).toEqual({ policies: [], allowed: true });
    expect(check([])).toBe(false);
    expect(check([{}])).toBe(true);
    expect(check([{ to: [{ podSelector: {} }] }])).toBe(false);
    expect(check([{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }])).toBe(true);
    expect(check([{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.0.0/16"] } }] }])).toBe(false);
    expect(check([{ to: [{ ipBlock: { cidr: "169.254.169.254/32" } }], ports: [{ port: 443 }] }])).toBe(false);
    expect(check([{ ports: [{ protocol: "UDP", port: 80 }] }])).toBe(false);
    expect(
      check(
        [{ to: [{ ipBlock: { cidr: "10.224.0.0/16" } }], ports: [{ port: 2000, endPort: 3000 }] }],
        "10.224.0.4",
        2579,
      ),
    ).toBe(true);
    // A policy for other pods does not apply.
    expect(
      egressAllowed([policy([], { matchLabels: { app: "other" } }) as never], "ns", { app: "a" }, "169.254.169.254", 80)
        .allowed,
    ).toBe(true);
  });
});

describe("Azure identity library versions", () => {
  it("compares versions numerically", () => {
    expect(compareVersions("1.13.0", "1.9.0")).toBeGreaterThan(0);
    expect(compareVersions("v1.3.0", "1.3.0")).toBe(0);
    expect(compareVersions("3.1.4", "3.2.0")).toBeLessThan(0);
  });

  it("reads the declared library per container, knows a few images, and is honest about the rest", () => {
    const template = (annotation: string | undefined, images: string[]) => ({
      metadata: {
        annotations: (annotation ? { "wi-doctor.io/azure-identity-sdk": annotation } : {}) as Record<string, string>,
      },
      spec: { containers: images.map((image, i) => ({ name: `c${i}`, image })) },
    });
    const [a, b] = assessSdk(template("c0=node@3.1.0;c1=dotnet@1.10.2", ["x", "y"]));
    expect(a).toMatchObject({ status: "too-old", ecosystem: "node", minimum: "3.2.0" });
    expect(b).toMatchObject({ status: "ok", ecosystem: "dotnet" });
    expect(assessSdk(template("golang@1.3.0", ["x"]))[0]).toMatchObject({ status: "ok", ecosystem: "go" });
    expect(
      assessSdk(template(undefined, ["mcr.microsoft.com/oss/azure/aad-pod-identity/demo:v1.8.17"]))[0].status,
    ).toBe("too-old");
    expect(assessSdk(template(undefined, ["mcr.microsoft.com/azure-cli:2.61.0"]))[0].status).toBe("manual-login");
    const unknown = assessSdk(template(undefined, ["registry.example/app:1"]))[0];
    expect(unknown.status).toBe("unknown");
    expect(unknown.note).toContain("cannot see");
    expect(unknown.note).toContain("azure-identity ≥ 1.13.0");
  });
});

describe("usesPodIdentity", () => {
  it("recognises the label, a miscapitalised label, and a binding's selector on a lookalike key", () => {
    expect(usesPodIdentity({ aadpodidbinding: "orders" })).toBe(true);
    expect(usesPodIdentity({ aadPodIdBinding: "orders" })).toBe(true);
    expect(usesPodIdentity({ app: "orders" }, [{ metadata: { name: "b" }, spec: { selector: "orders" } }])).toBe(false);
    expect(
      usesPodIdentity({ "aad-pod-id-binding": "orders" }, [{ metadata: { name: "b" }, spec: { selector: "orders" } }]),
    ).toBe(true);
    expect(usesPodIdentity({ aadpodidbinding: "" })).toBe(false);
    expect(usesPodIdentity(undefined)).toBe(false);
  });
});
