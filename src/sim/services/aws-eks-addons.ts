// EKS add-ons (ListAddons, DescribeAddon), derived from what runs in the simulated cluster: an add-on is installed
// when its workload is there (eks-pod-identity-agent, vpc-cni, kube-proxy, coredns in kube-system).
import type { SimResponse, SimWorld } from "../world.js";
import { jsonError, partitionOf } from "./aws-common.js";

const CREATED_AT = 1705312800;

/** Add-on name → the kube-system workload that shows it is installed. */
const ADDON_WORKLOADS: Record<string, { kind: string; name: string; version: string }> = {
  "eks-pod-identity-agent": { kind: "DaemonSet", name: "eks-pod-identity-agent", version: "v1.3.4-eksbuild.1" },
  "vpc-cni": { kind: "DaemonSet", name: "aws-node", version: "v1.18.3-eksbuild.1" },
  "kube-proxy": { kind: "DaemonSet", name: "kube-proxy", version: "v1.30.0-eksbuild.3" },
  coredns: { kind: "Deployment", name: "coredns", version: "v1.11.1-eksbuild.9" },
};

function installedAddons(world: SimWorld): string[] {
  const objects = world.scenario.kubernetes.objects;
  return Object.entries(ADDON_WORKLOADS)
    .filter(([, w]) =>
      objects.some((o) => o.kind === w.kind && o.metadata.name === w.name && o.metadata.namespace === "kube-system"),
    )
    .map(([name]) => name)
    .sort();
}

/** /clusters/{name}/addons[/{addon}] for an existing cluster; undefined for other paths. */
export function handleAddons(world: SimWorld, clusterName: string, parts: string[]): SimResponse | undefined {
  const aws = world.scenario.aws;
  if (!aws || parts[2] !== "addons") return undefined;
  const names = installedAddons(world);
  if (parts.length === 3) return { status: 200, body: { addons: names, nextToken: null } };
  if (parts.length !== 4) return undefined;
  const addon = parts[3];
  if (!names.includes(addon)) {
    return jsonError(404, "ResourceNotFoundException", `No addon: ${addon} found in cluster: ${clusterName}`, {
      clusterName,
      addonName: addon,
    });
  }
  const arn = `arn:${partitionOf(aws.region)}:eks:${aws.region}:${aws.accountId}:addon/${clusterName}/${addon}/simulated`;
  return {
    status: 200,
    body: {
      addon: {
        addonName: addon,
        clusterName,
        status: "ACTIVE",
        addonVersion: ADDON_WORKLOADS[addon].version,
        health: { issues: [] },
        addonArn: arn,
        createdAt: CREATED_AT,
        modifiedAt: CREATED_AT,
        tags: {},
        podIdentityAssociations: [],
      },
    },
  };
}
