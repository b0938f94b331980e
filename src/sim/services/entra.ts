// Placeholder: the simulated entra service (being written).
import type { SimService } from "../world.js";

export const entraService: SimService = {
  name: "entra",
  matches: () => false,
  handle: () => undefined,
};
