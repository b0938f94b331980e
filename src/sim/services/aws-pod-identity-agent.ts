// Simulated EKS Pod Identity Agent: the node-local HTTP endpoint the container credential provider of the AWS SDKs
// calls (AWS_CONTAINER_CREDENTIALS_FULL_URI, http://169.254.170.23/v1/credentials or http://[fd00:ec2::23]/…), with
// the pod's pods.eks.amazonaws.com token file's content in the Authorization header. Like the real agent
// (aws/eks-pod-identity-agent, pkg/handlers and internal/validation), it accepts only calls addressed to its own
// address, checks the token is a parseable, unexpired JWT, calls EKS Auth AssumeRoleForPodIdentity for its cluster
// (signed with the node's credentials, over the simulated world like any other AWS call), and answers in the
// container-credentials format; a refusal keeps EKS Auth's HTTP status, as text "[request id]: (Code): message,
// fault: client". It listens on loopback (the SDKs accept a loopback http URL as the full URI), and counts that
// loopback address as its own, as the real agent's configurable target hosts allow.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { decodeJwt } from "jose";
import { eksAuthHost, signedEksAuthRequest } from "../../providers/aws-pod-identity.js";
import { SIM_AWS_ACCESS_KEY_ID, SIM_AWS_SECRET_ACCESS_KEY } from "../constants.js";
import type { SimWorld } from "../world.js";

/** The agent's link-local addresses (configuration.DefaultIpv4TargetHost / DefaultIpv6TargetHost). */
export const AGENT_HOSTS = ["169.254.170.23", "fd00:ec2::23"];
export const AGENT_PATH = "/v1/credentials";
/** Where the webhook mounts the token and what it puts in AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE. */
export const AGENT_TOKEN_FILE = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token";

export interface SimPodIdentityAgent {
  /** The AWS_CONTAINER_CREDENTIALS_FULL_URI a pod on this node would use (here, on loopback). */
  url: string;
  close(): Promise<void>;
}

function hostOnly(hostHeader: string): string {
  const h = hostHeader.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(h);
  if (bracketed) return bracketed[1];
  return h.replace(/:\d+$/, "");
}

function text(res: ServerResponse, status: number, message: string): void {
  // Go's http.Error: text/plain, nosniff, the message and a newline.
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" });
  res.end(`${message}\n`);
}

/** The agent's request validation: the address called, then a token that parses as a JWT with valid time claims. */
function validate(req: IncomingMessage, ownHosts: string[]): { status: number; message: string } | string {
  const target = hostOnly(req.headers.host ?? "");
  if (!ownHosts.includes(target)) {
    return {
      status: 403,
      message: `Access Denied. Called agent through invalid address, please use either [${ownHosts.join(" ")}] address not ${target}`,
    };
  }
  const token = req.headers.authorization ?? "";
  if (!token) return { status: 400, message: "Service account token cannot be empty" };
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(token);
  } catch (err) {
    return { status: 400, message: `Service account token cannot be parsed: ${(err as Error).message}` };
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp === "number" && claims.exp <= now) {
    return {
      status: 400,
      message: "Service account token failed basic claim validations: token has invalid claims: token is expired",
    };
  }
  if (typeof claims.nbf === "number" && claims.nbf > now) {
    return {
      status: 400,
      message: "Service account token failed basic claim validations: token has invalid claims: token is not valid yet",
    };
  }
  return token;
}

/** AssumeRoleForPodIdentity over the simulated world, signed with the node role's (the simulator's) credentials. */
async function callEksAuth(
  world: SimWorld,
  region: string,
  clusterName: string,
  token: string,
): Promise<{ status: number; headers: IncomingMessage["headers"]; body: string }> {
  const hostname = eksAuthHost(region);
  const signed = await signedEksAuthRequest(
    { accessKeyId: SIM_AWS_ACCESS_KEY_ID, secretAccessKey: SIM_AWS_SECRET_ACCESS_KEY },
    region,
    clusterName,
    token,
  );
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: hostname, path: signed.path, method: "POST", headers: signed.headers, agent: world.agent, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("EKS Auth did not answer")));
    req.on("error", reject);
    req.end(signed.body as string);
  });
}

interface EksAuthAnswer {
  assumedRoleUser?: { arn?: string };
  credentials?: { accessKeyId?: string; secretAccessKey?: string; sessionToken?: string; expiration?: number };
  message?: string;
}

async function handle(
  world: SimWorld,
  cluster: { name: string; region: string },
  ownHosts: string[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (path !== AGENT_PATH) return text(res, 404, "404 page not found");
  const checked = validate(req, ownHosts);
  if (typeof checked !== "string") return text(res, checked.status, checked.message);
  let answer: Awaited<ReturnType<typeof callEksAuth>>;
  try {
    answer = await callEksAuth(world, cluster.region, cluster.name, checked);
  } catch (err) {
    return text(res, 500, `operation error EKS Auth: AssumeRoleForPodIdentity, ${(err as Error).message}`);
  }
  let body: EksAuthAnswer = {};
  try {
    body = JSON.parse(answer.body) as EksAuthAnswer;
  } catch {
    /* an error answer without JSON: the status says enough */
  }
  if (answer.status !== 200) {
    const code = String(answer.headers["x-amzn-errortype"] ?? "UnknownError").split(":")[0];
    const requestId = String(answer.headers["x-amzn-requestid"] ?? "");
    const fault = answer.status >= 500 ? "server" : "client";
    return text(res, answer.status, `[${requestId}]: (${code}): ${body.message ?? ""}, fault: ${fault}`);
  }
  const c = body.credentials ?? {};
  const account = /^arn:[^:]+:sts::(\d{12}):/.exec(body.assumedRoleUser?.arn ?? "")?.[1];
  res.writeHead(200, { "content-type": "application/json" });
  res.end(
    JSON.stringify({
      AccessKeyId: c.accessKeyId,
      SecretAccessKey: c.secretAccessKey,
      Token: c.sessionToken,
      ...(account ? { AccountId: account } : {}),
      Expiration: new Date((c.expiration ?? 0) * 1000).toISOString(),
    }),
  );
}

/**
 * Start the node agent of the world's EKS cluster (the first one, unless named) on loopback. A world without an
 * EKS cluster has no agent to start.
 */
export async function startPodIdentityAgent(world: SimWorld, clusterName?: string): Promise<SimPodIdentityAgent> {
  const aws = world.scenario.aws;
  const cluster = clusterName ?? aws?.clusters[0]?.name;
  if (!aws || !cluster) throw new Error("the simulated world has no EKS cluster to run the Pod Identity Agent on");
  const ownHosts = [...AGENT_HOSTS, "127.0.0.1"];
  const server: Server = createServer((req, res) => {
    handle(world, { name: cluster, region: aws.region }, ownHosts, req, res).catch((err: Error) =>
      text(res, 500, err.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${AGENT_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
