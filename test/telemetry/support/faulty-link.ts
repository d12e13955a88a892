/**
 * A TCP forwarder between the handler's receiver client and the extension's receiver that
 * breaks chosen connections the way a real environment can: an answer that never comes back
 * (the receiver took the batch, then a reset or a freeze cut the wait), a connection lost
 * between the answers to two pipelined requests, or a request cut before the receiver had all
 * of it. Both ends stay the real code; only the link misbehaves.
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

/** What the link does to one connection, from its first byte on. */
export type LinkFault =
  /** Forward both ways. */
  | 'pass'
  /** Forward the request; when the answer comes, reset the client's connection instead of forwarding it. */
  | 'reset-after-request'
  /** As `reset-after-request`, and the link stops listening first: the receiver is gone for good. */
  | 'vanish-after-request'
  /**
   * Forward the requests; forward the first answer (framed by its content-length, as the
   * receiver frames every answer), then reset the client's connection instead of the rest.
   */
  | 'reset-after-first-answer'
  /** Forward the request; swallow the answer and keep the client waiting until it gives up. */
  | 'hold-answer'
  /** Forward only the first half of the first request chunk, then reset both sides. */
  | 'reset-mid-request';

export interface FaultyLink {
  /** `127.0.0.1:<port>`, the form of `TELEMETRY_RECEIVER_ADDRESS`. */
  readonly address: string;
  readonly close: () => Promise<void>;
}

/**
 * Forwards to `upstreamPort`; connection `i` (0-based, in accept order) gets `faultOf(i)`.
 * @example startFaultyLink(port, (i) => (i === 0 ? 'reset-after-request' : 'pass'))
 */
export async function startFaultyLink(
  upstreamPort: number,
  faultOf: (connection: number) => LinkFault,
): Promise<FaultyLink> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server = createServer((client) => {
    const fault = faultOf(accepted++);
    const upstream = connect(upstreamPort, '127.0.0.1');
    track(client);
    track(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => {
      if (fault === 'pass') client.destroy();
    });
    let cut = false;
    client.on('data', (chunk: Buffer) => {
      if (cut) return;
      if (fault === 'reset-mid-request') {
        cut = true;
        upstream.write(chunk.subarray(0, Math.floor(chunk.length / 2)), () => {
          upstream.resetAndDestroy();
          client.resetAndDestroy();
        });
        return;
      }
      upstream.write(chunk);
    });
    // The first answer as it arrives; undefined once it was forwarded.
    let answer: Buffer | undefined = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      if (fault === 'pass') client.write(chunk);
      else if (fault === 'reset-after-first-answer') {
        if (answer === undefined) return;
        answer = Buffer.concat([answer, chunk]);
        const end = firstAnswerEnd(answer);
        if (end === undefined) return;
        client.write(answer.subarray(0, end), () => client.resetAndDestroy());
        answer = undefined;
      } else if (fault === 'reset-after-request') client.resetAndDestroy();
      else if (fault === 'vanish-after-request') {
        server.close();
        client.resetAndDestroy();
      }
      // 'hold-answer': the answer is dropped on the floor; the client's own timeout ends the wait.
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Where the first HTTP answer in `bytes` ends, once all of it is there. */
function firstAnswerEnd(bytes: Buffer): number | undefined {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const length = /content-length:\s*(\d+)/i.exec(bytes.subarray(0, headEnd).toString('latin1'));
  const end = headEnd + 4 + Number(length?.[1] ?? 0);
  return bytes.length >= end ? end : undefined;
}
