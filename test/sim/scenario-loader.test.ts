// The scenario loader reads YAML with js-yaml, which is several times faster than the yaml package on large worlds
// (a 10,000-pod scenario). Every bundled scenario (and the bases it extends) must read the same with both parsers.
import { readFileSync } from "node:fs";
import { CORE_SCHEMA, load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { expandScenarioFile, listBundledScenarios, loadScenario, parseScenario } from "../../src/sim/scenario.js";

describe("scenario loader", () => {
  const bundled = listBundledScenarios();

  it("reads every bundled scenario exactly as the yaml package does", () => {
    expect(bundled.length).toBeGreaterThan(50);
    for (const s of bundled) {
      const text = readFileSync(s.file, "utf8");
      expect(load(text, { schema: CORE_SCHEMA }), s.name).toEqual(parse(text));
      expect(loadScenario(s.file), s.name).toEqual(parseScenario(expandScenarioFile(s.file, parse), s.file));
    }
  });

  it("names the file and the problem when the YAML is broken", () => {
    expect(() => loadScenario("test/fixtures/README.md")).toThrow(/README\.md/);
  });
});
