/**
 * Starting and stopping the sandbox's HTTP servers, one way for all of them.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A listening server: its URL, the port it got, and how to stop it. */
export interface ListeningServer {
  /** `http://<host>:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes every open connection (blocked long polls included). */
  readonly close: () => Promise<void>;
}

/** Listens on `host:port` (port 0 picks a free one); rejects when the address is taken. */
export async function listen(server: Server, port: number, host: string): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return { url: `http://${host}:${bound}`, port: bound, close: () => closeServer(server) };
}

/** Closes the server and every connection still open. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
