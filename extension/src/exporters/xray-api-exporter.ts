import type { AwsCredentials } from '../config';
import type { TelemetrySpan } from '../otlp/span';
import type { ExportOutcome, SpanExporter } from '../span-exporter';
import { signRequest } from './aws-sigv4';
import { closeConnections, failureFor, post } from './http-post';
import { spanToSegment } from './xray-segments';

/** Settings of {@link XRayApiExporter}. */
export interface XRayApiExporterOptions {
  /** Base URL: `https://xray.<region>.amazonaws.com`, or `AWS_ENDPOINT_URL_XRAY`. */
  readonly endpoint: string;
  readonly region: string;
  /** Absent credentials send unsigned requests (a local X-Ray that does not check). */
  readonly credentials: AwsCredentials | undefined;
}

// PutTraceSegments takes up to 50 documents per call, as the X-Ray daemon sends them.
const MAX_DOCUMENTS_PER_CALL = 50;

/**
 * Exports spans as X-Ray segment documents with `PutTraceSegments` (`POST /TraceSegments`,
 * SigV4 service `xray`). Documents the service lists as unprocessed count as rejected.
 */
export class XRayApiExporter implements SpanExporter {
  readonly name = 'xray';
  readonly maxBatchSpans = MAX_DOCUMENTS_PER_CALL;
  private readonly url: URL;

  constructor(private readonly options: XRayApiExporterOptions) {
    this.url = new URL(`${options.endpoint.replace(/\/+$/, '')}/TraceSegments`);
  }

  async export(spans: readonly TelemetrySpan[], signal: AbortSignal): Promise<ExportOutcome> {
    const context = { region: this.options.region };
    const documents = spans.map((span) => JSON.stringify(spanToSegment(span, context)));
    const body = Buffer.from(JSON.stringify({ TraceSegmentDocuments: documents }));
    const baseHeaders = { 'content-type': 'application/json' };
    const headers = this.options.credentials
      ? await signRequest(
          { method: 'POST', url: this.url, headers: baseHeaders, body },
          'xray',
          this.options.region,
          this.options.credentials,
        )
      : baseHeaders;
    const response = await post(this.url, headers, body, signal);
    if (response.status < 200 || response.status >= 300) throw failureFor('PutTraceSegments', response);
    return { rejected: unprocessedCount(response.body) };
  }

  async shutdown(): Promise<void> {
    closeConnections();
  }
}

function unprocessedCount(body: string): number {
  try {
    const parsed = JSON.parse(body) as { UnprocessedTraceSegments?: unknown[] };
    return parsed.UnprocessedTraceSegments?.length ?? 0;
  } catch {
    return 0;
  }
}
