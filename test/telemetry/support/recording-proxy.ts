/**
 * A real HTTP forwarder between the AWS SDK and the embedded DynamoDB that
 * keeps the headers of every request, so a test can see what went on the wire.
 * It can also answer the next requests itself with a DynamoDB error (dynalite
 * never throttles, so this is the only way to get a throttling answer here).
 */
import { createServer, type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An answer in DynamoDB's JSON error protocol. */
interface DynamoDBErrorAnswer {
  readonly status: number;
  /** Error type, e.g. `ProvisionedThroughputExceededException`. */
  readonly type: string;
}

export interface RecordingProxy {
  readonly endpoint: string;
  readonly headers: IncomingHttpHeaders[];
  /** Answers the next requests with these errors, in order, instead of forwarding them. */
  readonly failNext: (...answers: DynamoDBErrorAnswer[]) => void;
  readonly close: () => Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const headers: IncomingHttpHeaders[] = [];
  const failures: DynamoDBErrorAnswer[] = [];
  const server = createServer((req, res) => {
    headers.push(req.headers);
    const failure = failures.shift();
    if (failure) {
      req.resume();
      res
        .writeHead(failure.status, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': `PROXY${headers.length}`,
        })
        .end(
          JSON.stringify({
            __type: `com.amazonaws.dynamodb.v20120810#${failure.type}`,
            message: failure.type,
          }),
        );
      return;
    }
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    headers,
    failNext: (...answers) => failures.push(...answers),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
