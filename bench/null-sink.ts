/**
 * A trace backend that keeps nothing: it accepts X-Ray `PutTraceSegments` and OTLP/HTTP trace
 * exports, answers as the real service would on success, and only counts what arrived. Exporters
 * then cost what their own work costs, with no backend latency mixed in.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What reached the sink. */
export interface SinkCounts {
  requests: number;
  bytes: number;
  /** X-Ray segment documents, plus OTLP spans of JSON requests. */
  spans: number;
  /** OTLP protobuf requests, whose spans are not decoded (counted in `requests` and `bytes`). */
  protobufRequests: number;
}

function countOtlpJsonSpans(body: string): number {
  try {
    const parsed = JSON.parse(body) as {
      resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: unknown[] }> }>;
    };
    let spans = 0;
    for (const resource of parsed.resourceSpans ?? []) {
      for (const scope of resource.scopeSpans ?? []) spans += scope.spans?.length ?? 0;
    }
    return spans;
  } catch {
    return 0;
  }
}

export class NullSink {
  readonly counts: SinkCounts = { requests: 0, bytes: 0, spans: 0, protobufRequests: 0 };

  private constructor(private readonly server: http.Server) {}

  /** Starts the sink on an ephemeral port of `host`. */
  static async start(host = '127.0.0.1'): Promise<NullSink> {
    let sink: NullSink | undefined;
    const server = http.createServer((req, res) => sink!.handle(req, res));
    sink = new NullSink(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    return sink;
  }

  /** `http://host:port`, for `AWS_ENDPOINT_URL_XRAY` or `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address}:${port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      this.counts.requests += 1;
      this.counts.bytes += body.length;
      const type = String(req.headers['content-type'] ?? '');
      if ((req.url ?? '').startsWith('/TraceSegments')) {
        try {
          const documents = (JSON.parse(body.toString('utf8')) as { TraceSegmentDocuments?: unknown[] })
            .TraceSegmentDocuments;
          this.counts.spans += documents?.length ?? 0;
        } catch {
          // A malformed batch counts as a request without spans.
        }
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"UnprocessedTraceSegments":[]}');
      } else if (type.includes('protobuf')) {
        this.counts.protobufRequests += 1;
        // An empty ExportTraceServiceResponse encodes to zero bytes.
        res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
      } else {
        this.counts.spans += countOtlpJsonSpans(body.toString('utf8'));
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      }
    });
  }
}
