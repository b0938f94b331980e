// Preloaded with `node --import` by the start-up test: records the URL of every module the process resolves
// (one line each) in the file named by WI_DOCTOR_TRACE_MODULES, through Node's module customization hooks.
import { register } from "node:module";

const file = process.env.WI_DOCTOR_TRACE_MODULES;
if (file) register(new URL("./trace-modules-hooks.mjs", import.meta.url), { data: { file } });
