import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseEksEndpoint, parseRoleArn, roleArnProblem } from "../../src/diagnosis/eks/arn.js";
import {
  evaluateCondition,
  evaluateIrsaTrust,
  evaluatePodIdentityTrust,
  type PolicyDocument,
  wildcardMatch,
} from "../../src/diagnosis/eks/trust-policy.js";

const ACCOUNT = "111122223333";
const URL = "oidc.eks.us-west-2.amazonaws.com/id/7B3F9C2A41E8D05F6A1C2B3D4E5F6071";
const ISSUER = `https://${URL}`;
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/${URL}`;
const SUB = "system:serviceaccount:orders:orders-api";
const claims = { iss: ISSUER, sub: SUB, aud: "sts.amazonaws.com" };

function policy(statement: Record<string, unknown> | Record<string, unknown>[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statement as never };
}

function irsa(condition: Record<string, Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  return {
    Effect: "Allow",
    Principal: { Federated: PROVIDER },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: condition,
    ...extra,
  };
}

const exact = irsa({ StringEquals: { [`${URL}:sub`]: SUB, [`${URL}:aud`]: "sts.amazonaws.com" } });
const evaluate = (doc: PolicyDocument, c = claims) => evaluateIrsaTrust(doc, { providerArn: PROVIDER, claims: c });

describe("IRSA trust policy evaluation", () => {
  it("accepts the policy eksctl writes for the service account", () => {
    const e = evaluate(policy(exact));
    expect(e.accepted).toBe(true);
    expect(e.allowedBy).toBe(0);
    expect(e.failingClause).toBeUndefined();
    expect(e.mistakes).toEqual([]);
  });

  it("accepts a single statement given as an object, and Action as a list", () => {
    const e = evaluate({
      Statement: { ...exact, Action: ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"] } as never,
    });
    expect(e.accepted).toBe(true);
  });

  it("rejects another service account and names the namespace typo", () => {
    const e = evaluate(policy(exact), { ...claims, sub: "system:serviceaccount:order:orders-api" });
    expect(e.accepted).toBe(false);
    expect(e.failingClause).toMatchObject({
      statementIndex: 0,
      key: `${URL}:sub`,
      operator: "StringEquals",
      expected: [SUB],
    });
    expect(e.failingClause?.actual).toBe("system:serviceaccount:order:orders-api");
    expect(e.failingClause?.reason).toContain('namespace "orders" ≠ "order"');
  });

  it("rejects a token whose audience the :aud condition does not list", () => {
    const e = evaluate(policy(exact), { ...claims, aud: "api://AzureADTokenExchange" });
    expect(e.accepted).toBe(false);
    expect(e.failingClause?.key).toBe(`${URL}:aud`);
  });

  it("treats * in StringEquals literally and flags it", () => {
    const doc = policy(irsa({ StringEquals: { [`${URL}:sub`]: "system:serviceaccount:orders:*" } }));
    const e = evaluate(doc);
    expect(e.accepted).toBe(false);
    expect(e.failingClause?.reason).toMatch(/compares literally/);
    expect(e.mistakes.map((m) => m.kind)).toContain("wildcard-in-stringequals");
    // The literal value itself matches only itself.
    expect(evaluate(doc, { ...claims, sub: "system:serviceaccount:orders:*" }).accepted).toBe(true);
  });

  it("expands * and ? in StringLike", () => {
    const like = (pattern: string) => evaluate(policy(irsa({ StringLike: { [`${URL}:sub`]: pattern } }))).accepted;
    expect(like("system:serviceaccount:orders:*")).toBe(true);
    expect(like("system:serviceaccount:*:orders-api")).toBe(true);
    expect(like("system:serviceaccount:orders:orders-ap?")).toBe(true);
    expect(like("system:serviceaccount:orders:orders-a?")).toBe(false);
    expect(like("system:serviceaccount:billing:*")).toBe(false);
  });

  it("accepts when any listed value matches (OR within a key) and needs every key (AND across keys)", () => {
    const anyOf = irsa({ StringEquals: { [`${URL}:sub`]: ["system:serviceaccount:other:x", SUB] } });
    expect(evaluate(policy(anyOf)).accepted).toBe(true);
    const both = irsa({ StringEquals: { [`${URL}:sub`]: SUB }, StringLike: { [`${URL}:aud`]: "sts.*.net" } });
    expect(evaluate(policy(both)).accepted).toBe(false);
    const bothOk = irsa({ StringEquals: { [`${URL}:sub`]: SUB }, StringLike: { [`${URL}:aud`]: "sts.*" } });
    expect(evaluate(policy(bothOk)).accepted).toBe(true);
  });

  it("applies negated operators: StringNotEquals holds for other values and for a missing key", () => {
    const not = (value: string) =>
      evaluate(
        policy(
          irsa({ StringEquals: { [`${URL}:aud`]: "sts.amazonaws.com" }, StringNotEquals: { [`${URL}:sub`]: value } }),
        ),
      ).accepted;
    expect(not("system:serviceaccount:kube-system:default")).toBe(true);
    expect(not(SUB)).toBe(false);
    expect(evaluateCondition("StringNotEquals", "absent:key", "x", {}).holds).toBe(true);
    expect(evaluateCondition("StringEquals", "absent:key", "x", {}).holds).toBe(false);
    expect(evaluateCondition("StringEqualsIfExists", "absent:key", "x", {}).holds).toBe(true);
  });

  it("evaluates ForAnyValue and ForAllValues over multi-valued keys", () => {
    const ctx = { "k:amr": ["authenticated", "mfa"] };
    expect(evaluateCondition("ForAnyValue:StringLike", "k:amr", "mf*", ctx).holds).toBe(true);
    expect(evaluateCondition("ForAllValues:StringEquals", "k:amr", ["authenticated"], ctx).holds).toBe(false);
    expect(evaluateCondition("ForAllValues:StringEquals", "k:amr", ["authenticated", "mfa"], ctx).holds).toBe(true);
    expect(evaluateCondition("ForAnyValue:StringEquals", "k:amr", "x", {}).holds).toBe(false);
    expect(evaluateCondition("ForAllValues:StringEquals", "k:amr", "x", {}).holds).toBe(true);
  });

  it("matches condition keys without regard to case, values with regard to case", () => {
    const upperKey = irsa({ StringEquals: { [`${URL.toUpperCase()}:SUB`]: SUB } });
    expect(evaluate(policy(upperKey)).accepted).toBe(true);
    const upperValue = irsa({ StringEquals: { [`${URL}:sub`]: SUB.toUpperCase() } });
    expect(evaluate(policy(upperValue)).accepted).toBe(false);
    const ignoreCase = irsa({ StringEqualsIgnoreCase: { [`${URL}:sub`]: SUB.toUpperCase() } });
    expect(evaluate(policy(ignoreCase)).accepted).toBe(true);
  });

  it("names the full provider ARN used as condition key", () => {
    const e = evaluate(policy(irsa({ StringEquals: { [`${PROVIDER}:sub`]: SUB } })));
    expect(e.accepted).toBe(false);
    expect(e.failingClause?.key).toBe(`${PROVIDER}:sub`);
    expect(e.failingClause?.actual).toBeUndefined();
    expect(e.mistakes.find((m) => m.kind === "condition-key-is-arn")?.expected).toBe(`${URL}:sub`);
  });

  it("names a scheme in the condition key", () => {
    const e = evaluate(policy(irsa({ StringEquals: { [`https://${URL}:sub`]: SUB } })));
    expect(e.accepted).toBe(false);
    expect(e.mistakes.map((m) => m.kind)).toContain("condition-key-has-scheme");
  });

  it("recognises sub and aud swapped", () => {
    const e = evaluate(policy(irsa({ StringEquals: { [`${URL}:sub`]: "sts.amazonaws.com", [`${URL}:aud`]: SUB } })));
    expect(e.accepted).toBe(false);
    expect(e.mistakes.filter((m) => m.kind === "sub-aud-swapped")).toHaveLength(1);
    expect(e.failingClause?.reason).toMatch(/swapped/);
  });

  it("classifies a Federated principal of another account, another region and another cluster", () => {
    const with_ = (federated: string) =>
      evaluate(policy({ ...exact, Principal: { Federated: federated } })).mistakes.map((m) => m.kind);
    expect(with_(`arn:aws:iam::444455556666:oidc-provider/${URL}`)).toContain("provider-other-account");
    expect(with_(`arn:aws:iam::${ACCOUNT}:oidc-provider/${URL.replace("us-west-2", "us-west-1")}`)).toContain(
      "provider-region-mismatch",
    );
    expect(
      with_(
        `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/C4D2E8F1A9B7306152E4D3C2B1A09F8E`,
      ),
    ).toContain("provider-other-cluster");
    expect(with_(`arn:aws:iam::${ACCOUNT}:oidc-provider/${URL.toLowerCase()}`)).toContain("provider-url-typo");
    expect(with_(ISSUER)).toContain("provider-url-typo");
    const e = evaluate(
      policy({ ...exact, Principal: { Federated: `arn:aws:iam::444455556666:oidc-provider/${URL}` } }),
    );
    expect(e.failingClause).toMatchObject({ key: "Principal.Federated", actual: PROVIDER });
  });

  it("flags condition keys of another provider", () => {
    const other = "oidc.eks.us-west-2.amazonaws.com/id/C4D2E8F1A9B7306152E4D3C2B1A09F8E";
    const e = evaluate(policy(irsa({ StringEquals: { [`${other}:sub`]: SUB } })));
    expect(e.accepted).toBe(false);
    expect(e.mistakes.map((m) => m.kind)).toContain("condition-key-other-provider");
  });

  it("requires the web identity action", () => {
    const e = evaluate(policy({ ...exact, Action: "sts:AssumeRole" }));
    expect(e.accepted).toBe(false);
    expect(e.failingClause).toMatchObject({ key: "Action", actual: "sts:AssumeRoleWithWebIdentity" });
    expect(e.mistakes.map((m) => m.kind)).toContain("action-missing");
    expect(evaluate(policy({ ...exact, Action: "sts:*" })).accepted).toBe(true);
    expect(evaluate(policy({ ...exact, Action: undefined, NotAction: "iam:*" })).accepted).toBe(true);
  });

  it("lets an explicit Deny win over an Allow", () => {
    const deny = {
      Effect: "Deny",
      Principal: { Federated: PROVIDER },
      Action: "sts:*",
      Condition: { StringLike: { [`${URL}:sub`]: "*:orders:*" } },
    };
    const e = evaluate(policy([exact, deny]));
    expect(e.accepted).toBe(false);
    expect(e.decision).toBe("explicit-deny");
    expect(e.deniedBy).toBe(1);
    expect(e.failingClause?.key).toBe("Effect");
    // A Deny for another namespace leaves this one alone.
    const other = { ...deny, Condition: { StringLike: { [`${URL}:sub`]: "*:billing:*" } } };
    expect(evaluate(policy([exact, other])).accepted).toBe(true);
  });

  it("accepts through any of several statements and reports the closest one when all fail", () => {
    const wrong = irsa({ StringEquals: { [`${URL}:sub`]: "system:serviceaccount:billing:api" } });
    expect(evaluate(policy([wrong, exact])).allowedBy).toBe(1);
    const ec2 = { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" };
    const e = evaluate(policy([ec2, wrong]));
    expect(e.accepted).toBe(false);
    expect(e.failingClause?.statementIndex).toBe(1);
    expect(e.failingClause?.key).toBe(`${URL}:sub`);
  });

  it("warns when no :sub condition restricts the service account", () => {
    const e = evaluate(policy(irsa({ StringEquals: { [`${URL}:aud`]: "sts.amazonaws.com" } })));
    expect(e.accepted).toBe(true);
    expect(e.mistakes.map((m) => m.kind)).toContain("subject-condition-missing");
  });

  it("treats unknown operators as never holding", () => {
    const e = evaluate(policy(irsa({ StringEqual: { [`${URL}:sub`]: SUB } })));
    expect(e.accepted).toBe(false);
    expect(e.mistakes.map((m) => m.kind)).toContain("unknown-operator");
  });

  it("reports an empty or missing document", () => {
    expect(evaluate({} as PolicyDocument).accepted).toBe(false);
    expect(evaluate({} as PolicyDocument).mistakes.map((m) => m.kind)).toContain("malformed-document");
  });
});

