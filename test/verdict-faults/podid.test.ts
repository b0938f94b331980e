// Every bundled broken podid world with a 403, a 500 or a hung read on its evidence: never healthy.
import { faultMatrix } from "../helpers/fault-matrix.js";

faultMatrix("podid-");
