import type { SimService } from "../world.js";
import { armService } from "./arm.js";
import { awsServices } from "./aws.js";
import { entraService } from "./entra.js";
import { graphService } from "./graph.js";
import { kubernetesService } from "./kubernetes.js";
import { oidcService } from "./oidc.js";

/** Order matters only where hosts could overlap: the API server first, then clouds, then issuers. */
export const allServices: SimService[] = [
  kubernetesService,
  armService,
  graphService,
  entraService,
  ...awsServices,
  oidcService,
];
