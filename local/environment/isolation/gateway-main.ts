/**
 * An environment's gateway: the one process of the sandbox inside the environment's network
 * namespace (bundled to `dist/isolation/gateway.mjs`, started by `namespace-setup.sh`). It makes
 * the environment's loopback look like Lambda's:
 * - `127.0.0.1:9001` is the environment's Runtime, Extensions and Telemetry APIs;
 * - `169.254.79.1:<port>` reaches the sandbox's service on `127.0.0.1:<port>`, for each endpoint
 *   of the sandbox's the environment's variables name (DynamoDB, X-Ray, logs...);
 * - `169.254.79.129:2000` (UDP) is the X-Ray daemon, as in Lambda;
 * and it lets the sandbox into the environment's loopback for Telemetry API deliveries.
 * Every forward goes through a Unix socket in its working directory (see `gateway-protocol.ts`).
 * It exits when the sandbox closes its stdin (the sandbox ended, whatever way).
 */
import { createSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import {
  type Destination,
  frame,
  type GatewayConfig,
  headerLine,
  READY_LINE,
  readHeader,
  SANDBOX_HOST_ADDRESS,
  SOCKETS,
  splice,
  XRAY_DAEMON_ADDRESS,
} from './gateway-protocol';

const LAMBDA_API_PORT = 9001;

function listening(server: Server, ...args: [number, string] | [string]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...(args as [number, string]), () => resolve());
  });
}

/** Forwards every connection to `address:port` here to the sandbox's side of `socketPath`. */
function forward(
  address: string,
  port: number,
  socketPath: string,
  destination?: Destination,
): Promise<void> {
  const server = createServer({ pauseOnConnect: true }, (local) => {
    const remote = connect(socketPath);
    if (destination) remote.write(headerLine(destination));
    splice(local, remote);
  });
  return listening(server, port, address);
}

/** Lets the sandbox in: `tcp <port>` connects to that port on the environment's loopback. */
function admit(): Promise<void> {
  const server = createServer({ pauseOnConnect: true }, (outside) => {
    outside.resume();
    void readHeader(outside).then((header) => {
      if (header?.destination.kind !== 'tcp') {
        outside.destroy();
        return;
      }
      const inside = connect(header.destination.port, '127.0.0.1');
      if (header.rest.length > 0) inside.write(header.rest);
      splice(outside, inside);
    });
  });
  return listening(server, SOCKETS.inbound);
}

/** Relays datagrams to Lambda's X-Ray daemon address over one framed stream, reconnected when it drops. */
async function relayDaemon(): Promise<void> {
  let stream: Socket | undefined;
  const socket = createSocket('udp4', (datagram) => {
    if (!stream || stream.destroyed) {
      stream = connect(SOCKETS.egress);
      stream.on('error', () => stream?.destroy());
      stream.write(headerLine({ kind: 'udp' }));
    }
    stream.write(frame(datagram));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(XRAY_DAEMON_ADDRESS.port, XRAY_DAEMON_ADDRESS.host, () => resolve());
  });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as GatewayConfig;
  await Promise.all([
    forward('127.0.0.1', LAMBDA_API_PORT, SOCKETS.lambdaApi),
    ...config.egressPorts.map((port) =>
      forward(SANDBOX_HOST_ADDRESS, port, SOCKETS.egress, { kind: 'tcp', port }),
    ),
    ...(config.xrayDaemon ? [relayDaemon()] : []),
    admit(),
  ]);
  process.stdin.resume();
  process.stdin.once('end', () => process.exit(0));
  process.stdout.write(`${READY_LINE}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`gateway: ${(error as Error).message}\n`);
  process.exit(1);
});
