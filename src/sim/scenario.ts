// Scenario files: a public, documented format (docs/scenarios.md). Unknown fields are errors.
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { CORE_SCHEMA, load } from "js-yaml";
import { z } from "zod";
import { packageRoot } from "../package-root.js";
import { mergePatch, PatchError } from "./scenario-extends.js";

const guid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
  message: "expected a GUID such as 00000000-0000-0000-0000-000000000000",
});

/** A Kubernetes object as `kubectl get -o yaml` shows it. Only the identifying fields are required. */
export const KubeObjectSchema = z
  .object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: z
      .object({
        name: z.string(),
        namespace: z.string().optional(),
      })
      .passthrough(),
  })
  .passthrough();
export type KubeObject = z.infer<typeof KubeObjectSchema>;

const FederatedCredentialSchema = z.strictObject({
  name: z.string(),
  issuer: z.string(),
  subject: z.string(),
  audiences: z.array(z.string()).default(["api://AzureADTokenExchange"]),
  description: z.string().optional(),
});
export type ScenarioFederatedCredential = z.infer<typeof FederatedCredentialSchema>;

const ManagedClusterSchema = z.strictObject({
  name: z.string(),
  resourceGroup: z.string(),
  location: z.string().default("westeurope"),
  fqdn: z.string().optional(),
  privateFQDN: z.string().optional(),
  kubernetesVersion: z.string().optional(),
  nodeResourceGroup: z.string().optional(),
  oidcIssuerProfile: z.strictObject({ enabled: z.boolean(), issuerURL: z.string().optional() }).optional(),
  securityProfile: z.strictObject({ workloadIdentity: z.strictObject({ enabled: z.boolean() }).optional() }).optional(),
  agentPoolProfiles: z
    .array(z.strictObject({ name: z.string(), vnetSubnetID: z.string().optional(), count: z.number().optional() }))
    .default([]),
  /** The cluster's own identity (control plane) and the kubelet identity, as principal ids. */
  identity: z
    .strictObject({
      type: z.enum(["SystemAssigned", "UserAssigned", "None"]).default("SystemAssigned"),
      principalId: guid.optional(),
      userAssignedIdentities: z.array(z.string()).optional(),
    })
    .optional(),
  kubeletIdentity: z.strictObject({ clientId: guid, objectId: guid, resourceId: z.string().optional() }).optional(),
  /** Legacy clusters with a service principal instead of a managed identity. */
  servicePrincipalProfile: z.strictObject({ clientId: z.string() }).optional(),
  /**
   * AKS identity bindings (managedClusters/identityBindings): `identity` is the name or resource id of one of the
   * userAssignedIdentities; the issuer defaults to https://ib.oic.prod-aks.azure.com/<tenant>/<client id>.
   */
  identityBindings: z
    .array(
      z.strictObject({
        name: z.string(),
        identity: z.string(),
        provisioningState: z.string().default("Succeeded"),
        issuerUrl: z.string().optional(),
      }),
    )
    .default([]),
  /** ARM always reports a network plugin; Azure CNI unless the scenario says kubenet. */
  networkProfile: z.strictObject({ networkPlugin: z.enum(["azure", "kubenet", "none"]) }).optional(),
});

const UserAssignedIdentitySchema = z.strictObject({
  name: z.string(),
  resourceGroup: z.string(),
  clientId: guid,
  principalId: guid,
  /** Defaults to the scenario's tenant. */
  tenantId: guid.optional(),
  location: z.string().default("westeurope"),
  /** Defaults to the scenario's subscription. */
  subscriptionId: guid.optional(),
  federatedIdentityCredentials: z.array(FederatedCredentialSchema).default([]),
});

const ApplicationSchema = z.strictObject({
  appId: guid,
  displayName: z.string(),
  objectId: guid,
  servicePrincipalObjectId: guid.optional(),
  /** Defaults to the scenario's tenant. */
  tenantId: guid.optional(),
  federatedIdentityCredentials: z.array(FederatedCredentialSchema).default([]),
  /** Client secrets, for the client-secret grant (values are simulated). */
  passwordCredentials: z
    .array(z.strictObject({ keyId: guid.optional(), secretText: z.string(), endDateTime: z.string().optional() }))
    .default([]),
});

const RoleAssignmentSchema = z.strictObject({
  principalId: guid,
  roleDefinitionName: z.string(),
  scope: z.string(),
  principalType: z.enum(["ServicePrincipal", "User", "Group"]).default("ServicePrincipal"),
});

