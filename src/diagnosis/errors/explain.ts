// explainError: error text in, ranked causes out. Pure: no I/O, and linear in the length of the text.
import type { Fix } from "../types.js";
import { type CatalogueEntry, catalogue } from "./catalogue.js";
import { ENTRA_REFERENCE, serviceCode } from "./codes.js";
import { extractCodes, extractFields, find, findLast, guidAt, newScan, type Scan } from "./extract.js";
import { asciiLower, unescapeLog } from "./normalize.js";
import { redactSecrets } from "./redact.js";
import {
  azureExchangeAudiences,
  classInfo,
  type ErrorClass,
  type ErrorPlatform,
  type Extracted,
  extractedFields,
  type ToolCall,
} from "./taxonomy.js";

export interface Cause {
  class: ErrorClass;
  /** 0..1: how well the text alone supports this cause. */
  confidence: number;
  explanation: string;
  confirmWith: ToolCall[];
  fixes: Fix[];
}

export interface CrossCheckReport {
  /** What was compared, one line each, with the values side by side. */
  findings: {
    field: string;
    presented?: string;
    expected?: string;
    verdict: "match" | "mismatch" | "unknown";
    detail: string;
  }[];
  /** The class the live facts point to, when they settle it. */
  confirmedClass?: ErrorClass;
  /** What could not be read, and why. */
  skipped: string[];
}

/** What a recognised service code means, and the reference it comes from. */
export interface CodeMeaning {
  code: string;
  meaning: string;
  source: string;
}

/** When the text cannot decide between the leading causes: which tool call does. */
export interface Undecided {
  /** The close causes, most frequent producer of this text first. */
  between: ErrorClass[];
  decidingCall: ToolCall;
  why: string;
}

export interface ExplainResult {
  codes: string[];
  /** The meaning of every AADSTS / STS / IAM / EKS Auth code found, from the services' references. */
  meanings: CodeMeaning[];
  platform: ErrorPlatform;
  extracted: Extracted;
  causes: Cause[];
  /** Set when the two leading causes are close: the text alone cannot decide. */
  undecided?: Undecided;
  crossCheck?: CrossCheckReport;
}

export interface ExplainOptions {
  namespace?: string;
  serviceAccount?: string;
}

interface Scored {
  score: number;
  entries: string[];
}

function groupMatches(scan: Scan, group: string[]): boolean {
  for (const needle of group) if (find(scan, needle) === -1) return false;
  return true;
}

/**
 * Where the evidence for a matching row last occurs in the text: its codes or the wordings of a matching group.
 * In a log with several errors the last one is usually the one the reader is asking about.
 */
function lastEvidence(scan: Scan, codes: Set<string>, entry: CatalogueEntry): number {
  let last = -1;
  for (const c of entry.codes ?? []) if (codes.has(c)) last = Math.max(last, findLast(scan, c.toLowerCase()));
  for (const g of entry.text ?? []) {
    if (!groupMatches(scan, g)) continue;
    for (const needle of g) last = Math.max(last, findLast(scan, needle));
  }
  return last;
}

function matches(scan: Scan, codes: Set<string>, entry: CatalogueEntry): boolean {
  if (entry.unless?.some((u) => find(scan, u) !== -1)) return false;
  if (entry.codes?.some((c) => codes.has(c))) return true;
  return entry.text?.some((g) => groupMatches(scan, g)) ?? false;
}