describe("EKS Pod Identity trust policy evaluation", () => {
  const ctx = { accountId: ACCOUNT, clusterName: "orders-prod", namespace: "orders", serviceAccount: "orders-api" };
  const trust = (action: unknown, extra: Record<string, unknown> = {}) =>
    policy({ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: action, ...extra });

  it("needs both sts:AssumeRole and sts:TagSession", () => {
    expect(evaluatePodIdentityTrust(trust(["sts:AssumeRole", "sts:TagSession"]), ctx).accepted).toBe(true);
    const e = evaluatePodIdentityTrust(trust("sts:AssumeRole"), ctx);
    expect(e.accepted).toBe(false);
    expect(e.failingClause).toMatchObject({ key: "Action", actual: "sts:TagSession" });
    expect(e.mistakes.map((m) => m.detail).join()).toContain("sts:TagSession");
  });

  it("needs the pods.eks.amazonaws.com service principal", () => {
    const e = evaluatePodIdentityTrust(
      policy({
        Effect: "Allow",
        Principal: { Service: "eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
      }),
      ctx,
    );
    expect(e.accepted).toBe(false);
    expect(e.failingClause?.key).toBe("Principal.Service");
    expect(e.mistakes.map((m) => m.kind)).toContain("service-principal-missing");
  });

  it("evaluates session-tag and source conditions", () => {
    const scoped = (ns: string) =>
      trust(["sts:AssumeRole", "sts:TagSession"], {
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT, "aws:RequestTag/kubernetes-namespace": ns } },
      });
    expect(evaluatePodIdentityTrust(scoped("orders"), ctx).accepted).toBe(true);
    expect(evaluatePodIdentityTrust(scoped("billing"), ctx).accepted).toBe(false);
  });
});

