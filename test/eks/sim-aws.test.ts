// The simulated IAM, STS and EKS answer the real SDK clients in the real wire formats.
import {
  DescribeClusterCommand,
  DescribePodIdentityAssociationCommand,
  EKSClient,
  ListClustersCommand,
  ListPodIdentityAssociationsCommand,
} from "@aws-sdk/client-eks";
import {
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListOpenIDConnectProvidersCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { KubeProvider } from "../../src/providers/kubernetes.js";
import type { SimSession } from "../../src/sim/environment.js";
import { clientOptions, session } from "./helpers.js";

const ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/7B3F9C2A41E8D05F6A1C2B3D4E5F6071";
const PROVIDER =
  "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/7B3F9C2A41E8D05F6A1C2B3D4E5F6071";
const ROLE = "arn:aws:iam::111122223333:role/orders-api-s3";

let s: SimSession | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

async function mint(sess: SimSession, audience = "sts.amazonaws.com", sa = "orders-api") {
  const kube = new KubeProvider(sess.env);
  return (await kube.createServiceAccountToken("orders", sa, { audiences: [audience], expirationSeconds: 600 })).token;
}

async function exchange(sess: SimSession, token: string, roleArn = ROLE) {
  const sts = new STSClient(clientOptions(sess));
  return sts.send(
    new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: "test", WebIdentityToken: token }),
  );
}

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error("expected the call to fail");
}

describe("simulated IAM", () => {
  it("lists and reads OIDC providers as the SDK expects", async () => {
    s = await session("eks-irsa-healthy");
    const iam = new IAMClient(clientOptions(s));
    const list = await iam.send(new ListOpenIDConnectProvidersCommand({}));
    expect(list.OpenIDConnectProviderList).toEqual([{ Arn: PROVIDER }]);
    const p = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER }));
    expect(p.Url).toBe("oidc.eks.us-west-2.amazonaws.com/id/7B3F9C2A41E8D05F6A1C2B3D4E5F6071");
    expect(p.ClientIDList).toEqual(["sts.amazonaws.com"]);
    expect(p.ThumbprintList).toEqual(["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]);
    expect(p.CreateDate).toBeInstanceOf(Date);
    expect(p.Tags).toEqual([]);
  });

  it("answers NoSuchEntity with 404 in the ErrorResponse envelope", async () => {
    s = await session("eks-irsa-healthy");
    const iam = new IAMClient(clientOptions(s));
    const e = await failure(iam.send(new GetRoleCommand({ RoleName: "nope" })));
    expect(e).toMatchObject({ name: "NoSuchEntityException", status: 404 });
    expect(e.message).toBe("The role with name nope cannot be found.");
    const p = await failure(
      iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: `${PROVIDER}X` })),
    );
    expect(p).toMatchObject({ name: "NoSuchEntityException", status: 404 });
  });

  it("returns the trust policy URL-encoded, as the real service does", async () => {
    s = await session("eks-irsa-healthy");
    const iam = new IAMClient(clientOptions(s));
    const r = await iam.send(new GetRoleCommand({ RoleName: "orders-api-s3" }));
    expect(r.Role?.Arn).toBe(ROLE);
    expect(r.Role?.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    const raw = r.Role?.AssumeRolePolicyDocument ?? "";
    expect(raw.startsWith("%7B%22Version%22%3A")).toBe(true);
    const doc = JSON.parse(decodeURIComponent(raw));
    expect(doc.Statement[0].Principal.Federated).toBe(PROVIDER);
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "orders-api-s3" }));
    expect(attached.AttachedPolicies).toEqual([
      { PolicyName: "AmazonS3ReadOnlyAccess", PolicyArn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess" },
    ]);
  });

  it("verifies Signature Version 4: a wrong secret or an unknown key is refused", async () => {
    s = await session("eks-irsa-healthy");
    const wrongSecret = new IAMClient(
      clientOptions(s, { accessKeyId: "AKIASIMULATEDWORLD01", secretAccessKey: "not-the-secret" }),
    );
    expect(await failure(wrongSecret.send(new ListOpenIDConnectProvidersCommand({})))).toMatchObject({
      name: "SignatureDoesNotMatch",
      status: 403,
    });
    const unknownKey = new STSClient(clientOptions(s, { accessKeyId: "AKIAOTHERKEY00000000", secretAccessKey: "x" }));
    expect(await failure(unknownKey.send(new GetCallerIdentityCommand({})))).toMatchObject({
      name: "InvalidClientTokenId",
      status: 403,
    });
  });
});