const platformHints: [ErrorPlatform, string[]][] = [
  [
    "eks-pod-identity",
    [
      "169.254.170.23",
      "pods.eks.amazonaws.com",
      "assumeroleforpodidentity",
      "eks-pod-identity",
      "aws_container_credentials_full_uri",
      "from container-role",
    ],
  ],
  [
    "eks-irsa",
    [
      "eks.amazonaws.com/serviceaccount",
      "aws_web_identity_token_file",
      "assumerolewithwebidentity",
      "eks.amazonaws.com/role-arn",
      "oidc.eks.",
      "webidentityerr",
      "tokenfilewebidentitycredentials",
      "webidentitytokencredentialsprovider",
      "aws_role_arn",
    ],
  ],
  [
    "aad-pod-identity",
    [
      "aadpodidbinding",
      "azureassignedidentity",
      "azureidentitybinding",
      "nmi response",
      "component=nmi",
      "aad-pod-identity",
      "mic.go",
      "nmi response failed",
    ],
  ],
  [
    "aks-workload-identity",
    [
      "azure.workload.identity",
      "azure_federated_token_file",
      "oic.prod-aks.azure.com",
      "azure-identity-token",
      "api://azureadtokenexchange",
      "secretproviderclass",
      "failed to mount objects",
    ],
  ],
];

function hintedPlatform(scan: Scan): ErrorPlatform | undefined {
  for (const [platform, hints] of platformHints) if (hints.some((h) => find(scan, h) !== -1)) return platform;
  return undefined;
}

/** '***', '<redacted>', '[REDACTED]', 'xxxx' and similar placeholders people (and our redaction) put in place of values. */
function isMasked(value: string): boolean {
  const c = value.charAt(0);
  const v = value.toLowerCase();
  return c === "*" || c === "<" || c === "[" || ["xxx", "redacted", "masked", "hidden"].some((m) => v.startsWith(m));
}

/** A value read out of the text that is only a redaction mark says nothing: it is left out, never compared. */
function dropMasked(x: Extracted): void {
  for (const k of extractedFields) {
    const v = x[k];
    if (v !== undefined && isMasked(v)) delete x[k];
  }
}

/** Adjustments that read the extracted values: the text says more than the code alone. */
function refine(scan: Scan, x: Extracted, codes: Set<string>, scores: Map<ErrorClass, Scored>): void {
  const adjust = adjusters(scores);
  refineExchange(scan, x, scores, adjust);
  refineEndpoint(scan, x, codes, scores, adjust);
}

interface Adjusters {
  raise(cls: ErrorClass, to: number, why: string): void;
  lower(cls: ErrorClass, to: number): void;
}

function adjusters(scores: Map<ErrorClass, Scored>): Adjusters {
  return {
    raise(cls, to, why) {
      const s = scores.get(cls);
      if (s) {
        if (s.score < to) s.score = to;
        s.entries.push(why);
      } else scores.set(cls, { score: to, entries: [why] });
    },
    lower(cls, to) {
      const s = scores.get(cls);
      if (s && s.score > to) s.score = to;
    },
  };
}

/** What the token exchange's own words say: audience, issuer, the client id Entra looked up, the env variables. */
function refineExchange(scan: Scan, x: Extracted, scores: Map<ErrorClass, Scored>, { raise, lower }: Adjusters): void {
  const ficFamily = scores.has("fic_subject_mismatch") || scores.has("fic_issuer_mismatch");
  if (ficFamily && x.audience) {
    if (azureExchangeAudiences.some((a) => a.toLowerCase() === x.audience?.toLowerCase()))
      lower("fic_audience_mismatch", 0.15);
    else raise("fic_audience_mismatch", 0.9, "the presented audience is not a token-exchange audience");
  }
  if (ficFamily && x.issuer) {
    const i = x.issuer.toLowerCase();
    if (!i.startsWith("https://") || i.includes("kubernetes.default.svc") || i.includes(".cluster.local")) {
      raise(
        "fic_issuer_mismatch",
        0.9,
        "the presented issuer is the API server's internal issuer, not a public OIDC issuer",
      );
    }
  }
  // With the CSI driver the client ID comes from the SecretProviderClass, a frequent source of the mismatch.
  if (
    scores.has("fic_subject_mismatch") &&
    (find(scan, "failed to mount objects") !== -1 || find(scan, "secretproviderclass") !== -1)
  ) {
    raise("wrong_client_id", 0.65, "the Key Vault CSI driver takes the client ID from the SecretProviderClass");
  }
  if (scores.has("missing_env_config")) {
    // The webhook injects the tenant and the token file into every labelled pod; only the client ID
    // depends on the service account annotation. Messages that list all three variables say neither.
    const fileOrTenant = [
      "no token file specified",
      "no tenant id specified",
      "azure_federated_token_file not set",
      "azure_federated_token_file is not set",
      "azure_tenant_id not set",
      "azure_tenant_id is not set",
    ].some((m) => find(scan, m) !== -1);
    const clientOnly =
      !fileOrTenant &&
      ["no client id specified", "azure_client_id not set", "azure_client_id is not set"].some(
        (m) => find(scan, m) !== -1,
      );
    if (fileOrTenant)
      raise(
        "pod_not_mutated_label_missing",
        0.65,
        "the tenant or token file is missing too, which the webhook always sets",
      );
    if (clientOnly) raise("missing_env_config", 0.7, "only the client ID is missing: the service account annotation");
  }
  // AADSTS700016 naming a resource ID or a word instead of a GUID: the configured client ID is simply wrong.
  // A masked identifier ('***', '<redacted>') says nothing either way.
  const identifierAt = find(scan, "application with identifier '");
  if (identifierAt !== -1) {
    const id = scan.text.slice(identifierAt + 29, identifierAt + 29 + 37);
    if (!guidAt(id, 0) && !isMasked(id))
      raise("wrong_client_id", 0.85, "the identifier Entra looked up is not a client ID (GUID)");
  }
}

