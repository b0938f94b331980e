import { describe } from "vitest";
import { closedLoopCases } from "./closed-loop.js";

describe("closed loop: every broken eks-* world is healed by its remediations, or stops at a documented finding", () => {
  closedLoopCases("eks-", 17);
});
