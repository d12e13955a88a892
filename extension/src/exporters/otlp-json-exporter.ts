import { encodeKeyValues, encodeUnixNano } from '../../../contracts/otlp-json';
import type { AwsCredentials } from '../config';
import type { Attributes, TelemetrySpan } from '../otlp/span';
import type { ExportOutcome, SpanExporter } from '../span-exporter';
import { signRequest } from './aws-sigv4';
import { closeConnections, failureFor, post } from './http-post';

/** Settings of {@link OtlpJsonExporter}. */
export interface OtlpJsonExporterOptions {
  /** Full URL, e.g. `https://collector:4318/v1/traces` or `https://xray.eu-west-1.amazonaws.com/v1/traces`. */
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly credentials: AwsCredentials | undefined;
}

// X-Ray's OTLP endpoint takes SigV4-signed requests for service `xray`.
const XRAY_OTLP_HOST = /^xray\.([a-z0-9-]+)\.amazonaws\.com$/;
// X-Ray's OTLP endpoint: at most 10,000 spans per request; 512 keeps each request well under 5 MB.
const MAX_SPANS_PER_REQUEST = 512;

/**
 * Exports spans as OTLP/HTTP JSON to any OTLP backend. JSON rather than protobuf: every OTLP/HTTP
 * receiver accepts it (X-Ray's included) and it needs no encoder in the bundle. When the endpoint
 * is X-Ray's own (`xray.<region>.amazonaws.com`) requests are SigV4-signed with the environment's
 * credentials.
 */
export class OtlpJsonExporter implements SpanExporter {
  readonly name = 'otlp';
  readonly maxBatchSpans = MAX_SPANS_PER_REQUEST;
  private readonly url: URL;
  private readonly signingRegion: string | undefined;

  constructor(private readonly options: OtlpJsonExporterOptions) {
    this.url = new URL(options.endpoint);
    this.signingRegion = XRAY_OTLP_HOST.exec(this.url.hostname)?.[1];
  }

  async export(spans: readonly TelemetrySpan[], signal: AbortSignal): Promise<ExportOutcome> {
    const body = Buffer.from(JSON.stringify(encodeOtlpJson(spans)));
    const baseHeaders = { ...this.options.headers, 'content-type': 'application/json' };
    const headers =
      this.signingRegion && this.options.credentials
        ? await signRequest(
            { method: 'POST', url: this.url, headers: baseHeaders, body },
            'xray',
            this.signingRegion,
            this.options.credentials,
          )
        : baseHeaders;
    const response = await post(this.url, headers, body, signal);
    if (response.status < 200 || response.status >= 300) throw failureFor('OTLP endpoint', response);
    return { rejected: rejectedSpans(response.body) };
  }

  async shutdown(): Promise<void> {
    closeConnections();
  }
}

/** Encodes spans as an OTLP/JSON `ExportTraceServiceRequest`, regrouped by resource and scope. */
function encodeOtlpJson(spans: readonly TelemetrySpan[]): unknown {
  const byResource = new Map<Attributes, Map<string, unknown[]>>();
  for (const span of spans) {
    let scopes = byResource.get(span.resource);
    if (!scopes) {
      scopes = new Map();
      byResource.set(span.resource, scopes);
    }
    const scopeKey = `${span.scope.name}\u0000${span.scope.version ?? ''}`;
    let list = scopes.get(scopeKey);
    if (!list) {
      list = [];
      scopes.set(scopeKey, list);
    }
    list.push(encodeSpan(span));
  }
  return {
    resourceSpans: [...byResource].map(([resource, scopes]) => ({
      resource: { attributes: encodeKeyValues(resource) },
      scopeSpans: [...scopes].map(([key, list]) => {
        const [name, version] = key.split('\u0000');
        return { scope: version ? { name, version } : { name }, spans: list };
      }),
    })),
  };
}

function encodeSpan(span: TelemetrySpan): Record<string, unknown> {
  const encoded: Record<string, unknown> = {
    traceId: span.traceId,
    spanId: span.spanId,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: encodeUnixNano(span.startTimeUnixNano),
    endTimeUnixNano: encodeUnixNano(span.endTimeUnixNano),
    attributes: encodeKeyValues(span.attributes),
    status: span.status.message
      ? { code: span.status.code, message: span.status.message }
      : { code: span.status.code },
  };
  if (span.parentSpanId) encoded.parentSpanId = span.parentSpanId;
  if (span.traceState) encoded.traceState = span.traceState;
  if (span.events.length > 0) {
    encoded.events = span.events.map((event) => ({
      timeUnixNano: encodeUnixNano(event.timeUnixNano),
      name: event.name,
      attributes: encodeKeyValues(event.attributes),
    }));
  }
  if (span.links.length > 0) {
    encoded.links = span.links.map((link) => ({
      traceId: link.traceId,
      spanId: link.spanId,
      attributes: encodeKeyValues(link.attributes),
    }));
  }
  return encoded;
}

function rejectedSpans(body: string): number {
  if (!body) return 0;
  try {
    const parsed = JSON.parse(body) as { partialSuccess?: { rejectedSpans?: string | number } };
    return Number(parsed.partialSuccess?.rejectedSpans ?? 0) || 0;
  } catch {
    return 0;
  }
}
