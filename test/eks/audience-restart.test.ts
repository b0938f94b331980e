// eks-sa-audience-custom after its fix: the audience annotation is gone, but the running pod's token volume was
// projected for the old audience at admission; until the pod is recreated, STS still sees the old audience.
import { afterAll, describe, expect, it } from "vitest";
import { diagnose } from "../../src/gather/index.js";
import type { SimSession } from "../../src/sim/environment.js";
import { never, noProgress, session } from "./helpers.js";

const open: SimSession[] = [];
afterAll(async () => {
  for (const s of open) await s.close();
});

describe("a removed audience annotation and pods that predate it", () => {
  it("the running pod's projected audience asks for a restart, not healthy", async () => {
    const s = await session("eks-sa-audience-custom", (w) => {
      const sa = (w.kubernetes.objects as { kind?: string; metadata?: Record<string, any> }[]).find(
        (o) => o.kind === "ServiceAccount" && o.metadata?.name === "orders-api",
      );
      delete sa!.metadata!.annotations["eks.amazonaws.com/audience"];
    });
    open.push(s);
    const report = await diagnose(s.env, s.world.scenario.target, { signal: never, progress: noProgress });
    expect(report.verdict).toBe("broken");
    const restart = report.findings.find((f) => f.id === "pod.restart-needed");
    expect(restart?.evidence).toMatchObject({
      projectedAudience: "orders-api",
      annotatedAudience: "sts.amazonaws.com",
    });
    expect(restart?.fix.commands[0]).toMatch(/^kubectl rollout restart deployment/);
  });
});
