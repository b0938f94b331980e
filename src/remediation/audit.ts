// Every write is logged as one JSON line (who, what, where, before/after) to stderr and, when configured, to a file.
import { appendFileSync } from "node:fs";
import { userInfo } from "node:os";
import type { Environment } from "../providers/environment.js";

let auditFile: string | undefined = process.env.WI_DOCTOR_AUDIT_LOG || undefined;
let auditStream: NodeJS.WritableStream = process.stderr;

/** Where audit lines go besides the file (the process's stderr, or a command-line run's); returns the one it replaces. */
export function setAuditStream(stream: NodeJS.WritableStream): NodeJS.WritableStream {
  const previous = auditStream;
  auditStream = stream;
  return previous;
}

/** Append every write's audit line to this file too (`--audit-log FILE`); returns the file it replaces. */
export function setAuditLog(file: string | undefined): string | undefined {
  const previous = auditFile;
  auditFile = file;
  return previous;
}

export interface AuditEntry {
  tool: string;
  planId: string;
  action: string;
  /** The object written: a Kubernetes path, an ARM or Graph URL, an IAM role ARN. */
  target: string;
  before: unknown;
  after: unknown;
  outcome: "applied" | "failed";
  error?: string;
}

/** Who writes: the local user and the kube context (the cloud identities are whatever those resolve to). */
export function whoOf(env: Environment): string {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry (containers): keep "unknown" */
  }
  const kube = env.kubeconfig?.getCurrentUser()?.name;
  const context = env.kubeconfig?.getCurrentContext();
  return [user, kube ? `kube user ${kube}` : undefined, context ? `context ${context}` : undefined]
    .filter(Boolean)
    .join(", ");
}

export function audit(env: Environment, entry: AuditEntry): void {
  const line = `${JSON.stringify({ time: new Date().toISOString(), who: whoOf(env), mode: env.mode, ...entry })}\n`;
  auditStream.write(line);
  if (auditFile) appendFileSync(auditFile, line, { mode: 0o600 });
}
