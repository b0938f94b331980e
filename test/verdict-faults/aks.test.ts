// Every bundled broken aks world with a 403, a 500 or a hung read on its evidence: never healthy.
import { faultMatrix } from "../helpers/fault-matrix.js";

faultMatrix("aks-");