/** What the identity endpoint, NMI/MIC, the CSI driver and old libraries said. */
function refineEndpoint(
  scan: Scan,
  x: Extracted,
  codes: Set<string>,
  scores: Map<ErrorClass, Scored>,
  { raise, lower }: Adjusters,
): void {
  // The managed identity endpoint answered 403 or 404: it is reachable, and on a cluster that answer comes from
  // aad-pod-identity's NMI, which refuses pods it has no assigned identity for (IMDS itself answers 400).
  if (codes.has("ManagedIdentityCredential") && (codes.has("HTTP 403") || codes.has("HTTP 404"))) {
    raise(
      "nmi_identity_not_assigned",
      0.8,
      "the identity endpoint answered 403/404, which is how NMI refuses a pod without an assigned identity",
    );
    lower("imds_unreachable", 0.4);
  }
  // A retired library wrapping a concrete answer from the identity endpoint: the answer is the cause.
  if (
    scores.has("sdk_too_old") &&
    (find(scan, "identity not found") !== -1 || find(scan, "msi responsecode: forbidden") !== -1)
  ) {
    lower("sdk_too_old", 0.45);
  }
  // The identity endpoint named the problem: the environment-variable rows matched only on the chain's
  // generic EnvironmentCredential line.
  if (endpointAnswered.some((m) => find(scan, m) !== -1)) {
    lower("missing_env_config", 0.4);
    lower("pod_not_mutated_label_missing", 0.35);
    // Under aad-pod-identity NMI forwards the request to IMDS with the pod's client ID: IMDS answers "identity not
    // found" until MIC has assigned that identity to the node's VM or scale set.
    if (hintedPlatform(scan) === "aad-pod-identity")
      raise(
        "nmi_identity_not_assigned",
        0.8,
        "under aad-pod-identity the node has not been given the pod's identity yet (MIC assigns it)",
      );
  }
  // NMI waiting for an identity while the Key Vault CSI driver asks: the SecretProviderClass names the client ID.
  if (
    scores.has("nmi_identity_not_assigned") &&
    find(scan, "getting assigned identities for pod") !== -1 &&
    find(scan, "keyvault") !== -1
  ) {
    raise("wrong_client_id", 0.82, "the Key Vault CSI driver requested the identity named in the SecretProviderClass");
  }
  // MIC (aad-pod-identity) writing the node VM or scale set without permission.
  if (
    scores.has("rbac_missing_role") &&
    (find(scan, "microsoft.compute/virtualmachinescalesets/write") !== -1 ||
      find(scan, "microsoft.compute/virtualmachines/write") !== -1)
  ) {
    raise(
      "mic_linked_authorization",
      0.92,
      "the denied action is the node VM/scale-set write that MIC performs to assign identities",
    );
  }
  if (x.tokenFile?.startsWith("/var/run/secrets/azure/tokens/") && scores.has("token_path_changed")) {
    raise("token_path_changed", 0.85, "the path is the one webhook versions before v1.6.0 used");
  }
}

