// An error text the user pasted, read by explain_error's catalogue (pure; here only because every platform's
// gathering uses it).
import type { ErrorTextFacts } from "../diagnosis/error-text.js";
import { explainError } from "../diagnosis/errors/explain.js";

export function errorTextFacts(text: string | undefined): (ErrorTextFacts & { platform: string }) | undefined {
  if (!text?.trim()) return undefined;
  const r = explainError(text);
  const x = r.extracted as Record<string, string | undefined>;
  return {
    platform: r.platform,
    codes: r.codes,
    classes: r.causes.filter((c) => c.class !== "unknown").map((c) => c.class),
    explanation: r.causes[0]?.explanation,
    extracted: {
      issuer: x.issuer,
      subject: x.subject,
      audience: x.audience,
      clientId: x.clientId,
      tenantId: x.tenantId,
      roleArn: x.roleArn,
    },
  };
}
