// Fix commands are safe to paste: arbitrary text as names (quotes, $(), backticks, ;, newlines, unicode) goes
// through the real fix builders, the rendered commands run in bash with stub az/kubectl/aws/curl/jq/eksctl first on
// PATH, and each stub must receive exactly the intended arguments while a canary proves nothing else ran.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { AksFacts } from "../src/diagnosis/aks/facts.js";
import { createFicCommand, deleteFicCommand, updateFicCommand } from "../src/diagnosis/aks/names.js";
import { cmd, validName } from "../src/diagnosis/command.js";
import {
  classInfo,
  commandValues,
  type ErrorPlatform,
  errorClasses,
  type Extracted,
} from "../src/diagnosis/errors/taxonomy.js";
import { ok } from "../src/diagnosis/types.js";
import { SPAWNS_TIMEOUT_MS } from "./helpers/spawn.js";

const STUBS = ["az", "kubectl", "aws", "curl", "jq", "eksctl"];
const root = mkdtempSync(join(tmpdir(), "wi-doctor-shell-"));
const bin = join(root, "bin");
const canary = join(root, "CANARY");
mkdirSync(bin);
for (const name of STUBS) {
  // Each call writes its own file: the program's name, then every argument, each ended by NUL.
  writeFileSync(join(bin, name), `#!/bin/bash\nprintf '%s\\0' "\${0##*/}" "$@" > "$RECORD_DIR/$$"\n`);
  chmodSync(join(bin, name), 0o755);
}
afterAll(() => rmSync(root, { recursive: true, force: true }));

let runs = 0;
/** Run one command in bash; return the argv each stub received (program first), sorted. */
function runInBash(command: string): string[][] {
  const dir = join(root, `r${runs++}`);
  mkdirSync(dir);
  const r = spawnSync("bash", ["-c", command], {
    cwd: root,
    env: { PATH: `${bin}:/usr/bin:/bin`, RECORD_DIR: dir, HOME: root },
    input: "",
    encoding: "utf8",
  });
  expect(r.error).toBeUndefined();
  const calls = readdirSync(dir).map((f) => readFileSync(join(dir, f), "utf8").split("\0").slice(0, -1));
  rmSync(dir, { recursive: true });
  expect(existsSync(canary), `the command ran something: ${command}`).toBe(false);
  return calls.sort((a, b) => a.join("\0").localeCompare(b.join("\0")));
}

/** Fragments that run `touch CANARY` if they ever reach the shell unquoted or badly quoted. */
const injections = [
  `$(touch ${canary})`,
  `\`touch ${canary}\``,
  `; touch ${canary}`,
  `\ntouch ${canary}\n`,
  `' ; touch ${canary} ; '`,
  `" ; touch ${canary} ; "`,
  `'"$(touch ${canary})"'`,
  `&& touch ${canary} #`,
  `| touch ${canary}`,
  `>${canary}`,
  `<(touch ${canary})`,
  `\${IFS}touch\${IFS}${canary}`,
  `$'\\x27'; touch ${canary}`,
  `!! !$ *  ~ {a,b} [x] ?`,
  `\\'; touch ${canary}; echo \\'`,
  "ünï cødé ✓ 名前 \u2028 \u00a0 \t",
  "-rf",
  "",
];
/** Run several commands in one bash, each in its own subshell; return every stub call. */
function runAllInBash(lines: string[]): string[][] {
  const dir = join(root, `r${runs++}`);
  mkdirSync(dir);
  const script = lines.map((line) => `(\n${line}\n) </dev/null`).join("\n");
  const env = { PATH: `${bin}:/usr/bin:/bin`, RECORD_DIR: dir, HOME: root };
  const r = spawnSync("bash", ["-c", script], { cwd: root, env, input: "", encoding: "utf8" });
  expect(r.error).toBeUndefined();
  const calls = readdirSync(dir).map((f) => readFileSync(join(dir, f), "utf8").split("\0").slice(0, -1));
  rmSync(dir, { recursive: true });
  expect(existsSync(canary), "the commands ran something").toBe(false);
  return calls;
}

