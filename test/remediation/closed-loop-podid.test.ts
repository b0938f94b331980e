import { describe } from "vitest";
import { closedLoopCases } from "./closed-loop.js";

describe("closed loop: every broken podid-* world is healed by its remediations, or stops at a documented finding", () => {
  closedLoopCases("podid-", 5);
});
