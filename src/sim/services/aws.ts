// Placeholder: the simulated AWS services (being written).
import type { SimService } from "../world.js";

export const awsServices: SimService[] = [];