function platformOf(scan: Scan, best: CatalogueEntry | undefined): ErrorPlatform {
  const hinted = hintedPlatform(scan);
  if (!best) return hinted ?? "unknown";
  // A generic SDK error inside a workload-identity or pod-identity setup belongs to that setup.
  if (best.platform === "azure-sdk" && (hinted === "aks-workload-identity" || hinted === "aad-pod-identity"))
    return hinted;
  if (best.platform === "eks-irsa" && hinted === "eks-pod-identity") return hinted;
  return best.platform;
}

/** Words that suggest a class when nothing in the catalogue matched. */
const keywords: [ErrorClass, string[]][] = [
  ["fic_subject_mismatch", ["federated", "subject", "serviceaccount"]],
  ["fic_issuer_mismatch", ["issuer", "oidc"]],
  ["fic_audience_mismatch", ["audience", "aud"]],
  ["wrong_client_id", ["client id", "clientid", "client_id"]],
  ["wrong_tenant", ["tenant"]],
  ["missing_env_config", ["azure_", "environment variable"]],
  ["webhook_not_running", ["webhook", "mutat"]],
  ["token_file_unreadable", ["token file", "serviceaccount/token", "permission denied"]],
  ["rbac_missing_role", ["forbidden", "403", "not authorized", "permission"]],
  ["keyvault_firewall", ["vault", "firewall", "network"]],
  ["imds_unreachable", ["imds", "169.254", "managed identity", "metadata"]],
  ["nmi_identity_not_assigned", ["nmi", "aadpodidbinding", "pod identity"]],
  ["irsa_trust_policy_mismatch", ["sts", "assumerole", "trust"]],
  ["irsa_sa_annotation_missing", ["role-arn", "iam role", "credentials"]],
  ["assertion_expired_or_clock", ["expired", "expiry", "clock"]],
];

function closestCandidates(scan: Scan, x: Extracted): Cause[] {
  const hits: [ErrorClass, number][] = [];
  for (const [cls, words] of keywords) {
    const n = words.filter((w) => find(scan, w) !== -1).length;
    if (n > 0) hits.push([cls, n]);
  }
  hits.sort((a, b) => b[1] - a[1]);
  return hits.slice(0, 3).map(([cls, n]) => ({
    ...causeFor(cls, x, "unknown", []),
    confidence: Math.min(0.15, 0.05 * n),
    explanation: `Possible, but only loosely suggested by words in the text: ${classInfo[cls].explain({ x, platform: "unknown" })}`,
  }));
}

function causeFor(cls: ErrorClass, x: Extracted, platform: ErrorPlatform, entries: string[]): Cause {
  const info = classInfo[cls];
  const ctx = { x, platform };
  const because = entries.length ? ` (recognised: ${[...new Set(entries)].join("; ")})` : "";
  return {
    class: cls,
    confidence: 0,
    explanation: `${info.title}. ${info.explain(ctx)}${because}`,
    confirmWith: info.confirmWith(ctx),
    fixes: info.fixes(ctx),
  };
}

/**
 * Codes the services document: each gives its meaning, and, when no catalogue row already read the text for
 * that code, its causes at the (lower) confidence the code alone supports. An AADSTS code missing from the
 * table is still named, with the reference to look it up in.
 */
function fromServiceCodes(codes: string[], covered: Set<string>, scores: Map<ErrorClass, Scored>): CodeMeaning[] {
  const meanings: CodeMeaning[] = [];
  for (const code of codes) {
    const known = serviceCode(code);
    if (!known) {
      if (code.startsWith("AADSTS"))
        meanings.push({ code, meaning: "An Entra code outside the workload-identity flows", source: ENTRA_REFERENCE });
      continue;
    }
    meanings.push({ code, meaning: known.meaning, source: known.source });
    if (covered.has(code)) continue;
    for (const [cls, w] of known.causes) {
      const s = scores.get(cls);
      const seen = `${code}: ${known.meaning}`;
      if (!s) scores.set(cls, { score: w, entries: [seen] });
      else {
        s.score = Math.min(0.97, Math.max(s.score, w) + 0.02);
        s.entries.push(seen);
      }
    }
  }
  return meanings;
}

