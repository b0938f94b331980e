import { z } from "zod";
import { nameRules } from "../diagnosis/command.js";
import { planFederatedCredential } from "../remediation/azure.js";
import { defineWriteTool } from "../remediation/contract.js";
import { k8sName, namespaceField } from "./schemas.js";

const check = (kind: keyof typeof nameRules) => (v: string) => nameRules[kind].ok(v);

export const setFederatedCredential = defineWriteTool({
  name: "set_federated_credential",
  example: { namespace: "payments", serviceAccount: "payments-api" },
  title: "Create or update a federated credential (write)",
  description:
    "Make the identity of a service account trust its tokens: create or update a federated credential on the user-assigned " +
    "managed identity (ARM) or app registration (Graph) whose client id the service account names. Defaults: the cluster's issuer " +
    "(as its API server reports it), subject system:serviceaccount:NAMESPACE:NAME, the cloud's token-exchange audience; the " +
    "credential updated is the one named, else the one with this issuer and subject, else a new one named NAMESPACE-NAME. " +
    "remove: true deletes the named credential. After applying, the token exchange is retried while Entra propagates the change.",
  args: {
    namespace: namespaceField,
    serviceAccount: k8sName("service account"),
    identityClientId: z
      .string()
      .refine(check("guid"), { message: "expected a client id (GUID)" })
      .optional()
      .describe("Client id of the identity (default: the service account's azure.workload.identity/client-id)"),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$/, { message: "expected 3-120 letters, digits, '-' or '_'" })
      .optional()
      .describe("Federated credential name"),
    issuer: z.string().refine(check("issuer"), { message: "expected an https issuer URL" }).optional(),
    subject: z
      .string()
      .refine(check("subject"), { message: "expected system:serviceaccount:NAMESPACE:NAME" })
      .optional(),
    audience: z
      .string()
      .refine(check("audience"), { message: "expected an audience such as api://AzureADTokenExchange" })
      .optional(),
    remove: z.boolean().optional().describe("Delete the named credential instead"),
  },
  annotations: { destructiveHint: true, idempotentHint: true },
  plan: (args, ctx) => planFederatedCredential(args as Parameters<typeof planFederatedCredential>[0], ctx),
});
