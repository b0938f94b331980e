// explainError must not blow up on random or hostile input: no exception, and work that grows
// linearly with the text (counted as characters the anchor searches examine).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { explainWithWork } from "../../src/diagnosis/errors/explain.js";
import { redactSecrets } from "../../src/diagnosis/errors/redact.js";

/** Characters examined per input character: the catalogue's anchors times a small constant. */
const WORK_PER_CHAR = 2000;

const fragments = [
  "AADSTS",
  "AADSTS70021",
  "'",
  '"',
  "\\",
  '\\"',
  "\\\\r\\\\n",
  " ",
  "Assertion Issuer: '",
  "presented assertion subject '",
  "eyJ",
  ".",
  "client_secret=",
  "system:serviceaccount:",
  "arn:aws:iam::",
  "169.254.169.254",
  "&#34;",
  "&#x2F;",
  "&#",
  "&#1234567;",
  "[REDACTED]",
  "***",
  "DefaultAzureCredential",
  "[Managed Identity] ",
  "\\u00",
  'error_codes":[',
  "Trace ID: ",
  "-",
  "0",
];

const hostile = fc
  .array(fc.constantFrom(...fragments), { minLength: 1, maxLength: 400 })
  .chain((parts) => fc.integer({ min: 1, max: 40 }).map((times) => parts.join("").repeat(times)));

function check(text: string) {
  const { result, work } = explainWithWork(text);
  expect(result.causes.length).toBeGreaterThan(0);
  // Counted work, not elapsed time: the bench measures the real speed.
  expect(work).toBeLessThanOrEqual(WORK_PER_CHAR * (text.length + 1));
}

describe("linear-time explanation", () => {
  it("handles random text", () => {
    fc.assert(fc.property(fc.string({ maxLength: 5000 }), check), { numRuns: 200 });
  });

  it("handles unicode and binary-looking text", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 3000 }), check), { numRuns: 50 });
  });

  it("handles adversarial runs of quotes, escapes, codes and token prefixes", () => {
    fc.assert(fc.property(hostile, check), { numRuns: 150 });
  });

  it("does the same work per character on a 1 MB log as on a 10 KB one", () => {
    const unit =
      'AADSTS70021 "\\"\\\\r\\\\n eyJeyJ. client_secret=client_secret= Assertion Issuer: \'' + " ".repeat(40);
    const small = unit.repeat(Math.ceil(10_000 / unit.length));
    const big = unit.repeat(Math.ceil(1_000_000 / unit.length));
    const perCharSmall = explainWithWork(small).work / small.length;
    const perCharBig = explainWithWork(big).work / big.length;
    expect(perCharBig).toBeLessThanOrEqual(perCharSmall * 1.5);
  });

  it("redacts long runs of secret-looking text in one pass", () => {
    const text = `${"eyJ".repeat(200_000)} ${`client_secret=${"a".repeat(100_000)}&`.repeat(3)}`;
    const out = redactSecrets(text);
    expect(out).not.toContain("aaaaaaaaaa");
  });
});
