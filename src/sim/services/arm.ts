// Placeholder: the simulated arm service (being written).
import type { SimService } from "../world.js";

export const armService: SimService = {
  name: "arm",
  matches: () => false,
  handle: () => undefined,
};
