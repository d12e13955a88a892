/**
 * The wire between an environment's gateway (inside its network namespace, `gateway-main.ts`) and
 * the sandbox (outside, `environment-namespace.ts`). Unix sockets are files, so they cross network
 * namespaces; each connection starts with one header line saying where it goes:
 * - `tcp <port>\n`: a TCP stream to `127.0.0.1:<port>` on the other side (the sandbox's loopback
 *   going out, the environment's going in), piped both ways;
 * - `udp\n`: datagrams for the X-Ray daemon, each framed as a 4-byte big-endian length and the
 *   datagram (a stream keeps their order; each frame is sent on as one datagram).
 * Both sides import this module, so the format is written once.
 */
import type { Socket } from 'node:net';

/** Socket files in the environment's directory (relative: the gateway runs with it as its cwd). */
export const SOCKETS = {
  /** The sandbox serves the environment's Lambda APIs here; the gateway forwards 127.0.0.1:9001 to it. */
  lambdaApi: 'lambda-api.sock',
  /** The sandbox's way out to its stand-ins (DynamoDB, X-Ray, logs...): `tcp <port>` or `udp`. */
  egress: 'egress.sock',
  /** The gateway's way in to the environment's own loopback (Telemetry API deliveries): `tcp <port>`. */
  inbound: 'inbound.sock',
} as const;

/** Lambda's X-Ray daemon address inside an environment. */
export const XRAY_DAEMON_ADDRESS = { host: '169.254.79.129', port: 2000 } as const;

/**
 * Where the sandbox's own services appear inside an environment (a link-local address on its
 * loopback device, as Lambda's daemon address is): every port of `127.0.0.1` stays the
 * environment's own, as in Lambda, so an extension may listen on any of them.
 */
export const SANDBOX_HOST_ADDRESS = '169.254.79.1';

/** What the sandbox tells the gateway to forward out of the environment. */
export interface GatewayConfig {
  /** Ports of {@link SANDBOX_HOST_ADDRESS} to forward to the same port of the sandbox's loopback. */
  readonly egressPorts: readonly number[];
  /** Forward datagrams sent to Lambda's X-Ray daemon address. */
  readonly xrayDaemon: boolean;
}

/** The line the gateway prints once every listener is up. */
export const READY_LINE = 'gateway ready';

/** A header line is short; anything longer is not this protocol. */
const MAX_HEADER_BYTES = 64;

export type Destination = { readonly kind: 'tcp'; readonly port: number } | { readonly kind: 'udp' };

export function headerLine(destination: Destination): string {
  return destination.kind === 'tcp' ? `tcp ${destination.port}\n` : 'udp\n';
}

function parseHeader(line: string): Destination | undefined {
  if (line === 'udp') return { kind: 'udp' };
  const match = /^tcp (\d{1,5})$/.exec(line);
  const port = Number(match?.[1]);
  return match && port > 0 && port < 65_536 ? { kind: 'tcp', port } : undefined;
}

/**
 * Reads the header line of a new connection; resolves with where it goes and the bytes that
 * followed it, or undefined (the socket is destroyed) when the header is malformed.
 */
export function readHeader(socket: Socket): Promise<{ destination: Destination; rest: Buffer } | undefined> {
  return new Promise((resolve) => {
    let buffered: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf(0x0a);
      if (end < 0 && buffered.length <= MAX_HEADER_BYTES) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      const destination = end < 0 ? undefined : parseHeader(buffered.subarray(0, end).toString('latin1'));
      if (!destination) {
        socket.destroy();
        resolve(undefined);
        return;
      }
      resolve({ destination, rest: buffered.subarray(end + 1) });
    };
    const onClose = () => resolve(undefined);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/** Pipes two sockets both ways; when either ends or fails, both are destroyed. */
export function splice(a: Socket, b: Socket): void {
  const destroy = () => {
    a.destroy();
    b.destroy();
  };
  for (const socket of [a, b]) {
    socket.once('error', destroy);
    socket.once('close', destroy);
  }
  a.pipe(b);
  b.pipe(a);
  a.resume();
  b.resume();
}

/** One datagram as a frame of the `udp` stream. */
export function frame(datagram: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(datagram.length);
  return Buffer.concat([length, datagram]);
}

/** Splits a `udp` stream back into datagrams; feed it chunks as they arrive. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly onDatagram: (datagram: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length > 0 ? Buffer.concat([this.buffered, chunk]) : chunk;
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0);
      if (this.buffered.length < 4 + length) return;
      this.onDatagram(this.buffered.subarray(4, 4 + length));
      this.buffered = this.buffered.subarray(4 + length);
    }
  }
}
