// An HTTP CONNECT proxy in front of the simulated world: clients that honour HTTPS_PROXY (the Azure CLI, the AWS
// CLI, Python requests, Go programs) keep their real host names and TLS server names, and every tunnel ends at the
// simulator, so nothing leaves the machine.
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { connect } from "node:net";

export interface SimProxy {
  port: number;
  close(): Promise<void>;
}

export async function startSimProxy(
  simPort: number,
  port = 0,
  onConnect?: (target: string) => void,
): Promise<SimProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => {
    // Plain-HTTP requests would leave the world unencrypted; the simulated services speak HTTPS only.
    res.writeHead(405, { "content-type": "text/plain" });
    res.end("the simulated world's proxy only tunnels HTTPS (CONNECT)\n");
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("connect", (req, client: Socket, head: Buffer) => {
    onConnect?.(req.url ?? "");
    const upstream = connect(simPort, "127.0.0.1", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