describe("wildcards, against a regular expression", () => {
  const toRegex = (p: string) =>
    new RegExp(
      `^${p
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
      "s",
    );
  it("agrees with the regex reading of * and ?", () => {
    const alphabet = fc.constantFrom("a", "b", ":", "*", "?", "-");
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 8 }),
        fc.array(fc.constantFrom("a", "b", ":", "-"), { maxLength: 10 }),
        (p, v) => {
          const pattern = p.join("");
          const value = v.join("");
          expect(wildcardMatch(pattern, value)).toBe(toRegex(pattern).test(value));
        },
      ),
    );
  });

  it("StringEquals matches exactly the literal value, whatever it contains", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (expected, actual) => {
        const r = evaluateCondition("StringEquals", "k", expected, { k: actual });
        expect(r.holds).toBe(expected === actual);
      }),
    );
  });
});

describe("ARNs and endpoints", () => {
  it("parses role ARNs with paths and partitions", () => {
    expect(parseRoleArn("arn:aws:iam::111122223333:role/team/orders/orders-api")).toMatchObject({
      account: "111122223333",
      roleName: "orders-api",
      path: "/team/orders/",
    });
    expect(parseRoleArn("arn:aws-cn:iam::111122223333:role/x")?.partition).toBe("aws-cn");
    expect(parseRoleArn("arn:aws-us-gov:iam::111122223333:role/x")?.partition).toBe("aws-us-gov");
  });

  it("explains malformed role ARNs", () => {
    expect(roleArnProblem("arn:aws:iam:us-west-2:111122223333:role/x")).toMatch(/region/);
    expect(roleArnProblem("arn:aws:iam::11112222333:role/x")).toMatch(/12 digits/);
    expect(roleArnProblem("arn:aws:iam::111122223333:user/x")).toMatch(/user/);
    expect(roleArnProblem("arn:aws:sts::111122223333:assumed-role/x/s")).toMatch(/service|assumed/);
    expect(roleArnProblem("111122223333")).toMatch(/account id/);
    expect(roleArnProblem(" arn:aws:iam::111122223333:role/x")).toMatch(/whitespace/);
    expect(roleArnProblem("arn:aws:iam::111122223333:role/x")).toBeUndefined();
  });

  it("reads the id and region from an EKS endpoint", () => {
    expect(parseEksEndpoint("7B3F9C2A41E8D05F6A1C2B3D4E5F6071.gr7.us-west-2.eks.amazonaws.com")).toEqual({
      id: "7B3F9C2A41E8D05F6A1C2B3D4E5F6071",
      region: "us-west-2",
    });
    expect(parseEksEndpoint("payments-dns-4f1c.hcp.westeurope.azmk8s.io")).toBeUndefined();
  });
});
