// An in-memory MCP client wired to a server over a simulated world.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { createServer, type ServerOptions } from "../../src/server.js";
import { startSimSession, type SimSession } from "../../src/sim/environment.js";
import { loadScenario } from "../../src/sim/scenario.js";

export interface Harness {
  client: Client;
  session?: SimSession;
  close(): Promise<void>;
}

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
  const client = new Client({ name: "wi-doctor-test", version: "0.0.0" });
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
