import type { Socket } from 'node:dgram';
import type { HostPort } from '../config';
import { ExportError } from '../errors';
import type { TelemetrySpan } from '../otlp/span';
import type { ExportOutcome, SpanExporter } from '../span-exporter';
import { spanToSegment } from './xray-segments';

// The daemon protocol: every datagram is this header line followed by one segment document.
const DAEMON_HEADER = '{"format": "json", "version": 1}\n';
// A UDP datagram carries at most 65,507 bytes of payload over IPv4.
const MAX_DATAGRAM_BYTES = 65_507;

/** Sends segment documents to an X-Ray daemon over UDP (`AWS_XRAY_DAEMON_ADDRESS`). */
export class XRayUdpExporter implements SpanExporter {
  readonly name = 'xray-udp';
  // Datagrams are independent; the batch size only bounds how long one export call runs.
  readonly maxBatchSpans = 100;
  private socket: Socket | undefined;

  constructor(
    private readonly daemon: HostPort,
    private readonly region: string,
  ) {}

  async export(spans: readonly TelemetrySpan[], signal: AbortSignal): Promise<ExportOutcome> {
    // Loaded on first use, after registration, and only when UDP is configured.
    const { createSocket } = await import('node:dgram');
    this.socket ??= createSocket(this.daemon.host.includes(':') ? 'udp6' : 'udp4').unref();
    let rejected = 0;
    for (const span of spans) {
      if (signal.aborted) throw new ExportError('export deadline reached', true);
      const datagram = Buffer.from(
        DAEMON_HEADER + JSON.stringify(spanToSegment(span, { region: this.region })),
      );
      if (datagram.length > MAX_DATAGRAM_BYTES) {
        rejected++;
        continue;
      }
      await new Promise<void>((resolve, reject) =>
        this.socket!.send(datagram, this.daemon.port, this.daemon.host, (error) =>
          error
            ? reject(new ExportError(`X-Ray daemon: ${error.message}`, true, 0, { cause: error }))
            : resolve(),
        ),
      );
    }
    return { rejected };
  }

  async shutdown(): Promise<void> {
    this.socket?.close();
    this.socket = undefined;
  }
}