const DeletedKeyVaultSchema = z.strictObject({
  name: z.string(),
  resourceGroup: z.string(),
  location: z.string().default("westeurope"),
  deletionDate: z.string().default("2025-06-10T14:02:11Z"),
  scheduledPurgeDate: z.string().default("2025-09-08T14:02:11Z"),
  purgeProtectionEnabled: z.boolean().default(false),
});

const KeyVaultSchema = z.strictObject({
  name: z.string(),
  resourceGroup: z.string(),
  location: z.string().default("westeurope"),
  tenantId: guid.optional(),
  enableRbacAuthorization: z.boolean().default(true),
  publicNetworkAccess: z.enum(["Enabled", "Disabled"]).default("Enabled"),
  networkAcls: z
    .strictObject({
      defaultAction: z.enum(["Allow", "Deny"]).default("Allow"),
      bypass: z.enum(["AzureServices", "None"]).default("AzureServices"),
      virtualNetworkRules: z.array(z.strictObject({ id: z.string() })).default([]),
      ipRules: z.array(z.strictObject({ value: z.string() })).default([]),
    })
    .optional(),
  accessPolicies: z
    .array(
      z.strictObject({
        objectId: z.string(),
        tenantId: guid.optional(),
        permissions: z
          .strictObject({
            secrets: z.array(z.string()).optional(),
            keys: z.array(z.string()).optional(),
            certificates: z.array(z.string()).optional(),
          })
          .default({}),
      }),
    )
    .default([]),
});

const VmssSchema = z.strictObject({
  name: z.string(),
  resourceGroup: z.string(),
  userAssignedIdentities: z.array(z.string()).default([]),
});

const AwsClusterSchema = z.strictObject({
  name: z.string(),
  endpoint: z.string(),
  oidcIssuer: z.string(),
  version: z.string().default("1.30"),
  status: z.string().default("ACTIVE"),
});

const AwsOidcProviderSchema = z.strictObject({
  url: z.string(),
  clientIDList: z.array(z.string()).default(["sts.amazonaws.com"]),
  thumbprintList: z.array(z.string()).default([]),
  /** Simulate an issuer whose TLS certificate no longer matches any thumbprint (only for non-AWS-hosted issuers). */
  thumbprintMatches: z.boolean().default(true),
});

const AwsRoleSchema = z.strictObject({
  roleName: z.string(),
  path: z.string().default("/"),
  assumeRolePolicyDocument: z.record(z.string(), z.unknown()),
  attachedPolicyArns: z.array(z.string()).default([]),
  /** Inline permission policies (GetRolePolicy), by policy name. */
  inlinePolicies: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  maxSessionDuration: z.number().default(3600),
  /** A role in another account (a Pod Identity target role): STS and EKS Auth see it, the operator's IAM does not. */
  accountId: z
    .string()
    .regex(/^\d{12}$/, { message: "expected a 12-digit AWS account id" })
    .optional(),
});

const PodIdentityAssociationSchema = z.strictObject({
  clusterName: z.string(),
  namespace: z.string(),
  serviceAccount: z.string(),
  roleArn: z.string(),
  associationId: z.string().optional(),
  /** The role the association's role assumes next (role chaining, often in another account). */
  targetRoleArn: z.string().optional(),
  /** What EKS generates for an association with a target role; the target's trust matches it as sts:ExternalId. */
  externalId: z.string().optional(),
  /** true: EKS Pod Identity assumes the role without session tags (no sts:TagSession needed). */
  disableSessionTags: z.boolean().default(false),
});

const AccessRuleSchema = z.strictObject({
  verbs: z.array(z.string()).min(1),
  /** Plural resource names ("pods", "serviceaccounts/token"); "*" for all. */
  resources: z.array(z.string()).min(1),
  /** API groups ("" for the core group); omitted: any. */
  apiGroups: z.array(z.string()).optional(),
  /** Namespaces the rule grants in; omitted: every namespace and cluster-wide. */
  namespaces: z.array(z.string()).optional(),
});

const CallerSchema = z.strictObject({
  /** The user name TokenReview answers and SubjectAccessReview is asked about. */
  username: z.string(),
  /** The bearer token this caller presents (simulated). */
  token: z.string().optional(),
  uid: z.string().optional(),
  groups: z.array(z.string()).default([]),
  allow: z.array(AccessRuleSchema).default([]),
});

