// The fixed vocabulary of error causes (docs/errors.md): for each class, what it means, which tools
// confirm it, and the fix, filled with the names found in the error text.
import { type NameKind, nameRules, validName } from "../command.js";
import { awsClasses } from "./classes-aws.js";
import { identityResourceId } from "./class-helpers.js";
import { azureClasses } from "./classes-azure.js";
import { entraClasses } from "./classes-entra.js";
import { type ClassContext, type ClassInfo, type ErrorClass, type Extracted, extractedFields } from "./vocabulary.js";

export * from "./vocabulary.js";

const classes: Record<ErrorClass, ClassInfo> = { ...entraClasses, ...azureClasses, ...awsClasses };

/** Which rule each value read from an error text must meet before it goes into a command. */
const commandRules: Partial<Record<keyof Extracted, NameKind>> = {
  issuer: "issuer",
  providerUrl: "providerUrl",
  subject: "subject",
  audience: "audience",
  tenantId: "guid",
  clientId: "guid",
  correlationId: "guid",
  roleArn: "roleArn",
  namespace: "namespace",
  serviceAccount: "k8sName",
  vault: "vault",
};

/**
 * The values of an error text that may go into commands. A value that is not a valid name of its kind stays out of
 * every command (its <placeholder> is shown instead) and the fix says which field was left out and why.
 */
export function commandValues(x: Extracted): { x: Extracted; rejected: string[] } {
  const out: Extracted = {};
  const rejected: string[] = [];
  for (const k of extractedFields) {
    const value = x[k];
    const kind = commandRules[k];
    if (value === undefined) continue;
    // The binding proxy's subject is an identity's resource id, not a service account: a valid value too.
    const bindingSubject = k === "subject" && !!identityResourceId(value);
    if (kind && !validName(kind, value) && !bindingSubject) rejected.push(`${k} (not a valid ${nameRules[kind].what})`);
    else out[k] = value;
  }
  return { x: out, rejected };
}

/** Every class's fixes see only values that passed their name rule. */
export const classInfo = Object.fromEntries(
  Object.entries(classes).map(([c, info]) => [
    c,
    {
      ...info,
      fixes(ctx: ClassContext) {
        const { x, rejected } = commandValues(ctx.x);
        const fixes = info.fixes({ ...ctx, x });
        if (!rejected.length) return fixes;
        const note = ` (left out of the commands: ${rejected.join(", ")})`;
        return fixes.map((f) => (f.commands.length ? { ...f, summary: f.summary + note } : f));
      },
    },
  ]),
) as Record<ErrorClass, ClassInfo>;
