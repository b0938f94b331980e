// Simulated EKS (REST-JSON): DescribeCluster, ListClusters and the Pod Identity association reads.
import type { SimRequest, SimResponse, SimService, SimWorld } from "../world.js";
import { fakeId, jsonError, partitionOf, verifySigV4 } from "./aws-common.js";
import { handleAddons } from "./aws-eks-addons.js";

const CREATED_AT = 1705312800; // epoch seconds, as the REST-JSON wire carries timestamps

type Association = NonNullable<SimWorld["scenario"]["aws"]>["podIdentityAssociations"][number];

export function associationIdOf(a: Association): string {
  return a.associationId ?? `a-${fakeId("", `${a.clusterName}/${a.namespace}/${a.serviceAccount}`, 17).toLowerCase()}`;
}

/** The external id EKS generates for an association with a target role (a scenario may fix it). */
export function externalIdOf(a: Association): string | undefined {
  if (!a.targetRoleArn) return undefined;
  if (a.externalId) return a.externalId;
  const h = fakeId("", `external/${a.clusterName}/${a.namespace}/${a.serviceAccount}`, 32).toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function regionOf(host: string): string | undefined {
  return /^eks\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1];
}

function page<T>(items: T[], req: SimRequest): { items: T[]; nextToken: string | null } {
  const max = Math.max(1, Math.min(100, Number(req.query.get("maxResults") ?? "100") || 100));
  const start = Number(req.query.get("nextToken") ?? "0") || 0;
  const slice = items.slice(start, start + max);
  return { items: slice, nextToken: start + max < items.length ? String(start + max) : null };
}

/** CreatePodIdentityAssociation: POST /clusters/NAME/pod-identity-associations. */
function createAssociation(req: SimRequest, world: SimWorld, region: string | undefined): SimResponse | undefined {
  const aws = world.scenario.aws;
  const parts = req.path.split("/").filter(Boolean).map(decodeURIComponent);
  if (!aws || parts[0] !== "clusters" || parts[2] !== "pod-identity-associations" || parts.length !== 3)
    return undefined;
  const cluster = (region === aws.region ? aws.clusters : []).find((c) => c.name === parts[1]);
  if (!cluster) {
    return jsonError(404, "ResourceNotFoundException", `No cluster found for name: ${parts[1]}.`, {
      clusterName: parts[1],
    });
  }
  let body: { namespace?: unknown; serviceAccount?: unknown; roleArn?: unknown };
  try {
    body = req.json() as typeof body;
  } catch {
    return jsonError(400, "InvalidParameterException", "The request body is not valid JSON.");
  }
  const { namespace, serviceAccount, roleArn } = body ?? {};
  if (typeof namespace !== "string" || typeof serviceAccount !== "string" || typeof roleArn !== "string") {
    return jsonError(400, "InvalidParameterException", "namespace, serviceAccount and roleArn are required.");
  }
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(roleArn)) {
    return jsonError(400, "InvalidParameterException", `Role ARN ${roleArn} is not valid.`);
  }
  const exists = aws.podIdentityAssociations.some(
    (a) => a.clusterName === cluster.name && a.namespace === namespace && a.serviceAccount === serviceAccount,
  );
  if (exists) {
    return jsonError(409, "ResourceInUseException", "Association already exists for the given service account.");
  }
  const association = { clusterName: cluster.name, namespace, serviceAccount, roleArn, disableSessionTags: false };
  aws.podIdentityAssociations.push(association);
  const partition = partitionOf(aws.region);
  const id = associationIdOf(association);
  return {
    status: 200,
    body: {
      association: {
        clusterName: cluster.name,
        namespace,
        serviceAccount,
        roleArn,
        associationArn: `arn:${partition}:eks:${aws.region}:${aws.accountId}:podidentityassociation/${cluster.name}/${id}`,
        associationId: id,
        tags: {},
        createdAt: Math.floor(Date.now() / 1000),
        modifiedAt: Math.floor(Date.now() / 1000),
        disableSessionTags: false,
      },
    },
  };
}

