// Placeholder: the simulated kubernetes service (being written).
import type { SimService } from "../world.js";

export const kubernetesService: SimService = {
  name: "kubernetes",
  matches: () => false,
  handle: () => undefined,
};
