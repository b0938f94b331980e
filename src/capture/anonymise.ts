// Consistent renaming for a captured scenario that is to be shared: every GUID, AWS account id, EKS cluster id and
// chosen name becomes a made-up one, the same everywhere it occurs (in subjects, URLs and resource ids too), so the
// world still diagnoses the same. Renames only whole names (bounded by characters that cannot be part of a name).
import { createHash, randomBytes } from "node:crypto";

/** Names that carry meaning to the diagnosis (or to Kubernetes) and stay as they are. */
const KEEP = new Set([
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "azure-workload-identity-system",
  "api",
  "app",
  "true",
  "false",
]);

const GUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g;
/** An EKS cluster id: upper case in the endpoint EKS reports, lower case where the kubeconfig's server URL has it. */
const EKS_ID = /(?<![0-9A-Za-z])[0-9A-Fa-f]{32}(?![0-9A-Za-z])/g;
const ACCOUNT = /(?<![0-9])[0-9]{12}(?![0-9])/g;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export interface Anonymiser {
  /** Rename everything in a text (a serialized scenario). */
  apply(text: string): string;
}

/**
 * @param names Names to rename (namespaces, service accounts, workloads, clusters, resource groups, vaults, identities).
 * @param salt Makes the made-up values unlinkable to the originals (random unless given, e.g. in tests).
 */
export function makeAnonymiser(names: Iterable<string>, salt: string = randomBytes(16).toString("hex")): Anonymiser {
  const hash = (s: string) => createHash("sha256").update(`${salt}\u0000${s}`).digest("hex");
  const guidMap = new Map<string, string>();
  const guidFor = (g: string) => {
    const key = g.toLowerCase();
    let v = guidMap.get(key);
    if (!v) {
      const h = hash(key);
      v = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
      guidMap.set(key, v);
    }
    // Keep the original's case, so case-only differences survive.
    return g === g.toUpperCase() ? v.toUpperCase() : v;
  };
  const chosen = [...new Set(names)]
    .filter((n) => n.length >= 3 && !KEEP.has(n) && !/^[0-9]+$/.test(n))
    .sort((a, b) => b.length - a.length);
  const nameMap = new Map<string, string>();
  chosen.forEach((n, i) => {
    nameMap.set(n, `name${String(i + 1).padStart(2, "0")}${hash(n).slice(0, 4)}`);
  });
  const nameRe = chosen.length
    ? new RegExp(`(?<![A-Za-z0-9_])(${chosen.map(escapeRe).join("|")})(?![A-Za-z0-9_])`, "g")
    : undefined;
  return {
    apply(text: string): string {
      let out = text.replace(GUID, (g) => guidFor(g));
      out = out.replace(EKS_ID, (id) => {
        // One made-up id per cluster id whatever its case; each occurrence keeps its own case.
        const v = hash(id.toUpperCase()).slice(0, 32);
        return id === id.toLowerCase() ? v : v.toUpperCase();
      });
      out = out.replace(ACCOUNT, (a) =>
        String(100000000000 + (Number.parseInt(hash(a).slice(0, 10), 16) % 899999999999)),
      );
      if (nameRe) out = out.replace(nameRe, (n) => nameMap.get(n) ?? n);
      return out;
    },
  };
}