function handleEks(req: SimRequest, world: SimWorld): SimResponse | undefined {
  const sig = verifySigV4(req);
  if (!sig.ok) {
    const type = sig.code === "SignatureDoesNotMatch" ? "InvalidSignatureException" : "UnrecognizedClientException";
    return jsonError(403, type, sig.message);
  }
  const aws = world.scenario.aws;
  const region = regionOf(req.host);
  if (!aws)
    return jsonError(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
  if (req.method === "POST") return createAssociation(req, world, region);
  if (req.method !== "GET") return undefined;
  // Clusters live in one region: asking another region's endpoint finds nothing, as it would for real.
  const clusters = region === aws.region ? aws.clusters : [];
  const partition = partitionOf(aws.region);
  const parts = req.path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== "clusters") return undefined;
  if (parts.length === 1) {
    const p = page(
      clusters.map((c) => c.name),
      req,
    );
    return { status: 200, body: { clusters: p.items, nextToken: p.nextToken } };
  }
  const name = parts[1];
  const cluster = clusters.find((c) => c.name === name);
  if (!cluster)
    return jsonError(404, "ResourceNotFoundException", `No cluster found for name: ${name}.`, { clusterName: name });
  const clusterArn = `arn:${partition}:eks:${aws.region}:${aws.accountId}:cluster/${cluster.name}`;
  if (parts.length === 2) {
    return {
      status: 200,
      body: {
        cluster: {
          name: cluster.name,
          arn: clusterArn,
          createdAt: CREATED_AT,
          version: cluster.version,
          endpoint: cluster.endpoint,
          roleArn: `arn:${partition}:iam::${aws.accountId}:role/${cluster.name}-cluster-role`,
          identity: { oidc: { issuer: cluster.oidcIssuer } },
          status: cluster.status,
          certificateAuthority: { data: Buffer.from(world.caPem).toString("base64") },
          platformVersion: "eks.8",
          tags: {},
          accessConfig: { authenticationMode: "API_AND_CONFIG_MAP" },
        },
      },
    };
  }
  if (parts[2] === "addons") return handleAddons(world, cluster.name, parts);
  if (parts[2] !== "pod-identity-associations") return undefined;
  const all = aws.podIdentityAssociations.filter((a) => a.clusterName === cluster.name);
  const arnOf = (a: Association) =>
    `arn:${partition}:eks:${aws.region}:${aws.accountId}:podidentityassociation/${cluster.name}/${associationIdOf(a)}`;
  if (parts.length === 3) {
    const ns = req.query.get("namespace");
    const sa = req.query.get("serviceAccount");
    const matching = all.filter((a) => (!ns || a.namespace === ns) && (!sa || a.serviceAccount === sa));
    const p = page(matching, req);
    return {
      status: 200,
      body: {
        associations: p.items.map((a) => ({
          clusterName: a.clusterName,
          namespace: a.namespace,
          serviceAccount: a.serviceAccount,
          associationArn: arnOf(a),
          associationId: associationIdOf(a),
        })),
        nextToken: p.nextToken,
      },
    };
  }
  if (parts.length === 4) {
    const a = all.find((x) => associationIdOf(x) === parts[3]);
    if (!a) {
      return jsonError(404, "ResourceNotFoundException", `No Pod Identity Association found for id: ${parts[3]}.`, {
        clusterName: cluster.name,
      });
    }
    return {
      status: 200,
      body: {
        association: {
          clusterName: a.clusterName,
          namespace: a.namespace,
          serviceAccount: a.serviceAccount,
          roleArn: a.roleArn,
          associationArn: arnOf(a),
          associationId: associationIdOf(a),
          tags: {},
          createdAt: CREATED_AT,
          modifiedAt: CREATED_AT,
          disableSessionTags: a.disableSessionTags,
          ...(a.targetRoleArn ? { targetRoleArn: a.targetRoleArn, externalId: externalIdOf(a) } : {}),
        },
      },
    };
  }
  return undefined;
}

export const eksService: SimService = {
  name: "eks",
  matches: (host) => regionOf(host) !== undefined,
  handle: handleEks,
  notFound: (req) => jsonError(404, "NotFoundException", `No route for ${req.method} ${req.path}`),
};
