// Write tools against the simulated clouds: a federated credential while Entra propagates it (with progress), a
// 409 on concurrent credential writes retried, a 403 that names the permission, a changed credential list
// refusing the plan, and a rollout restart whose new pods the webhook mutates.
import { afterEach, describe, expect, it } from "vitest";
import { startSimSession, type SimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";
import { setPropagationDelay } from "../../src/sim/services/propagation.js";
import type { ToolContext } from "../../src/tools/define.js";
import { writeTools } from "../../src/tools/write-tools.js";

type Rule = ReturnType<typeof loadScenario>["faults"]["rules"][number];

let session: SimSession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

async function open(name: string, rules: Partial<Rule>[] = []) {
  const scenario = loadScenario(name);
  scenario.faults.rules.push(...(rules as Rule[]));
  session = await startSimSession(scenario, { timeoutMs: 20_000 });
  const progress: string[] = [];
  const ctx: ToolContext = {
    env: async () => (session as SimSession).env,
    signal: new AbortController().signal,
    progress: async (m) => {
      progress.push(m);
    },
  };
  return { session, ctx, progress };
}

function tool(name: string) {
  const t = writeTools.find((x) => x.name === name);
  if (!t) throw new Error(`no tool ${name}`);
  return {
    call: async (args: Record<string, unknown>, ctx: ToolContext) =>
      (await t.handler(t.inputSchema.parse(args), ctx)) as Record<string, unknown> & { planId: string },
  };
}

const fic = tool("set_federated_credential");
const target = { namespace: "payments", serviceAccount: "payments-api" };

describe("set_federated_credential", () => {
  it("retries the verification while the credential propagates, until it holds", async () => {
    const { session: s, ctx } = await open("aks-fic-subject-sa-typo");
    setPropagationDelay(s.world, 500);
    const plan = await fic.call(target, ctx);
    const applied = await fic.call(
      { ...target, dryRun: false, confirm: true, planId: plan.planId, verifyWithinSeconds: 120 },
      ctx,
    );
    expect(applied.verification).toMatchObject({ status: "healthy", verdict: "healthy" });
  });

  it("reports propagating while Entra does not see the credential, then healthy once it does", async () => {
    const { session: s, ctx, progress } = await open("aks-fic-subject-sa-typo");
    setPropagationDelay(s.world, 60_000);
    const plan = await fic.call(target, ctx);
    expect(plan).toMatchObject({ action: "create", change: { api: "arm", method: "PUT" } });
    const applied = await fic.call(
      { ...target, dryRun: false, confirm: true, planId: plan.planId, verifyWithinSeconds: 1 },
      ctx,
    );
    expect(applied.verification).toMatchObject({ status: "propagating" });
    expect((applied.verification as { attempts: number }).attempts).toBeGreaterThan(1);
    expect(progress.filter((m) => m.startsWith("verifying")).length).toBeGreaterThan(1);
    setPropagationDelay(s.world, 0);
    const again = await fic.call({ ...target, dryRun: false, confirm: true, planId: plan.planId }, ctx);
    // Applying the same plan again writes nothing: the credential is already there.
    expect(again).toMatchObject({ applied: false, action: "none" });
    const identity = s.world.scenario.azure?.userAssignedIdentities.find((i) => i.name === "payments-api-identity");
    expect(
      identity?.federatedIdentityCredentials.filter((c) => c.subject === "system:serviceaccount:payments:payments-api"),
    ).toHaveLength(1);
  });

  it("retries a 409 from concurrent credential writes", async () => {
    const { ctx, session: s } = await open("aks-fic-none", [
      { service: "arm", path: "federatedIdentityCredentials", method: "PUT", status: 409, times: 1 },
    ]);
    const plan = await fic.call(target, ctx);
    const applied = await fic.call(
      { ...target, dryRun: false, confirm: true, planId: plan.planId, verifyWithinSeconds: 0 },
      ctx,
    );
    expect(applied.applied).toBe(true);
    const identity = s.world.scenario.azure?.userAssignedIdentities[0];
    expect(identity?.federatedIdentityCredentials.map((c) => c.subject)).toContain(
      "system:serviceaccount:payments:payments-api",
    );
  });

  it("names the permission a 403 refuses, and writes nothing", async () => {
    const { ctx, session: s } = await open("aks-fic-none", [
      { service: "arm", path: "federatedIdentityCredentials", method: "PUT", status: 403 },
    ]);
    const plan = await fic.call(target, ctx);
    await expect(fic.call({ ...target, dryRun: false, confirm: true, planId: plan.planId }, ctx)).rejects.toThrow(
      /needs Microsoft\.ManagedIdentity\/userAssignedIdentities\/federatedIdentityCredentials\/write/,
    );
    expect(s.world.scenario.azure?.userAssignedIdentities[0].federatedIdentityCredentials).toHaveLength(0);
  });

  it("refuses a plan after the identity's credentials changed", async () => {
    const { ctx, session: s } = await open("aks-fic-none");
    const plan = await fic.call(target, ctx);
    s.world.scenario.azure?.userAssignedIdentities[0].federatedIdentityCredentials.push({
      name: "added-meanwhile",
      issuer: "https://example.com/",
      subject: "system:serviceaccount:other:app",
      audiences: ["api://AzureADTokenExchange"],
    });
    await expect(fic.call({ ...target, dryRun: false, confirm: true, planId: plan.planId }, ctx)).rejects.toThrow(
      /changed since the dry run/,
    );
    expect(s.world.scenario.azure?.userAssignedIdentities[0].federatedIdentityCredentials).toHaveLength(1);
  });
});

describe("restart_workload", () => {
  it("replaces the pods; the webhook mutates the new ones", async () => {
    const { ctx, session: s } = await open("aks-pod-created-before-webhook");
    const pods = () =>
      s.world.scenario.kubernetes.objects.filter(
        (o) => o.kind === "Pod" && o.metadata.namespace === "payments",
      ) as unknown as {
        metadata: { name: string };
        spec: { containers: { env?: { name: string }[] }[] };
      }[];
    const before = pods().map((p) => p.metadata.name);
    const restart = tool("restart_workload");
    const args = { namespace: "payments", workload: "deployment/payments-api" };
    const plan = await restart.call(args, ctx);
    expect(plan.commands).toEqual(["kubectl rollout restart deployment/payments-api -n payments"]);
    const applied = await restart.call({ ...args, dryRun: false, confirm: true, planId: plan.planId }, ctx);
    expect(applied.verification).toMatchObject({ status: "healthy" });
    const after = pods();
    expect(after.map((p) => p.metadata.name)).not.toEqual(expect.arrayContaining(before));
    expect(after[0].spec.containers[0].env?.map((e) => e.name)).toEqual(
      expect.arrayContaining(["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE"]),
    );
    // The restart is not repeated: its plan was for the workload before the restart.
    await expect(restart.call({ ...args, dryRun: false, confirm: true, planId: plan.planId }, ctx)).rejects.toThrow(
      /changed since/,
    );
  });
});

describe("create_pod_identity_association", () => {
  it("creates the association once; the same plan again changes nothing", async () => {
    const { ctx, session: s } = await open("eks-podid-association-missing");
    const create = tool("create_pod_identity_association");
    const args = {
      clusterName: "orders-prod",
      namespace: "orders",
      serviceAccount: "orders-api",
      roleArn: "arn:aws:iam::111122223333:role/orders-api-podid",
    };
    const plan = await create.call(args, ctx);
    expect(plan).toMatchObject({ action: "create", change: { api: "eks" } });
    expect(plan.commands).toEqual([
      "aws eks create-pod-identity-association --cluster-name orders-prod --namespace orders --service-account orders-api --role-arn arn:aws:iam::111122223333:role/orders-api-podid",
    ]);
    const applied = await create.call(
      { ...args, dryRun: false, confirm: true, planId: plan.planId, verifyWithinSeconds: 0 },
      ctx,
    );
    expect(applied.applied).toBe(true);
    const mine = () =>
      s.world.scenario.aws?.podIdentityAssociations.filter(
        (a) => a.namespace === "orders" && a.serviceAccount === "orders-api",
      );
    expect(mine()).toHaveLength(1);
    const again = await create.call({ ...args, dryRun: false, confirm: true, planId: plan.planId }, ctx);
    expect(again).toMatchObject({ applied: false, action: "none" });
    expect(mine()).toHaveLength(1);
  });
});