const noNul = (s: string) => !s.includes("\0");
/** Any text: arbitrary code points around an injection fragment. NUL cannot be a program argument. */
const nasty = fc
  .tuple(fc.string({ unit: "binary", maxLength: 12 }), fc.constantFrom(...injections), fc.string({ maxLength: 6 }))
  .map(([a, b, c]) => a + b + c)
  .filter(noNul);
const anyText = fc.oneof(
  nasty,
  fc.string({ unit: "binary", maxLength: 20 }).filter(noNul),
  fc.constantFrom(...injections),
);

describe("cmd renders each value as exactly one argument", () => {
  it("round-trips arbitrary values through bash into the stub's argv", { timeout: SPAWNS_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, (a, b, c) => {
        const line = cmd`az identity federated-credential create --name ${a} --issuer "${b}" --subject ${c}`;
        expect(runInBash(line)).toEqual([
          ["az", "identity", "federated-credential", "create", "--name", a, "--issuer", b, "--subject", c],
        ]);
      }),
      { numRuns: 100 },
    );
  });
});

function aksFacts(v: {
  ns: string;
  sa: string;
  iss: string;
  id: string;
  rg: string;
  kind: "managedIdentity" | "application";
  objectId: string;
}): AksFacts {
  return {
    target: { namespace: v.ns, serviceAccount: v.sa },
    serviceAccountName: v.sa,
    cloud: { tokenExchangeAudience: "api://AzureADTokenExchange" },
    token: ok({ claims: { iss: v.iss } }),
    identity: ok({
      kind: v.kind,
      name: v.id,
      resourceGroup: v.rg,
      clientId: v.objectId,
      principalId: v.objectId,
      tenantId: v.objectId,
      objectId: v.objectId,
    }),
  } as unknown as AksFacts;
}

