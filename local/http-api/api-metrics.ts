/**
 * The `AWS/ApiGateway` metrics an HTTP API publishes, recorded per answered request into the
 * {@link MetricStore}: `Count`, `4xx`, `5xx`, `Latency`, `IntegrationLatency` (only when the
 * integration was called) and `DataProcessed`. HTTP APIs publish them per API (`ApiId`) and per
 * stage (`ApiId`+`Stage`); the per-route set (`ApiId`+`Method`+`Resource`+`Stage`) exists only
 * with detailed metrics, which the stack does not turn on, so it is not recorded.
 *
 * Every answer counts, API Gateway's own included (404 no route, 401 from the authorizer, 413,
 * the 500 of a throttled function, the 504 of an integration timeout).
 */
import type { MetricStore } from '../logs/metric-store';
import { ServiceMetricWriter } from '../logs/service-metrics';
import type { CompletedRequest } from './server';

const NAMESPACE = 'AWS/ApiGateway';
/** The stack deploys the API's one stage as `$default`. */
const DEFAULT_STAGE = '$default';

export interface ApiGatewayMetricsOptions {
  readonly store: MetricStore;
  /** @default '$default' */
  readonly stage?: string;
}

type Datum = readonly [metricName: string, unit: string, value: number];

/** Records the `AWS/ApiGateway` metrics of the requests an HTTP API answered. */
export class ApiGatewayMetrics {
  private readonly writer: ServiceMetricWriter;

  constructor(private readonly options: ApiGatewayMetricsOptions) {
    this.writer = new ServiceMetricWriter(options.store, NAMESPACE);
  }

  /** One answered request: the data points API Gateway would publish for it. */
  record(request: CompletedRequest): void {
    const data: Datum[] = [
      ['Count', 'Count', 1],
      // A 0 for every other answer, as API Gateway sends, so Average is the error rate.
      ['4xx', 'Count', request.status >= 400 && request.status < 500 ? 1 : 0],
      ['5xx', 'Count', request.status >= 500 ? 1 : 0],
      ['Latency', 'Milliseconds', request.latencyMs],
      ['DataProcessed', 'Bytes', request.requestBytes + request.responseBytes],
    ];
    if (request.integration) data.push(['IntegrationLatency', 'Milliseconds', request.integration.latencyMs]);
    const sets: Record<string, string>[] = [
      { ApiId: request.apiId },
      { ApiId: request.apiId, Stage: this.options.stage ?? DEFAULT_STAGE },
    ];
    const timestamp = request.time.getTime();
    for (const [metricName, unit, value] of data)
      this.writer.record(timestamp, metricName, unit, value, sets);
  }

  /** Writes the data points not written yet; the store's `flush` then covers them. */
  flush(): Promise<void> {
    return this.writer.flush();
  }
}
