import { valueOf } from "../../types.js";
import { aksCheck } from "./define.js";

export const exchangeFailed = aksCheck({
  id: "exchange.failed",
  doc: {
    meaning:
      "Exchanging a freshly minted token for the service account at Entra failed; the evidence holds the decoded AADSTS error (never a token). Usually a symptom of a finding above.",
    symptom: "any AADSTS error",
  },
  severity: "error",
  title: "A token for the service account exchanges for an Entra access token",
  skippedBecause: (f) => (f.exchange.status === "ok" ? undefined : f.exchange.reason),
  run(f) {
    const x = valueOf(f.exchange)!;
    if (x.ok) return [];
    const code = x.errorCodes[0];
    // Only the first sentence of Entra's description: the rest is a link and trace metadata.
    const firstLine = x.description.split(/\r?\n/)[0];
    const description = firstLine.replace(/\s+https?:\/\/\S+\s*$/, "").trim();
    const sentence = description.replace(/^AADSTS\d+:\s*/, "").split(/(?<=\.)\s/)[0];
    return [
      {
        id: this.id,
        severity: "error",
        title: `Entra rejected the token exchange${code ? ` with AADSTS${code}` : ""}: ${sentence}`,
        evidence: {
          clientId: x.clientId,
          tenantId: x.tenantId,
          httpStatus: x.httpStatus,
          error: x.error,
          errorCodes: x.errorCodes,
          description,
          traceId: x.traceId ?? null,
          correlationId: x.correlationId ?? null,
        },
        fix: {
          summary: "See the other findings for the misconfiguration; explain_error decodes the code.",
          commands: [],
        },
      },
    ];
  },
});
