// Placeholder: the simulated graph service (being written).
import type { SimService } from "../world.js";

export const graphService: SimService = {
  name: "graph",
  matches: () => false,
  handle: () => undefined,
};
