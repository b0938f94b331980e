// Whether a container's Azure identity library can use workload identity. The Kubernetes API cannot see library
// versions: we read an optional annotation the owner may set, and recognise a few well-known images; otherwise we
// say what to look for.
import type { V1PodTemplateSpec } from "@kubernetes/client-node";

/**
 * Optional pod-template annotation declaring each container's Azure identity library:
 * `python@1.12.0` (every container) or `app=python@1.12.0;worker=go@1.5.1`.
 */
export const SDK_ANNOTATION = "wi-doctor.io/azure-identity-sdk";

/** The first release of each Azure Identity library with WorkloadIdentityCredential in DefaultAzureCredential. */
export const MIN_SDK: Record<string, { library: string; minimum: string; where: string }> = {
  dotnet: { library: "Azure.Identity", minimum: "1.9.0", where: "the *.csproj PackageReference or packages.lock.json" },
  cpp: { library: "azure-identity-cpp", minimum: "1.6.0", where: "vcpkg.json or the CMake dependency" },
  go: { library: "github.com/Azure/azure-sdk-for-go/sdk/azidentity", minimum: "1.3.0", where: "go.mod" },
  java: { library: "com.azure:azure-identity", minimum: "1.9.0", where: "pom.xml or build.gradle" },
  node: { library: "@azure/identity", minimum: "3.2.0", where: "package-lock.json (npm ls @azure/identity)" },
  python: {
    library: "azure-identity",
    minimum: "1.13.0",
    where: "requirements.txt or poetry.lock (pip show azure-identity)",
  },
};

const ALIASES: Record<string, string> = {
  "c#": "dotnet",
  csharp: "dotnet",
  net: "dotnet",
  ".net": "dotnet",
  "c++": "cpp",
  golang: "go",
  js: "node",
  javascript: "node",
  typescript: "node",
  nodejs: "node",
  py: "python",
};

/** Images whose identity code is known. */
const KNOWN_IMAGES: { match: RegExp; status: SdkStatus; note: string }[] = [
  {
    match: /\/aad-pod-identity\/demo(:|@|$)/,
    status: "too-old",
    note: "the aad-pod-identity demo image talks to IMDS directly and has no workload identity support",
  },
  {
    match: /(^|\/)azure-cli(:|@|$)/,
    status: "manual-login",
    note: 'Azure CLI does not pick up workload identity by itself: log in with az login --service-principal -u $AZURE_CLIENT_ID -t $AZURE_TENANT_ID --federated-token "$(cat $AZURE_FEDERATED_TOKEN_FILE)"',
  },
];

export type SdkStatus = "ok" | "too-old" | "unknown" | "manual-login";

export interface SdkAssessment {
  container: string;
  image?: string;
  status: SdkStatus;
  source: "annotation" | "image" | "none";
  ecosystem?: string;
  version?: string;
  minimum?: string;
  note: string;
}

export function compareVersions(a: string, b: string): number {
  const pa = a
    .replace(/^v/, "")
    .split(/[.+-]/)
    .map((x) => Number.parseInt(x, 10));
  const pb = b
    .replace(/^v/, "")
    .split(/[.+-]/)
    .map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < 3; i++) {
    const x = Number.isFinite(pa[i]) ? pa[i] : 0;
    const y = Number.isFinite(pb[i]) ? pb[i] : 0;
    if (x !== y) return x - y;
  }
  return 0;
}

function declared(
  annotation: string | undefined,
  container: string,
): { ecosystem: string; version: string } | undefined {
  if (!annotation) return undefined;
  const entries = annotation
    .split(/[;,]/)
    .map((e) => e.trim())
    .filter(Boolean);
  for (const e of entries) {
    const m = /^(?:([A-Za-z0-9_.-]+)=)?([A-Za-z#+.]+)@v?([0-9][0-9A-Za-z.+-]*)$/.exec(e);
    if (!m) continue;
    if (m[1] && m[1] !== container) continue;
    const eco = m[2].toLowerCase();
    return { ecosystem: ALIASES[eco] ?? eco, version: m[3] };
  }
  return undefined;
}

export function assessSdk(template: V1PodTemplateSpec): SdkAssessment[] {
  const annotation = template.metadata?.annotations?.[SDK_ANNOTATION];
  return (template.spec?.containers ?? []).map((c): SdkAssessment => {
    const d = declared(annotation, c.name);
    if (d) {
      const min = MIN_SDK[d.ecosystem];
      if (!min) {
        return {
          container: c.name,
          image: c.image,
          status: "unknown",
          source: "annotation",
          ecosystem: d.ecosystem,
          version: d.version,
          note: `unknown ecosystem "${d.ecosystem}" in ${SDK_ANNOTATION} (known: ${Object.keys(MIN_SDK).join(", ")})`,
        };
      }
      const ok = compareVersions(d.version, min.minimum) >= 0;
      return {
        container: c.name,
        image: c.image,
        status: ok ? "ok" : "too-old",
        source: "annotation",
        ecosystem: d.ecosystem,
        version: d.version,
        minimum: min.minimum,
        note: ok
          ? `${min.library} ${d.version} supports workload identity`
          : `${min.library} ${d.version} predates workload identity (needs ${min.minimum}): upgrade it, or use the migration sidecar meanwhile`,
      };
    }
    const known = KNOWN_IMAGES.find((k) => c.image && k.match.test(c.image));
    if (known) return { container: c.name, image: c.image, status: known.status, source: "image", note: known.note };
    return {
      container: c.name,
      image: c.image,
      status: "unknown",
      source: "none",
      note: `the Kubernetes API cannot see which Azure identity library the image contains; check its version (${Object.values(
        MIN_SDK,
      )
        .map((m) => `${m.library} ≥ ${m.minimum} in ${m.where}`)
        .join("; ")}), or declare it with the ${SDK_ANNOTATION} annotation`,
    };
  });
}