describe("federated-credential commands built from cluster and Azure facts", () => {
  const validOr = (kind: Parameters<typeof validName>[0], v: string, ph: string) => validName(kind, v) ?? `<${ph}>`;
  const name = fc.oneof(anyText, fc.constantFrom("payments", "orders-api", "id_prod-1"));
  const issuer = fc.oneof(
    anyText,
    fc.constantFrom("https://oidc.example.com/tenant/id/", "https://westeurope.oic.prod-aks.azure.com/a/b/"),
  );

  it("create/update/delete pass exactly the intended arguments, or a placeholder for a value that is not a valid name", {
    timeout: SPAWNS_TIMEOUT_MS,
  }, () => {
    fc.assert(
      fc.property(
        name,
        name,
        issuer,
        name,
        name,
        fc.boolean(),
        fc.oneof(anyText, fc.uuid()),
        (ns, sa, iss, id, rg, app, objectId) => {
          const facts = aksFacts({ ns, sa, iss, id, rg, objectId, kind: app ? "application" : "managedIdentity" });
          const n = validOr("namespace", ns, "namespace");
          const s = validOr("k8sName", sa, "service-account");
          const subject = `system:serviceaccount:${n}:${s}`;
          const i = validOr("issuer", iss, "cluster-oidc-issuer-url");
          const credential = validOr("azureName", `${n}-${s}`.slice(0, 120), "federated-credential-name");
          const create = runInBash(createFicCommand(facts));
          const update = runInBash(updateFicCommand(facts, rg));
          const remove = runInBash(deleteFicCommand(facts, rg));
          const objId = validOr("guid", objectId, "app-object-id");
          const params = (nm: string) => ({ name: nm, issuer: i, subject, audiences: ["api://AzureADTokenExchange"] });
          if (app) {
            expect(create).toEqual([
              [
                "az",
                "ad",
                "app",
                "federated-credential",
                "create",
                "--id",
                objId,
                "--parameters",
                JSON.stringify(params(credential)),
              ],
            ]);
            const upName = validOr("azureName", rg, "federated-credential-name");
            expect(update).toEqual([
              [
                "az",
                "ad",
                "app",
                "federated-credential",
                "update",
                "--id",
                objId,
                "--federated-credential-id",
                upName,
                "--parameters",
                JSON.stringify(params(upName)),
              ],
            ]);
            expect(remove).toEqual([
              ["az", "ad", "app", "federated-credential", "delete", "--id", objId, "--federated-credential-id", upName],
            ]);
          } else {
            const identity = validOr("azureName", id, "identity-name");
            const group = validOr("azureName", rg, "identity-resource-group");
            const argv = (nm: string) => [
              "az",
              "identity",
              "federated-credential",
              "create",
              "--name",
              nm,
              "--identity-name",
              identity,
              "--resource-group",
              group,
              "--issuer",
              i,
              "--subject",
              subject,
              "--audience",
              "api://AzureADTokenExchange",
            ];
            expect(create).toEqual([argv(credential)]);
            expect(update).toEqual([argv(validOr("azureName", rg, "federated-credential-name"))]);
            expect(remove).toEqual([
              [
                "az",
                "identity",
                "federated-credential",
                "delete",
                "--name",
                validOr("azureName", rg, "federated-credential-name"),
                "--identity-name",
                identity,
                "--resource-group",
                group,
                "--yes",
              ],
            ]);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("fixes built from a pasted error text", () => {
  const platforms: ErrorPlatform[] = ["aks-workload-identity", "aad-pod-identity", "azure-sdk", "eks-irsa"];
  const extracted = fc.record(
    {
      issuer: anyText,
      subject: anyText,
      audience: anyText,
      tenantId: anyText,
      clientId: anyText,
      roleArn: anyText,
      providerUrl: anyText,
      namespace: anyText,
      serviceAccount: anyText,
      vault: anyText,
      correlationId: anyText,
    },
    { requiredKeys: [] },
  );
  /** Commands of every class, with the <placeholders> filled in as a user would. */
  const commandsOf = (x: Extracted, platform: ErrorPlatform) =>
    errorClasses.flatMap((c) =>
      classInfo[c]
        .fixes({ x, platform })
        .flatMap((f) => f.commands.map((line) => line.replace(/<[a-z][a-z -]*>/g, "FILLED"))),
    );

  it("never place a value that is not a valid name, and run nothing but the stubs", {
    timeout: SPAWNS_TIMEOUT_MS,
  }, () => {
    fc.assert(
      fc.property(extracted, fc.constantFrom(...platforms), (x, platform) => {
        const accepted = commandValues(x).x as Record<string, string | undefined>;
        // Values the name rules rejected that could not occur in our own text by chance.
        const rejected = Object.entries(x)
          .filter(([k, v]) => v && v.length > 3 && /[^A-Za-z0-9._/:-]/.test(v) && accepted[k] === undefined)
          .map(([, v]) => v as string);
        const lines = commandsOf(x, platform);
        const calls = runAllInBash(lines);
        expect(calls.length).toBeGreaterThanOrEqual(lines.length);
        for (const call of calls) {
          expect(STUBS).toContain(call[0]);
          for (const v of rejected) expect(call.some((arg) => arg.includes(v))).toBe(false);
        }
      }),
      { numRuns: 6 },
    );
  });

  it("put valid names into the commands as the intended arguments", () => {
    const x: Extracted = {
      issuer: "https://westeurope.oic.prod-aks.azure.com/t/c/",
      namespace: "payments",
      serviceAccount: "payments-api",
      roleArn: "arn:aws:iam::111122223333:role/orders-s3",
    };
    const subjectFix = classInfo.fic_subject_mismatch.fixes({ x, platform: "aks-workload-identity" })[0].commands[0];
    expect(runInBash(subjectFix.replace(/<[a-z-]+>/g, "FILLED"))).toEqual([
      [
        "az",
        "identity",
        "federated-credential",
        "create",
        "--name",
        "payments-api-fic",
        "--identity-name",
        "FILLED",
        "--resource-group",
        "FILLED",
        "--issuer",
        x.issuer,
        "--subject",
        "system:serviceaccount:payments:payments-api",
        "--audiences",
        "api://AzureADTokenExchange",
      ],
    ]);
    const annotate = classInfo.irsa_sa_annotation_missing.fixes({ x, platform: "eks-irsa" })[0].commands[0];
    expect(runInBash(annotate)).toEqual([
      [
        "kubectl",
        "annotate",
        "serviceaccount",
        "payments-api",
        "-n",
        "payments",
        `eks.amazonaws.com/role-arn=${x.roleArn}`,
        "--overwrite",
      ],
    ]);
  });
});
