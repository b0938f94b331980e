// set_iam_oidc_provider against the simulated IAM: creating the provider for a cluster's issuer, adding the audience
// to an existing provider, the same plan again writing nothing, a plan refused once the provider changed, and the
// closed loop over both EKS OIDC-provider worlds.
import { describe, expect, it } from "vitest";
import type { ToolContext } from "../../src/tools/define.js";
import { writeTools } from "../../src/tools/write-tools.js";
import { closeLoop, worldPerTest } from "./closed-loop.js";

const start = worldPerTest();

async function open(name: string) {
  const { session, ctx } = await start(name);
  const aws = session.world.scenario.aws;
  if (!aws) throw new Error("no aws");
  return { aws, ctx };
}

const t = writeTools.find((x) => x.name === "set_iam_oidc_provider");
async function call(args: Record<string, unknown>, ctx: ToolContext) {
  if (!t) throw new Error("no set_iam_oidc_provider");
  return (await t.handler(t.inputSchema.parse(args), ctx)) as Record<string, unknown> & {
    planId: string;
    commands: string[];
  };
}

const ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/7B3F9C2A41E8D05F6A1C2B3D4E5F6071";
const HOST = ISSUER.slice("https://".length);
const applying = (args: Record<string, unknown>, planId: string) => ({
  ...args,
  dryRun: false,
  confirm: true,
  planId,
  verifyWithinSeconds: 0,
});
const matching = (aws: { oidcProviders: { url: string; clientIDList: string[] }[] }) =>
  aws.oidcProviders.filter((p) => p.url.replace(/^https:\/\//, "") === HOST);

describe("set_iam_oidc_provider", () => {
  it("creates the provider for the issuer once; the same plan again changes nothing", async () => {
    const { aws, ctx } = await open("eks-oidc-provider-missing");
    const args = { issuer: ISSUER };
    const plan = await call(args, ctx);
    expect(plan).toMatchObject({
      action: "create",
      before: null,
      change: {
        api: "iam",
        method: "CreateOpenIDConnectProvider",
        body: { Url: ISSUER, ClientIDList: ["sts.amazonaws.com"] },
      },
    });
    expect(plan.commands).toEqual([
      `aws iam create-open-id-connect-provider --url ${ISSUER} --client-id-list sts.amazonaws.com`,
    ]);
    expect(matching(aws)).toHaveLength(0);
    expect(await call(applying(args, plan.planId), ctx)).toMatchObject({ applied: true });
    expect(matching(aws)).toHaveLength(1);
    const again = await call(applying(args, plan.planId), ctx);
    expect(again).toMatchObject({ applied: false, action: "none" });
    expect(matching(aws)).toHaveLength(1);
  });

  it("adds the audience to an existing provider, and refuses a plan once the provider changed", async () => {
    const { aws, ctx } = await open("eks-oidc-audience-wrong");
    const args = { issuer: ISSUER, audience: "sts.amazonaws.com" };
    const plan = await call(args, ctx);
    expect(plan).toMatchObject({ action: "update", change: { method: "AddClientIDToOpenIDConnectProvider" } });
    const provider = matching(aws)[0];
    provider.clientIDList.push("another-audience");
    await expect(call(applying(args, plan.planId), ctx)).rejects.toThrow(/no longer matches .*no write was made/);
    expect(provider.clientIDList).not.toContain("sts.amazonaws.com");
    const fresh = await call(args, ctx);
    expect(await call(applying(args, fresh.planId), ctx)).toMatchObject({ applied: true });
    expect(provider.clientIDList).toContain("sts.amazonaws.com");
  });

  it.each(["eks-oidc-provider-missing", "eks-oidc-audience-wrong"])(
    "heals %s in the closed loop",
    { timeout: 180_000 },
    async (name) => {
      const result = await closeLoop(name);
      expect(result.healed, result.steps.join(", ")).toBe(true);
      expect(result.steps[0]).toMatch(/^eks\.oidc-(provider|audience)-missing → set_iam_oidc_provider$/);
    },
  );
});
