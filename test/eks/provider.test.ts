// AwsProvider over the simulated world: decoded answers, error kinds with remedies, deadlines, cancellation.
import { afterEach, describe, expect, it } from "vitest";
import { AwsProvider, decodeTrustPolicy } from "../../src/providers/aws.js";
import { ProviderError } from "../../src/providers/errors.js";
import { KubeProvider } from "../../src/providers/kubernetes.js";
import type { SimSession } from "../../src/sim/environment.js";
import { session } from "./helpers.js";

let s: SimSession | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

async function providerError(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderError);
    return err as ProviderError;
  }
  throw new Error("expected a ProviderError");
}

describe("AwsProvider", () => {
  it("reads the role with its trust policy URL-decoded and parsed", async () => {
    s = await session("eks-irsa-healthy");
    const aws = new AwsProvider(s.env);
    const role = await aws.getRole("orders-api-s3");
    expect(role?.arn).toBe("arn:aws:iam::111122223333:role/orders-api-s3");
    expect(role?.trustPolicy?.Version).toBe("2012-10-17");
    expect(JSON.stringify(role?.trustPolicy)).toContain("sts:AssumeRoleWithWebIdentity");
    expect(await aws.getRole("missing")).toBeNull();
  });

  it("finds the cluster by its API endpoint host, and the OIDC provider by ARN", async () => {
    s = await session("eks-irsa-healthy");
    const aws = new AwsProvider(s.env);
    const c = await aws.findClusterByEndpoint("7b3f9c2a41e8d05f6a1c2b3d4e5f6071.gr7.us-west-2.eks.amazonaws.com");
    expect(c).toMatchObject({
      name: "orders-prod",
      region: "us-west-2",
      issuer: "https://oidc.eks.us-west-2.amazonaws.com/id/7B3F9C2A41E8D05F6A1C2B3D4E5F6071",
    });
    expect(await aws.findClusterByEndpoint("elsewhere.gr7.us-west-2.eks.amazonaws.com")).toBeNull();
    const [arn] = await aws.listOidcProviders();
    expect((await aws.getOidcProvider(arn))?.clientIds).toEqual(["sts.amazonaws.com"]);
    expect(await aws.describeCluster("missing")).toBeNull();
  });

  it("returns the exchange's outcome only, never credentials", async () => {
    s = await session("eks-irsa-healthy");
    const aws = new AwsProvider(s.env);
    const { token } = await new KubeProvider(s.env).createServiceAccountToken("orders", "orders-api", {
      audiences: ["sts.amazonaws.com"],
      expirationSeconds: 600,
    });
    const good = await aws.assumeRoleWithWebIdentity("arn:aws:iam::111122223333:role/orders-api-s3", token);
    expect(good).toMatchObject({
      ok: true,
      assumedRoleArn: "arn:aws:sts::111122223333:assumed-role/orders-api-s3/wi-doctor-check",
    });
    expect(Object.keys(good).sort()).toEqual(["assumedRoleArn", "audience", "expiration", "ok", "subject"]);
    expect(JSON.stringify(good)).not.toMatch(/ASIA|SIMULATED|SecretAccessKey|SessionToken/);
    const bad = await aws.assumeRoleWithWebIdentity("arn:aws:iam::111122223333:role/nope", token);
    expect(bad).toEqual({
      ok: false,
      code: "AccessDenied",
      message: "Not authorized to perform sts:AssumeRoleWithWebIdentity",
      httpStatus: 403,
    });
  });

  it("turns a 403 into forbidden with the IAM action to grant", async () => {
    s = await session("eks-irsa-healthy", (sc) => {
      sc.faults.rules.push({ service: "iam", path: "GetRole", status: 403 });
    });
    const e = await providerError(new AwsProvider(s.env).getRole("orders-api-s3"));
    expect(e.kind).toBe("forbidden");
    expect(e.remedy).toContain("iam:GetRole");
  });

  it("says no-credential when the scenario's operator has no AWS keys", async () => {
    s = await session("eks-no-aws-credential");
    const e = await providerError(new AwsProvider(s.env).getCallerIdentity());
    expect(e.kind).toBe("no-credential");
    expect(e.remedy).toMatch(/aws configure/);
  });

  it("turns a hung call into a timeout and a 500 into unavailable", async () => {
    s = await session(
      "eks-irsa-healthy",
      (sc) => {
        sc.faults.rules.push({ service: "eks", path: "/clusters/orders-prod", timeout: true });
        sc.faults.rules.push({ service: "iam", path: "ListOpenIDConnectProviders", status: 500 });
      },
      { timeoutMs: 400 },
    );
    const aws = new AwsProvider(s.env);
    expect((await providerError(aws.describeCluster("orders-prod"))).kind).toBe("timeout");
    expect((await providerError(aws.listOidcProviders())).kind).toBe("unavailable");
  });

  it("stops when the caller cancels", async () => {
    s = await session("eks-irsa-healthy", (sc) => {
      sc.faults.rules.push({ service: "sts", path: "GetCallerIdentity", timeout: true });
    });
    const ac = new AbortController();
    const p = new AwsProvider(s.env).getCallerIdentity({ signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    expect((await providerError(p)).kind).toBe("cancelled");
  });

  it("reports an unreadable answer as invalid-response", async () => {
    s = await session("eks-irsa-healthy", (sc) => {
      sc.faults.rules.push({ service: "iam", path: "GetRole", malformed: true });
    });
    const e = await providerError(new AwsProvider(s.env).getRole("orders-api-s3"));
    expect(e.kind).toBe("invalid-response");
  });

  it("lets the SDK honour AWS_ENDPOINT_URL_<SERVICE>", async () => {
    s = await session("eks-irsa-healthy");
    const before = process.env.AWS_ENDPOINT_URL_IAM;
    process.env.AWS_ENDPOINT_URL_IAM = "https://iam.vpce-0123456789abcdef0.example.internal";
    try {
      // The simulated world has no service at that host, so reaching it proves the override was used.
      const e = await providerError(new AwsProvider(s.env).listOidcProviders());
      expect(e.kind).toBe("unavailable");
      expect(e.status).toBe(502);
    } finally {
      if (before === undefined) delete process.env.AWS_ENDPOINT_URL_IAM;
      else process.env.AWS_ENDPOINT_URL_IAM = before;
    }
    expect(await new AwsProvider(s.env).listOidcProviders()).toHaveLength(1);
  });
});

describe("decodeTrustPolicy", () => {
  it("reads URL-encoded and plain documents, and names what it cannot read", () => {
    const doc = { Version: "2012-10-17", Statement: [] };
    expect(decodeTrustPolicy(encodeURIComponent(JSON.stringify(doc))).policy).toEqual(doc);
    expect(decodeTrustPolicy(JSON.stringify(doc)).policy).toEqual(doc);
    expect(decodeTrustPolicy("%7Bnot json").problem).toMatch(/not valid JSON/);
    expect(decodeTrustPolicy(undefined).problem).toMatch(/no trust policy/);
  });
});
