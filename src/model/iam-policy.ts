// An IAM policy document as IAM returns it (decoded JSON): what the provider reads and the trust evaluator reads.

export type PolicyValue = string | string[];

export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: PolicyValue;
  NotAction?: PolicyValue;
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement?: PolicyStatement | PolicyStatement[];
}
