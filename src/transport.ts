// The stdio transport with limits: a client message larger than the limit (or one that is not JSON) is answered
// with a JSON-RPC error and skipped, and the server keeps serving. The SDK's own stdio transport closes itself
// on an over-large message, which ends the server without a word.
import process from "node:process";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

/** The largest client message read (bytes); tool inputs are far smaller (error text: 1 MB at most is kept). */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/** The request id of a JSON-RPC message, read from the start or end of its text; null when it cannot be seen. */
export function idOf(head: string, tail: string): string | number | null {
  const idValue = String.raw`"id"\s*:\s*(-?\d{1,16}|"(?:[^"\\]|\\.){0,200}")`;
  const m =
    new RegExp(`^\\s*\\{\\s*(?:"jsonrpc"\\s*:\\s*"2\\.0"\\s*,\\s*)?${idValue}`).exec(head.slice(0, 300)) ??
    new RegExp(`[,{]\\s*${idValue}\\s*\\}\\s*$`).exec(tail.slice(-300));
  if (!m) return null;
  try {
    return JSON.parse(m[1]) as string | number;
  } catch {
    return null;
  }
}

export class LimitedStdioServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Set while skipping the rest of an over-large line: its first and last bytes, for the request id. */
  private skipping?: { head: string; tail: string };

  constructor(
    private readonly stdin: NodeJS.ReadableStream = process.stdin,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly maxBytes = MAX_MESSAGE_BYTES,
  ) {}

  private readonly onData = (chunk: Buffer) => {
    let rest = chunk;
    while (rest.length) {
      const nl = rest.indexOf(10);
      const part = nl === -1 ? rest : rest.subarray(0, nl);
      rest = nl === -1 ? Buffer.alloc(0) : rest.subarray(nl + 1);
      if (this.skipping) {
        this.skipping.tail = (this.skipping.tail + part.toString("latin1")).slice(-400);
      } else if (this.pendingBytes + part.length > this.maxBytes) {
        const head = Buffer.concat([...this.pending, part])
          .subarray(0, 400)
          .toString("latin1");
        this.skipping = { head, tail: part.toString("latin1").slice(-400) };
        this.pending = [];
        this.pendingBytes = 0;
      } else {
        this.pending.push(part);
        this.pendingBytes += part.length;
      }
      if (nl !== -1) this.endOfLine();
    }
  };

  private readonly onError = (error: Error) => this.onerror?.(error);

  private endOfLine() {
    if (this.skipping) {
      const { head, tail } = this.skipping;
      this.skipping = undefined;
      this.reject(idOf(head, tail), -32600, `message larger than ${this.maxBytes} bytes; send less text`);
      return;
    }
    const line = Buffer.concat(this.pending).toString("utf8").replace(/\r$/, "");
    this.pending = [];
    this.pendingBytes = 0;
    if (!line.trim()) return;
    let message: JSONRPCMessage;
    try {
      message = JSONRPCMessageSchema.parse(JSON.parse(line));
    } catch {
      this.reject(idOf(line, line), -32700, "message is not a JSON-RPC message");
      return;
    }
    this.onmessage?.(message);
  }

  private reject(id: string | number | null, code: number, message: string) {
    this.onerror?.(new Error(message));
    void this.send({ jsonrpc: "2.0", id, error: { code, message } } as unknown as JSONRPCMessage);
  }

  async start(): Promise<void> {
    this.stdin.on("data", this.onData);
    this.stdin.on("error", this.onError);
  }

  async close(): Promise<void> {
    this.stdin.off("data", this.onData);
    this.stdin.off("error", this.onError);
    this.pending = [];
    this.onclose?.();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      if (this.stdout.write(`${JSON.stringify(message)}\n`)) resolve();
      else this.stdout.once("drain", resolve);
    });
  }
}