const FaultRuleSchema = z.strictObject({
  /** kubernetes | arm | graph | entra | iam | sts | eks | eks-auth | oidc */
  service: z.enum(["kubernetes", "arm", "graph", "entra", "iam", "sts", "eks", "eks-auth", "oidc"]),
  /** Substring of the request path (or the AWS Action for iam/sts). */
  path: z.string().default(""),
  method: z.string().optional(),
  /** Only the operator's own requests (wi-doctor's), or only the cloud's calls to itself (Entra/STS fetching an issuer). */
  from: z.enum(["operator", "cloud"]).optional(),
  status: z.number().int().optional(),
  /** Seconds, sent as Retry-After with 429/503. */
  retryAfter: z.number().optional(),
  /** Never answer (the client must time out). */
  timeout: z.boolean().optional(),
  /** Answer 200 with a body that is not valid JSON/XML. */
  malformed: z.boolean().optional(),
  /** Delay matching requests by this many milliseconds, then answer normally (unless another fault applies). */
  latencyMs: z.number().int().nonnegative().max(600_000).optional(),
  /** Drop the connection without answering. */
  reset: z.boolean().optional(),
  /** Fail the TLS handshake: present a certificate for another name (path and method do not apply). */
  tls: z.boolean().optional(),
  /** How many matching requests the rule affects; default: all. */
  times: z.number().int().positive().optional(),
});

export const ScenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, { message: "expected kebab-case, e.g. aks-fic-subject-typo" }),
  description: z.string(),
  platform: z.enum(["aks", "eks"]),
  target: z.strictObject({
    namespace: z.string(),
    serviceAccount: z.string().optional(),
    pod: z.string().optional(),
    workload: z.string().optional(),
    /** An error text the user saw; passed to the diagnosis as evidence. */
    errorText: z.string().optional(),
  }),
  kubernetes: z.strictObject({
    server: z.string().url(),
    /** The API server's own service-account issuer (and, on AKS/EKS, the public OIDC issuer). */
    issuer: z.string(),
    issuerReachable: z.boolean().default(true),
    issuerKeyRotated: z.boolean().default(false),
    version: z.string().default("1.30"),
    objects: z.array(KubeObjectSchema).default([]),
    /** Pod logs: "<namespace>/<pod>" → text (optionally "<namespace>/<pod>/<container>"). */
    logs: z.record(z.string(), z.string()).default({}),
    /** Resources our simulated user may not read, answered with 403: e.g. "secretproviderclasses", "mutatingwebhookconfigurations". */
    forbidden: z.array(z.string()).default([]),
    /** People and programs that call wi-doctor's HTTP server: TokenReview and SubjectAccessReview answer from these. */
    callers: z.array(CallerSchema).default([]),
  }),
  azure: z
    .strictObject({
      tenantId: guid,
      subscriptionId: guid,
      /** false: the operator has no Azure credential (Azure checks must be skipped, not crash). */
      credentialAvailable: z.boolean().default(true),
      managedClusters: z.array(ManagedClusterSchema).default([]),
      userAssignedIdentities: z.array(UserAssignedIdentitySchema).default([]),
      applications: z.array(ApplicationSchema).default([]),
      roleAssignments: z.array(RoleAssignmentSchema).default([]),
      keyVaults: z.array(KeyVaultSchema).default([]),
      /** Soft-deleted vaults (ARM's deletedVaults): gone from the vault list until recovered or purged. */
      deletedKeyVaults: z.array(DeletedKeyVaultSchema).default([]),
      virtualMachineScaleSets: z.array(VmssSchema).default([]),
      /** Tenants other than tenantId that exist (for wrong-tenant cases). */
      otherTenants: z.array(guid).default([]),
      /**
       * How the token endpoint words a federated-credential mismatch: "specific" answers AADSTS700211 (issuer),
       * 700213 (subject) or 700212 (audience) as Entra does today; "classic" answers the single AADSTS70021.
       */
      tokenErrorFormat: z.enum(["specific", "classic"]).default("specific"),
      /**
       * ARM scopes the simulated operator may not read (a subscription, resource group or resource id; the scope
       * and everything under it): answered with 403 AuthorizationFailed.
       */
      forbiddenScopes: z.array(z.string()).default([]),
      /**
       * The operator's effective ARM permissions (what GET {scope}/providers/Microsoft.Authorization/permissions
       * answers); an action they do not grant is refused with 403 AuthorizationFailed. Default: everything.
       */
      operatorPermissions: z
        .array(z.strictObject({ actions: z.array(z.string()), notActions: z.array(z.string()).default([]) }))
        .default([{ actions: ["*"], notActions: [] }]),
    })
    .optional(),
  aws: z
    .strictObject({
      accountId: z.string().regex(/^\d{12}$/, { message: "expected a 12-digit AWS account id" }),
      region: z.string().default("us-west-2"),
      credentialAvailable: z.boolean().default(true),
      clusters: z.array(AwsClusterSchema).default([]),
      oidcProviders: z.array(AwsOidcProviderSchema).default([]),
      roles: z.array(AwsRoleSchema).default([]),
      podIdentityAssociations: z.array(PodIdentityAssociationSchema).default([]),
      /**
       * IAM actions (wildcards allowed) no policy of the operator allows: the write is refused with AccessDenied
       * and SimulatePrincipalPolicy answers implicitDeny for them. Default: none.
       */
      operatorDeniedActions: z.array(z.string()).default([]),
    })
    .optional(),
  faults: z
    .strictObject({
      latencyMs: z.number().int().nonnegative().default(0),
      rules: z.array(FaultRuleSchema).default([]),
      /**
       * For this long after a federated credential or trust policy is written, Entra and STS answer as if they had
       * not seen it (propagation); 0 (the default): at once.
       */
      propagationDelayMs: z.number().int().nonnegative().max(600_000).optional(),
    })
    .default({ latencyMs: 0, rules: [] }),
  expect: z
    .strictObject({
      findings: z.array(z.string()).default([]),
      verdict: z.enum(["healthy", "broken", "inconclusive"]).optional(),
    })
    .default({ findings: [] }),
});

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;

