// An in-memory MCP client wired to a server over a simulated world.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type {
  JsonSchemaType,
  jsonSchemaValidator,
  JsonSchemaValidator,
} from "@modelcontextprotocol/sdk/validation/index.js";
import { createServer, type ServerOptions } from "../../src/server.js";
import { startSimSession, type SimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";

export interface Harness {
  client: Client;
  session?: SimSession;
  close(): Promise<void>;
}

/**
 * The SDK's own validator, each distinct output schema compiled once per worker: every connection lists the same
 * schemas, and compiling them again is most of a connection's CPU. Results are validated exactly as before.
 */
const compiled = new Map<string, JsonSchemaValidator<unknown>>();
const ajv = new AjvJsonSchemaValidator();
export const sharedSchemaValidator: jsonSchemaValidator = {
  getValidator<T>(schema: JsonSchemaType) {
    const key = JSON.stringify(schema);
    if (!compiled.has(key)) compiled.set(key, ajv.getValidator(schema));
    return compiled.get(key) as JsonSchemaValidator<T>;
  },
};

export async function connect(opts: Partial<ServerOptions> & { scenario?: string } = {}): Promise<Harness> {
  const session = opts.scenario ? await startSimSession(loadScenario(opts.scenario)) : undefined;
  const server = createServer({
    allowWrites: opts.allowWrites,
    tools: opts.tools,
    toolsets: opts.toolsets,
    environment:
      opts.environment ??
      (async () => {
        if (!session) throw new Error("no world in this test");
        return session.env;
      }),
  });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client(
    { name: "wi-doctor-test", version: "0.0.0" },
    { jsonSchemaValidator: sharedSchemaValidator },
  );
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  return {
    client,
    session,
    close: async () => {
      await client.close();
      await server.close();
      await session?.close();
    },
  };
}
