import { describe } from "vitest";
import { closedLoopCases } from "./closed-loop.js";

describe("closed loop: every broken aks-* world is healed by its remediations, or stops at a documented finding", () => {
  closedLoopCases("aks-", 23);
});
