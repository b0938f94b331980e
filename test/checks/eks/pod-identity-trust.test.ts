// eks.pod-identity-trust-invalid with session tags on and off, beside its main table in tables-pods.ts.
import type { EksFacts } from "../../../src/diagnosis/eks/facts.js";
import { eksRegistry } from "../../../src/diagnosis/eks/registry.js";
import type { RegisteredCheck } from "../../../src/diagnosis/types.js";
import { testCheck } from "../rule-tester.js";
import { podIdentityTrustWithTags } from "./tables-pod-identity.js";

const check = eksRegistry.find((c) => c.id === "eks.pod-identity-trust-invalid") as RegisteredCheck<EksFacts>;
testCheck(check, podIdentityTrustWithTags);
