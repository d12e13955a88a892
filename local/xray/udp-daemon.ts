/**
 * The X-Ray daemon's UDP protocol: each datagram is the header `{"format":"json","version":1}`,
 * a newline and one segment document. Newer AWS code sends OTLP protobuf to the same port,
 * prefixed `T1S` (sampled) or `T1U` (unsampled); those payloads are stored raw.
 */
import { createSocket, type Socket } from 'node:dgram';
import { parseSegmentDocument } from './segment-document';
import type { TraceStore } from './trace-store';

const OTLP_PREFIXES = { T1S: true, T1U: false } as const;

export interface UdpDaemon {
  /** `127.0.0.1:<port>`: the value for `AWS_XRAY_DAEMON_ADDRESS`. */
  readonly address: string;
  readonly port: number;
  /** Datagrams that were neither a valid segment nor an OTLP payload. */
  readonly rejected: () => number;
  readonly close: () => Promise<void>;
}

/** Handles one datagram; exported for tests that feed datagrams without a socket. */
async function receiveDatagram(store: TraceStore, datagram: Buffer, now: () => number): Promise<boolean> {
  const prefix = datagram.subarray(0, 3).toString('latin1');
  if (prefix === 'T1S' || prefix === 'T1U') {
    await store.addOtlp({
      source: 'udp',
      contentType: 'application/x-protobuf',
      sampled: OTLP_PREFIXES[prefix],
      body: datagram.subarray(3).toString('base64'),
    });
    return true;
  }
  const text = datagram.toString('utf8');
  const newline = text.indexOf('\n');
  if (newline < 0) return false;
  try {
    const header = JSON.parse(text.slice(0, newline)) as { format?: unknown; version?: unknown };
    if (header.format !== 'json' || header.version !== 1) return false;
  } catch {
    return false;
  }
  // The daemon forwards documents to PutTraceSegments; what the service would refuse (a trace id
  // outside its window among them) is counted as rejected and not stored.
  const parsed = parseSegmentDocument(text.slice(newline + 1), now());
  if (!parsed.ok) return false;
  await store.addSegments('udp', [parsed.document]);
  return true;
}

/** Binds the daemon's UDP socket; port 0 picks a free one. `now` is the clock of X-Ray's trace id window. */
export async function startUdpDaemon(
  store: TraceStore,
  host: string,
  port: number,
  now: () => number = Date.now,
): Promise<UdpDaemon> {
  const socket: Socket = createSocket('udp4');
  let rejected = 0;
  socket.on('message', (datagram) => {
    receiveDatagram(store, datagram, now).then(
      (accepted) => {
        if (!accepted) rejected += 1;
      },
      () => {
        rejected += 1;
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // After binding, a socket error (none expected on a bound UDP socket) must not crash the sandbox.
  socket.on('error', () => undefined);
  const bound = socket.address().port;
  return {
    address: `${host}:${bound}`,
    port: bound,
    rejected: () => rejected,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
