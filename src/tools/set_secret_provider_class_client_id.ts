import { z } from "zod";
import { nameRules } from "../diagnosis/command.js";
import { defineWriteTool } from "../remediation/contract.js";
import { planSpcClientId } from "../remediation/spc.js";
import { k8sName, namespaceField } from "./schemas.js";

const guid = (what: string) => z.string().refine((v) => nameRules.guid.ok(v), { message: `expected ${what} (a GUID)` });

export const setSecretProviderClassClientId = defineWriteTool({
  name: "set_secret_provider_class_client_id",
  example: {
    namespace: "payments",
    name: "payments-secrets",
    clientID: "3f2c9a8e-5b1d-4c7a-9e6f-0a1b2c3d4e5f",
  },
  title: "Set a SecretProviderClass's clientID (write)",
  description:
    "Set parameters.clientID (and optionally tenantID) of an azure SecretProviderClass to the identity the workload's service " +
    "account names, so the CSI driver exchanges the pod's token for it. Pods mount secrets when they start: restart the " +
    "workloads that mount it afterwards (restart_workload). Pass serviceAccount to re-diagnose it.",
  args: {
    namespace: namespaceField,
    name: k8sName("SecretProviderClass"),
    clientID: guid("the client id").describe("Client id of the identity"),
    tenantID: guid("the tenant id").optional(),
    serviceAccount: k8sName("service account").optional(),
  },
  annotations: { destructiveHint: true, idempotentHint: true },
  plan: (args, ctx) => planSpcClientId(args as Parameters<typeof planSpcClientId>[0], ctx),
});
