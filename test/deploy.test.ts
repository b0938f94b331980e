// deploy/: the kustomize base and overlays render to a hardened, least-privilege service; they apply with a
// server-side dry run to the simulated API server; and wi-doctor's own deployment diagnoses healthy.
import { describe, expect, it } from "vitest";
import { diagnose } from "../src/gather/index.js";
import { readinessProbe } from "../src/http/ready.js";
import { KubeProvider } from "../src/providers/kubernetes.js";
import { startSimSession } from "../src/sim/environment.js";
import { loadScenario } from "../src/sim/scenario.js";
import { hasKubectl, merge, render } from "./helpers/kustomize.js";

type Any = any;
const find = (objs: Any[], kind: string) => objs.find((o) => o.kind === kind);

describe.each(["aks", "eks"])("deploy/overlays/%s", (overlay) => {
  const { objects } = render(`deploy/overlays/${overlay}`);

  it("renders a hardened Deployment with 2 replicas, a PodDisruptionBudget, a Service and a NetworkPolicy", () => {
    const kinds = objects.map((o) => o.kind).sort();
    expect(kinds).toEqual(
      [
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "Namespace",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Service",
        "ServiceAccount",
      ].sort(),
    );
    const d: Any = find(objects, "Deployment");
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.serviceAccountName).toBe("wi-doctor");
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(c.securityContext.capabilities.drop).toEqual(["ALL"]);
    expect(c.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(c.args).toEqual(expect.arrayContaining(["serve", "--http", "--auth", "kubernetes"]));
    expect(c.readinessProbe.httpGet.path).toBe("/readyz");
    expect(c.livenessProbe.httpGet.path).toBe("/healthz");
    expect(find(objects, "PodDisruptionBudget").spec.minAvailable).toBe(1);
    expect(find(objects, "NetworkPolicy").spec.policyTypes).toEqual(["Ingress", "Egress"]);
    for (const o of objects)
      if (o.kind !== "ClusterRole" && o.kind !== "ClusterRoleBinding" && o.kind !== "Namespace") {
        expect(o.metadata.namespace, `${o.kind}`).toBe("wi-doctor");
      }
  });

  it("gives the service account its own cloud identity", () => {
    const sa: Any = find(objects, "ServiceAccount");
    const d: Any = find(objects, "Deployment");
    if (overlay === "aks") {
      expect(sa.metadata.annotations["azure.workload.identity/client-id"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(d.spec.template.metadata.labels["azure.workload.identity/use"]).toBe("true");
    } else {
      expect(sa.metadata.annotations["eks.amazonaws.com/role-arn"]).toMatch(/^arn:aws:iam::\d{12}:role\//);
    }
  });

  it("grants only reads, plus token, TokenReview and SubjectAccessReview creation", () => {
    const role: Any = find(objects, "ClusterRole");
    for (const rule of role.rules) {
      const verbs: string[] = rule.verbs;
      if (verbs.includes("create")) {
        expect(verbs).toEqual(["create"]);
        for (const r of rule.resources)
          expect(["serviceaccounts/token", "tokenreviews", "subjectaccessreviews"]).toContain(r);
      } else {
        for (const v of verbs) expect(["get", "list"]).toContain(v);
      }
      expect(rule.resources ?? []).not.toContain("secrets");
      expect(rule.resources ?? []).not.toContain("*");
    }
    const creates = role.rules.filter((r: Any) => r.verbs.includes("create")).flatMap((r: Any) => r.resources);
    expect(creates.sort()).toEqual(["serviceaccounts/token", "subjectaccessreviews", "tokenreviews"]);
  });

  it("applies with a server-side dry run to the simulated API server and stores nothing", async () => {
    const session = await startSimSession(loadScenario(overlay === "aks" ? "aks-healthy" : "eks-irsa-healthy"));
    try {
      const kube = new KubeProvider(session.env);
      // As with kubectl apply --dry-run=server, the namespace must exist for the objects in it.
      const ns = find(objects, "Namespace");
      await kube.createObject(ns);
      for (const o of objects.filter((x) => x.kind !== "Namespace")) {
        const answer: Any = await kube.createObject(o, { dryRun: true });
        expect(answer.metadata.name, o.kind).toBe(o.metadata.name);
      }
      expect(await kube.getDeployment("wi-doctor", "wi-doctor")).toBeNull();
      await expect(
        kube.createObject({ ...find(objects, "Deployment"), kind: "Deploymnt" }, { dryRun: true }),
      ).rejects.toThrow();
    } finally {
      await session.close();
    }
  });
});

describe("the renderer", () => {
  it("renders with kubectl when it is installed, and its fallback merge agrees with kubectl", () => {
    const { by, objects } = render("deploy/overlays/eks");
    expect(by).toBe(hasKubectl() ? "kubectl" : "merge");
    const key = (o: Any) => `${o.kind}/${o.metadata.name}`;
    const merged = merge("deploy/overlays/eks");
    expect(merged.map(key).sort()).toEqual(objects.map(key).sort());
    expect(find(merged, "Deployment").spec).toEqual(find(objects, "Deployment").spec);
    expect(find(merged, "ServiceAccount").metadata).toEqual(find(objects, "ServiceAccount").metadata);
  });
});

describe("wi-doctor's own deployment in a bundled world", () => {
  it("matches deploy/overlays/aks and diagnoses healthy, so /readyz is ready", async () => {
    const scenario = loadScenario("aks-wi-doctor-in-cluster");
    const { objects } = render("deploy/overlays/aks");
    const inWorld = (kind: string) =>
      scenario.kubernetes.objects.find((o) => o.kind === kind && o.metadata.name === "wi-doctor") as Any;
    const rendered: Any = find(objects, "Deployment");
    expect(inWorld("Deployment").spec).toEqual(rendered.spec);
    expect(Object.keys(inWorld("ServiceAccount").metadata.annotations)).toEqual(["azure.workload.identity/client-id"]);
    const session = await startSimSession(scenario);
    try {
      const report = await diagnose(session.env, scenario.target, {
        signal: AbortSignal.timeout(60_000),
        progress: async () => undefined,
      });
      expect(report.verdict).toBe("healthy");
      const ready = await readinessProbe(async () => session.env, {
        namespace: "wi-doctor",
        serviceAccount: "wi-doctor",
      })();
      expect(ready).toMatchObject({ ready: true, verdict: "healthy" });
    } finally {
      await session.close();
    }
  });
});
