// Every fix command is built here: the literal text of a command is ours, every value placed into it is quoted
// for a POSIX shell by shell-quote, so a name copied from an error text or read from the cluster can never run as
// code when the command is pasted into bash or zsh.
import { quote } from "shell-quote";

/**
 * Words that need no quoting in bash or zsh: letters, digits and `_ . / : @ , + = -`, not starting with `=`
 * (zsh expands `=cmd`) or `-` (it would read as a flag). Everything else goes through shell-quote.
 */
const PLAIN = /^[A-Za-z0-9_./+][A-Za-z0-9_./:@,+=-]*$/;

/** One value as a single shell word; readable when it needs no quoting. */
export function sh(value: string): string {
  if (PLAIN.test(value)) return value;
  return quote([value]);
}

/** Text we wrote ourselves (a `<placeholder>`, a flag, a pipe): placed into a command as is. */
export class Raw {
  constructor(readonly text: string) {}
}

export const raw = (text: string) => new Raw(text);

/** A value the user has to fill in, shown as `<what>`. */
export const placeholder = (what: string) => new Raw(`<${what}>`);

export type CommandValue = string | number | boolean | Raw;

/**
 * A command: `` cmd`kubectl get sa ${name} -n ${ns}` ``. The template's literal text is kept, each value becomes
 * one quoted shell word (a Raw stays as written). A value written between double quotes in the template
 * (`--subject "${subject}"`) keeps them only when it needs no quoting; otherwise they give way to shell-quote's.
 */
export function cmd(strings: TemplateStringsArray, ...values: CommandValue[]): string {
  const parts = [...strings];
  let out = "";
  values.forEach((v, i) => {
    let before = parts[i];
    const text = v instanceof Raw ? v.text : String(v);
    const inQuotes = before.endsWith('"') && parts[i + 1].startsWith('"');
    // Between double quotes: a value only when plain; our own text only when it holds no quote, $, `, \ or !.
    const keep = inQuotes && (v instanceof Raw ? !/["'$`\\!]/.test(text) : PLAIN.test(text));
    if (inQuotes && !keep) {
      before = before.slice(0, -1);
      parts[i + 1] = parts[i + 1].slice(1);
    }
    out += before + (v instanceof Raw || keep ? text : sh(text));
  });
  return out + parts[values.length];
}

/** Several values as shell words separated by spaces, e.g. a list of pod names. */
export function words(values: string[]): Raw {
  return raw(values.map(sh).join(" "));
}

/** A JSON body as one shell word. */
export function json(body: unknown): Raw {
  return raw(sh(JSON.stringify(body)));
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * What a value must look like before it is placed into a command, by kind. A value that fails is never put into a
 * command: the command keeps a <placeholder> and says why. Sources: Kubernetes object names (RFC 1123 labels and
 * subdomains), Azure resource naming rules (Microsoft.ManagedIdentity, Microsoft.KeyVault, resource groups), IAM
 * role ARNs, and https issuer URLs.
 */
export const nameRules = {
  namespace: { what: "Kubernetes namespace name", ok: (v: string) => v.length <= 63 && DNS_LABEL.test(v) },
  k8sName: { what: "Kubernetes object name", ok: (v: string) => v.length <= 253 && DNS_SUBDOMAIN.test(v) },
  guid: { what: "GUID", ok: (v: string) => GUID.test(v) },
  azureName: {
    what: "Azure resource name",
    ok: (v: string) => v.length <= 128 && /^[A-Za-z0-9][A-Za-z0-9_.()-]*$/.test(v) && !v.endsWith("."),
  },
  vault: { what: "Key Vault name", ok: (v: string) => /^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$/.test(v) },
  issuer: {
    what: "https issuer URL",
    ok: (v: string) => v.length <= 2048 && /^https:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~%/-]*)?$/.test(v),
  },
  providerUrl: {
    what: "OIDC provider URL",
    ok: (v: string) => v.length <= 2048 && /^(https:\/\/)?[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~%/-]*)?$/.test(v),
  },
  audience: { what: "audience", ok: (v: string) => v.length <= 256 && /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/.test(v) },
  subject: {
    what: "service account subject",
    ok: (v: string) => {
      const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(v);
      return !!m && nameRules.namespace.ok(m[1]) && nameRules.k8sName.ok(m[2]);
    },
  },
  roleArn: {
    what: "IAM role ARN",
    ok: (v: string) => v.length <= 2048 && /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[A-Za-z0-9_+=,.@/-]{1,512}$/.test(v),
  },
} as const;

export type NameKind = keyof typeof nameRules;

/** The value when it is a valid name of that kind, else undefined. */
export function validName(kind: NameKind, value: string | undefined): string | undefined {
  return value !== undefined && nameRules[kind].ok(value) ? value : undefined;
}

/** `kubectl apply` of a manifest given inline; the here-document's end word never occurs as a line of the manifest. */
export function heredocApply(manifest: string): string {
  let end = "EOF";
  while (manifest.split("\n").includes(end)) end += "_";
  return `kubectl apply -f - <<'${end}'\n${manifest}\n${end}`;
}
