import { createServer, type AddressInfo, type Socket } from 'node:net';

/** A TCP server on 127.0.0.1 that accepts connections and never sends a byte: clients must time out on it. */
export interface SilentServer {
  readonly port: number;
  /** How many connections it accepted: above zero shows a client reached it rather than being refused. */
  readonly accepted: () => number;
  readonly close: () => Promise<void>;
}

export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    accepted: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