export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid scenario ${file}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ScenarioError";
  }
}

export function parseScenario(data: unknown, file = "<inline>"): Scenario {
  const result = ScenarioSchema.safeParse(data);
  if (!result.success) {
    throw new ScenarioError(
      file,
      result.error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`),
    );
  }
  // Defaults are shared objects in zod: clone, so that one world's state never leaks into another's.
  return structuredClone(result.data);
}

/** The folder of bundled scenarios: `scenarios/` next to `dist/` or `src/`. */
export function bundledScenarioDir(): string {
  return join(packageRoot(import.meta.url), "scenarios");
}

/** The bundled worlds, by name; abstract bases (`abstract: true`, only there to be extended) are not listed. */
export function listBundledScenarios(): { name: string; file: string }[] {
  const dir = bundledScenarioDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") || f.endsWith(".yml"))
    .sort()
    .map((f) => ({ name: basename(f).replace(/\.ya?ml$/, ""), file: join(dir, f) }))
    .filter((s) => !isAbstractFile(s.file));
}

/** Scenario files are at most this many bytes (the bundled ones are a few kilobytes). */
export const MAX_SCENARIO_BYTES = 10 * 1024 * 1024;

/** Read a file, refusing one larger than MAX_SCENARIO_BYTES (or an endless device such as /dev/zero). */
function readBounded(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw new ScenarioError(file, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? "error"}`]);
  }
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    while (size <= MAX_SCENARIO_BYTES) {
      const chunk = Buffer.allocUnsafe(256 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      size += n;
    }
    if (size > MAX_SCENARIO_BYTES) {
      throw new ScenarioError(file, [
        `the file is larger than ${MAX_SCENARIO_BYTES / 1024 / 1024} MB; scenario files are at most that`,
      ]);
    }
    return Buffer.concat(chunks).toString("utf8");
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    throw new ScenarioError(file, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? "error"}`]);
  } finally {
    closeSync(fd);
  }
}

type ParseYaml = (text: string) => unknown;

// YAML 1.2 core schema (no timestamps or merge keys): the same reading as the yaml package, several times faster.
const parseCore: ParseYaml = (text) => load(text, { schema: CORE_SCHEMA });

function readYaml(file: string, parse: ParseYaml): unknown {
  const text = readBounded(file);
  try {
    return parse(text);
  } catch (err) {
    throw new ScenarioError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
}

const isDict = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A file whose top level says `abstract: true`: a base for overlays, not a world of its own. */
function isAbstractFile(file: string): boolean {
  const text = readBounded(file);
  if (!/^abstract\s*:/m.test(text)) return false;
  const data = readYaml(file, parseCore);
  return isDict(data) && data.abstract === true;
}

/** How many bases deep an `extends:` chain may go. */
const MAX_EXTENDS_DEPTH = 16;

/** The file an `extends:` value names: a path relative to the overlay, or a scenario name next to it or bundled. */
function resolveBase(ref: unknown, overlay: string): string {
  if (typeof ref !== "string" || !ref.trim()) {
    throw new ScenarioError(overlay, [
      "extends: expected a base scenario: a path relative to this file (base.yaml) or a scenario name (aks-healthy)",
    ]);
  }
  const here = dirname(overlay);
  if (/[/\\]/.test(ref) || /\.ya?ml$/.test(ref)) {
    const file = resolve(here, ref);
    if (!existsSync(file)) throw new ScenarioError(overlay, [`extends: no such file ${file}`]);
    return file;
  }
  for (const dir of [here, bundledScenarioDir()]) {
    for (const ext of [".yaml", ".yml"]) {
      const file = join(dir, `${ref}${ext}`);
      if (existsSync(file)) return file;
    }
  }
  throw new ScenarioError(overlay, [
    `extends: no scenario named ${JSON.stringify(ref)} next to this file or among the bundled ones`,
  ]);
}

/**
 * The raw world a scenario file describes, its `extends:` chain applied (docs/scenarios.md, "Overlays"); not yet
 * validated. `parse` reads YAML text (default: js-yaml's core schema).
 */
export function expandScenarioFile(file: string, parse: ParseYaml = parseCore, chain: string[] = []): unknown {
  const abs = resolve(file);
  if (chain.includes(abs)) {
    throw new ScenarioError(chain[chain.length - 1], [
      `extends: a cycle: ${[...chain, abs].map((f) => basename(f)).join(" → ")}`,
    ]);
  }
  if (chain.length >= MAX_EXTENDS_DEPTH) {
    throw new ScenarioError(abs, [`extends: more than ${MAX_EXTENDS_DEPTH} bases deep`]);
  }
  const data = readYaml(abs, parse);
  if (!isDict(data) || !("extends" in data)) return data;
  const { extends: ref, ...patch } = data;
  if (patch.name === undefined && patch.abstract !== true) {
    throw new ScenarioError(abs, ["name: required in an overlay (the base's name is not inherited)"]);
  }
  const base = expandScenarioFile(resolveBase(ref, abs), parse, [...chain, abs]);
  if (!isDict(base)) throw new ScenarioError(abs, ["extends: the base is not a YAML mapping"]);
  const { name: _name, abstract: _abstract, ...inherited } = base;
  try {
    return mergePatch(inherited, patch);
  } catch (err) {
    if (err instanceof PatchError) throw new ScenarioError(abs, [err.message]);
    throw err;
  }
}

/**
 * Bundled scenarios parsed once per process (by file, size and modification time); each load gets its own copy.
 * A test run loads the same few dozen worlds hundreds of times, and each parse reads YAML, applies `extends:`
 * and validates the whole world.
 */
const bundledCache = new Map<string, { stamp: string; scenario: Scenario }>();

/** Load a scenario by file path or by the name of a bundled scenario. */
export function loadScenario(fileOrName: string): Scenario {
  const file = scenarioFile(fileOrName);
  if (resolve(dirname(file)) !== resolve(bundledScenarioDir())) return loadScenarioFile(file);
  const st = statSync(file);
  const stamp = `${st.size}:${st.mtimeMs}`;
  const key = resolve(file);
  const hit = bundledCache.get(key);
  if (hit?.stamp === stamp) return structuredClone(hit.scenario);
  const scenario = loadScenarioFile(file);
  bundledCache.set(key, { stamp, scenario: structuredClone(scenario) });
  return scenario;
}

function scenarioFile(fileOrName: string): string {
  let file = fileOrName;
  if (!existsSync(file)) {
    const bundled = /^[a-z0-9]+(-[a-z0-9]+)*$/.test(fileOrName)
      ? [".yaml", ".yml"].map((ext) => join(bundledScenarioDir(), fileOrName + ext)).find((f) => existsSync(f))
      : undefined;
    if (!bundled) {
      throw new ScenarioError(fileOrName, [
        "no such file, and no bundled scenario of that name (see `wi-doctor demo --list`)",
      ]);
    }
    file = bundled;
  }
  return file;
}

function loadScenarioFile(file: string): Scenario {
  const data = expandScenarioFile(file);
  if (isDict(data) && "abstract" in data) {
    if (data.abstract === true) {
      throw new ScenarioError(file, [
        "abstract: this file is a base for other scenarios (abstract: true), not a world to run; load one that extends it",
      ]);
    }
    if (data.abstract !== false) throw new ScenarioError(file, ["abstract: expected true or false"]);
    delete data.abstract;
  }
  return parseScenario(data, file);
}
