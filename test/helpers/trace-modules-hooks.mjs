// The resolve hook behind trace-modules.mjs. It runs on the loader thread; appending synchronously means
// every module resolved before an answer was written is in the file by the time the answer arrives.
import { appendFileSync } from "node:fs";

let file;

export function initialize(data) {
  file = data.file;
}

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(file, `${resolved.url}\n`);
  return resolved;
}
