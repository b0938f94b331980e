import { z } from "zod";
import { defineWriteTool } from "../remediation/contract.js";
import { planAzureIdentityBinding } from "../remediation/podid-binding.js";
import { k8sName, namespaceField, workloadField } from "./schemas.js";

export const setAzureIdentityBinding = defineWriteTool({
  name: "set_azure_identity_binding",
  example: { namespace: "payments", name: "payments-binding" },
  title: "Set an AzureIdentityBinding's selector or identity (write)",
  description:
    "aad-pod-identity: set an AzureIdentityBinding's selector (the aadpodidbinding label value its pods carry) or azureIdentity, " +
    "and rename fields spelt the pre-1.6 way (Selector, AzureIdentity), which MIC 1.6+ reads as empty. Omitted fields keep " +
    "their value. A binding may serve other pods under its selector: relabelling the pods (label_pod_template) changes less. " +
    "Pass workload to re-diagnose it.",
  args: {
    namespace: namespaceField,
    name: k8sName("AzureIdentityBinding"),
    selector: z
      .string()
      .regex(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, { message: "expected a label value" })
      .optional()
      .describe("The aadpodidbinding label value the binding selects"),
    azureIdentity: k8sName("AzureIdentity").optional(),
    workload: workloadField.optional(),
  },
  annotations: { destructiveHint: true, idempotentHint: true },
  plan: (args, ctx) => planAzureIdentityBinding(args as Parameters<typeof planAzureIdentityBinding>[0], ctx),
});