/** Causes whose confidences are this close to the leader's cannot be told apart by the text. */
const UNDECIDED_MARGIN = 0.12;

/**
 * The confidences are how often each cause produces a text like this one; the causes within 0.12 of the leader
 * cannot be told apart by the text, and a read of the live state must decide. They are listed most frequent
 * first; the deciding call is the tool that confirms the most of them (it shows what separates them), else the
 * leader's first confirming tool. A text the catalogue does not recognise at all is decided by the one-call
 * diagnosis, between the causes its words loosely suggest.
 */
function undecidedBetween(causes: Cause[]): Undecided | undefined {
  const [a] = causes;
  if (!a) return undefined;
  if (a.class === "unknown") {
    const suggested = causes.slice(1).map((c) => c.class);
    const call = a.confirmWith[0];
    if (suggested.length < 2 || !call) return undefined;
    return {
      between: suggested,
      decidingCall: call,
      why: `the text matches no catalogue row; ${call.tool} reads the live state behind every one of these causes`,
    };
  }
  const close = causes.filter((c) => a.confidence - c.confidence < UNDECIDED_MARGIN);
  if (close.length < 2) return undefined;
  let best: { call: ToolCall; covers: number } | undefined;
  for (const t of close.flatMap((c) => c.confirmWith)) {
    const covers = close.filter((c) => c.confirmWith.some((u) => u.tool === t.tool)).length;
    if (!best || covers > best.covers) best = { call: t, covers };
  }
  if (!best) return undefined;
  const between = close.map((c) => c.class);
  const leaderCall = a.confirmWith.some((t) => t.tool === best.call.tool);
  return {
    between,
    decidingCall: best.call,
    why:
      best.covers > 1
        ? `${best.call.tool} shows the facts that separate ${between.join(", ")}`
        : `${best.call.tool} confirms or rules out ${leaderCall ? a.class : between.join(", ")}, the more frequent cause of this text`,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Wordings of a credential chain's summary, which lists every credential it tried in a fixed order. */
const chainSummaries = [
  "defaultazurecredential",
  "chainedtokencredential",
  "but failed to acquire a token for any of them",
  "no valid providers in chain",
  "unable to load credentials from any of the providers in the chain",
  "could not load credentials from any providers",
];

/**
 * A credential chain (DefaultAzureCredential, ChainedTokenCredential) reports every credential it tried: those that
 * were not configured or could not reach their endpoint say "unavailable", and the one that reached Entra carries
 * the AADSTS code. That one is the most specific error in the text; the unavailable ones rank below it.
 */
function preferTheCredentialThatReachedEntra(codes: string[], scores: Map<ErrorClass, Scored>): void {
  if (!codes.some((c) => c.startsWith("AADSTS"))) return;
  const unavailable: ErrorClass[] = ["imds_unreachable", "missing_env_config"];
  let lead = 0;
  for (const [cls, s] of scores) if (!unavailable.includes(cls)) lead = Math.max(lead, s.score);
  if (lead === 0) return;
  for (const cls of unavailable) {
    const s = scores.get(cls);
    if (s && s.score > lead - 0.15) s.score = Math.max(0, lead - 0.15);
  }
}

/** Wordings that say the managed identity endpoint answered: it is reachable, whatever else went wrong. */
const endpointAnswered = [
  "requested identity has not been assigned",
  "requested identity hasn't been assigned",
  "description: identity not found",
  "couldn't acquire access token from imds",
];

/** The full computation, with the number of characters the anchor searches examined. */
export function explainWithWork(input: string, opts: ExplainOptions = {}): { result: ExplainResult; work: number } {
  const text = redactSecrets(unescapeLog(input));
  const scan = newScan(text, asciiLower(text));
  // The two linear passes above are counted as one read of the text each.
  scan.work += 3 * text.length;
  const codes = extractCodes(scan);
  const codeSet = new Set(codes);
  const x = extractFields(scan);
  dropMasked(x);
  if (!x.namespace && opts.namespace) x.namespace = opts.namespace;
  if (!x.serviceAccount && opts.serviceAccount) x.serviceAccount = opts.serviceAccount;

  const scores = new Map<ErrorClass, Scored>();
  let best: CatalogueEntry | undefined;
  let bestWeight = 0;
  const covered = new Set<string>();
  let lastEntry: CatalogueEntry | undefined;
  let lastAt = -1;
  let earliestAt = Number.MAX_SAFE_INTEGER;
  let matched = 0;
  for (const entry of catalogue) {
    if (!matches(scan, codeSet, entry)) continue;
    matched++;
    for (const c of entry.codes ?? []) covered.add(c);
    const at = lastEvidence(scan, codeSet, entry);
    if (at >= 0 && at < earliestAt) earliestAt = at;
    if (at > lastAt) {
      lastAt = at;
      lastEntry = entry;
    }
    const top = Math.max(...entry.causes.map(([, w]) => w));
    if (top > bestWeight) {
      best = entry;
      bestWeight = top;
    }
    for (const [cls, w] of entry.causes) {
      const s = scores.get(cls);
      // The entry's own title says what this particular text means, beyond its class.
      const seen = `${entry.code}: ${entry.title}`;
      if (!s) scores.set(cls, { score: w, entries: [seen] });
      else {
        // A second signature for the same cause corroborates it a little.
        s.score = Math.min(0.97, Math.max(s.score, w) + 0.03);
        s.entries.push(seen);
      }
    }
  }
  // Several errors in one log: the latest one's leading cause gets a small lead over earlier ones.
  // A credential chain's summary lists every credential it tried in a fixed order: one error, not several.
  const chainSummary = chainSummaries.some((m) => find(scan, m) !== -1);
  const separateLines = !chainSummary && lastAt > earliestAt && scan.text.lastIndexOf("\n", lastAt) > earliestAt;
  if (matched > 1 && lastEntry && separateLines) {
    const [cls] = lastEntry.causes.reduce((a, b) => (b[1] > a[1] ? b : a));
    const s = scores.get(cls);
    if (s) {
      const top = Math.max(...[...scores.values()].map((v) => v.score));
      s.score = Math.min(0.97, Math.max(s.score + 0.1, top + 0.01));
      s.entries.push("the latest error in the text");
    }
  }
  const meanings = fromServiceCodes(codes, covered, scores);
  refine(scan, x, codeSet, scores);
  if (chainSummary) preferTheCredentialThatReachedEntra(codes, scores);
  const platform = platformOf(scan, best);

  let causes: Cause[];
  if (scores.size === 0) {
    const unknown = causeFor("unknown", x, platform, []);
    unknown.confidence = 0.5;
    causes = [unknown, ...closestCandidates(scan, x)];
  } else {
    const order = new Map<ErrorClass, number>();
    for (const e of catalogue) for (const [c] of e.causes) if (!order.has(c)) order.set(c, order.size);
    causes = [...scores.entries()]
      .sort((a, b) => b[1].score - a[1].score || (order.get(a[0]) ?? 99) - (order.get(b[0]) ?? 99))
      .slice(0, 6)
      .map(([cls, s]) => ({ ...causeFor(cls, x, platform, s.entries), confidence: round(Math.min(0.97, s.score)) }));
  }
  const undecided = undecidedBetween(causes);
  return {
    result: { codes, meanings, platform, extracted: x, causes, ...(undecided ? { undecided } : {}) },
    work: scan.work,
  };
}

/** Explain an error text: the codes in it, the values it names, and its likely causes, best first. */
export function explainError(text: string, opts: ExplainOptions = {}): ExplainResult {
  return explainWithWork(text, opts).result;
}
