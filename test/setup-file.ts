// Runs before every test file, in the file's worker: ends what helpers opened for the file (test/helpers/per-file.ts).
import { afterAll } from "vitest";
import { endOfFile } from "./helpers/per-file.js";

afterAll(endOfFile);