describe("simulated STS", () => {
  it("answers GetCallerIdentity for the signed operator", async () => {
    s = await session("eks-irsa-healthy");
    const id = await new STSClient(clientOptions(s)).send(new GetCallerIdentityCommand({}));
    expect(id.Account).toBe("111122223333");
    expect(id.Arn).toBe("arn:aws:iam::111122223333:user/wi-doctor-operator");
  });

  it("exchanges a service-account token whose claims the trust policy allows", async () => {
    s = await session("eks-irsa-healthy");
    const out = await exchange(s, await mint(s));
    expect(out.AssumedRoleUser?.Arn).toBe("arn:aws:sts::111122223333:assumed-role/orders-api-s3/test");
    expect(out.SubjectFromWebIdentityToken).toBe("system:serviceaccount:orders:orders-api");
    expect(out.Audience).toBe("sts.amazonaws.com");
    expect(out.Provider).toBe(ISSUER);
    expect(out.Credentials?.Expiration).toBeInstanceOf(Date);
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
  });

  it("answers InvalidIdentityToken when the account has no provider for the issuer", async () => {
    s = await session("eks-oidc-provider-missing");
    const e = await failure(exchange(s, await mint(s)));
    expect(e).toMatchObject({ name: "InvalidIdentityTokenException", status: 400 });
    expect(e.message).toBe(`No OpenIDConnect provider found in your account for ${ISSUER}`);
  });

  it("answers Incorrect token audience when the audience is not a client id", async () => {
    s = await session("eks-irsa-healthy");
    const e = await failure(exchange(s, await mint(s, "sts.amazon.com")));
    expect(e).toMatchObject({ name: "InvalidIdentityTokenException", message: "Incorrect token audience" });
  });

  it("answers AccessDenied (403) when the trust policy does not match, or the role does not exist", async () => {
    s = await session("eks-trust-subject-mismatch");
    const e = await failure(exchange(s, await mint(s)));
    expect(e).toMatchObject({
      name: "AccessDenied",
      status: 403,
      message: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
    });
    const missing = await failure(exchange(s, await mint(s), "arn:aws:iam::111122223333:role/does-not-exist"));
    expect(missing).toMatchObject({ name: "AccessDenied", status: 403 });
  });

  it("answers IDPCommunicationError when the issuer's keys cannot be fetched", async () => {
    s = await session("eks-irsa-healthy", (sc) => {
      sc.kubernetes.issuerReachable = false;
    });
    const e = await failure(exchange(s, await mint(s)));
    expect(e).toMatchObject({ name: "IDPCommunicationErrorException", status: 400 });
  });

  it("rejects a token signed by a key the issuer does not publish", async () => {
    s = await session("eks-irsa-healthy", (sc) => {
      sc.kubernetes.issuerKeyRotated = true;
    });
    const e = await failure(exchange(s, await mint(s)));
    expect(e.name).toBe("InvalidIdentityTokenException");
    expect(e.message).toMatch(/signature/);
  });

  it("answers ExpiredTokenException for an expired token with a valid signature", async () => {
    s = await session("eks-irsa-healthy");
    const key = s.world.issuerKeys.signing;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: key.kid })
      .setIssuer(ISSUER)
      .setSubject("system:serviceaccount:orders:orders-api")
      .setAudience("sts.amazonaws.com")
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(key.privateKey);
    const e = await failure(exchange(s, token));
    expect(e.name).toBe("ExpiredTokenException");
  });

  it("checks the thumbprint only for issuers AWS does not host", async () => {
    s = await session("eks-thumbprint-mismatch");
    const e = await failure(exchange(s, await mint(s)));
    expect(e.message).toBe("OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint");
    await s.close();
    s = await session("eks-near-miss-thumbprint-stale");
    const ok = await exchange(s, await mint(s));
    expect(ok.AssumedRoleUser?.Arn).toContain("assumed-role/orders-api-s3/");
  });
});

describe("simulated EKS", () => {
  it("describes the cluster with its issuer and an epoch-seconds createdAt", async () => {
    s = await session("eks-irsa-healthy");
    const eks = new EKSClient(clientOptions(s));
    expect((await eks.send(new ListClustersCommand({}))).clusters).toEqual(["orders-prod"]);
    const c = (await eks.send(new DescribeClusterCommand({ name: "orders-prod" }))).cluster;
    expect(c?.identity?.oidc?.issuer).toBe(ISSUER);
    expect(c?.arn).toBe("arn:aws:eks:us-west-2:111122223333:cluster/orders-prod");
    expect(c?.endpoint).toBe("https://7B3F9C2A41E8D05F6A1C2B3D4E5F6071.gr7.us-west-2.eks.amazonaws.com");
    expect(c?.createdAt).toEqual(new Date(1705312800 * 1000));
    expect(c?.status).toBe("ACTIVE");
  });

  it("answers ResourceNotFoundException for an unknown cluster, and knows no clusters in another region", async () => {
    s = await session("eks-irsa-healthy");
    const eks = new EKSClient(clientOptions(s));
    expect(await failure(eks.send(new DescribeClusterCommand({ name: "nope" })))).toMatchObject({
      name: "ResourceNotFoundException",
      status: 404,
      message: "No cluster found for name: nope.",
    });
    const east = new EKSClient({ ...clientOptions(s), region: "us-east-1" });
    expect((await east.send(new ListClustersCommand({}))).clusters).toEqual([]);
  });

  it("lists Pod Identity associations with namespace and service account filters, and describes one", async () => {
    s = await session("eks-podid-healthy");
    const eks = new EKSClient(clientOptions(s));
    const all = await eks.send(
      new ListPodIdentityAssociationsCommand({ clusterName: "orders-prod", namespace: "orders" }),
    );
    expect(all.associations).toHaveLength(1);
    expect(all.associations?.[0]).toMatchObject({
      namespace: "orders",
      serviceAccount: "orders-api",
      associationId: "a-4kq7x2m9v1b3n5c8d",
    });
    const none = await eks.send(
      new ListPodIdentityAssociationsCommand({
        clusterName: "orders-prod",
        namespace: "orders",
        serviceAccount: "other",
      }),
    );
    expect(none.associations).toEqual([]);
    const one = await eks.send(
      new DescribePodIdentityAssociationCommand({ clusterName: "orders-prod", associationId: "a-4kq7x2m9v1b3n5c8d" }),
    );
    expect(one.association?.roleArn).toBe("arn:aws:iam::111122223333:role/orders-api-podid");
    expect(one.association?.associationArn).toBe(
      "arn:aws:eks:us-west-2:111122223333:podidentityassociation/orders-prod/a-4kq7x2m9v1b3n5c8d",
    );
  });
});
