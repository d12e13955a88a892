import type { ExtensionConfig } from './config';
import { signRequest } from './exporters/aws-sigv4';
import { post } from './exporters/http-post';
import { describeError, logEvent } from './log';
import { EmfAggregator } from './metrics/emf-aggregator';
import { CloudWatchLogsEmfWriter, type EmfWriter, logsEndpoint, StdoutEmfWriter } from './metrics/emf-writer';
import {
  type PlatformMetricsContext,
  type PostRuntimeMeasurement,
  platformMetricDocuments,
  postRuntimeDurationDocument,
} from './metrics/platform-metrics';
import { selfMetricDocuments } from './metrics/self-metrics';
import type { EmfSink } from './otlp-receiver';
import type { CountersSnapshot, PipelineCounters } from './pipeline-counters';
import type { TelemetryEvent } from './telemetry-api';

// Documents a failing PutLogEvents hands back are retried with the next flush, up to this many.
const MAX_RETAINED_DOCUMENTS = 1_000;

/**
 * Joins the metric sources (EMF posted by the handler, Telemetry API platform records, the
 * pipeline's own counters) to the aggregator and its writer (stdout, or PutLogEvents).
 */
export class MetricsPipeline {
  /** Where the receiver's `POST /emf` hands each document. */
  readonly intake: EmfSink;
  private readonly aggregator = new EmfAggregator();
  private readonly writer: EmfWriter;
  private previous: CountersSnapshot | undefined;
  private lastSelfReport = Date.now();
  private retained: string[] = [];
  private readonly selfMetricsIntervalMs: number;

  constructor(
    private readonly counters: PipelineCounters,
    private readonly context: PlatformMetricsContext,
    config: ExtensionConfig,
  ) {
    this.writer = createWriter(config);
    this.selfMetricsIntervalMs = config.metrics.selfMetricsIntervalMs;
    this.intake = {
      add: (line) => {
        this.counters.metricDocumentsReceived++;
        const result = this.aggregator.add(line);
        if (!result.accepted) this.counters.metricDocumentsDropped[result.reason]++;
        return result.accepted;
      },
    };
  }

  /** Turns `platform.report`, `initReport` and `runtimeDone` records into metric documents. */
  onPlatformEvents(events: readonly TelemetryEvent[]): void {
    for (const event of events) {
      try {
        for (const document of platformMetricDocuments(event, this.context)) this.aggregator.add(document);
      } catch (error) {
        logEvent('warn', 'platform record not turned into metrics', {
          type: event.type,
          error: describeError(error),
        });
      }
    }
  }

  /** Records the time spent between `runtimeDone` and `next` (PostRuntimeExtensionDuration). */
  recordPostRuntime(measurement: PostRuntimeMeasurement): void {
    for (const document of postRuntimeDurationDocument(measurement, this.context))
      this.aggregator.add(document);
  }

  /** Merges what is held and writes it; self-metrics join once per their interval or when `final`. Never rejects. */
  async flush(until: number, final = false, signal?: AbortSignal): Promise<void> {
    try {
      const now = Date.now();
      if (final || now - this.lastSelfReport >= this.selfMetricsIntervalMs) {
        this.lastSelfReport = now;
        const current = this.counters.snapshot();
        const input = {
          previous: this.previous,
          current,
          exportLatenciesMs: this.counters.takeExportLatencies(),
          timestamp: now,
        };
        for (const document of selfMetricDocuments(input, this.context)) this.aggregator.add(document);
        this.previous = current;
      }
      const documents = [...this.retained, ...this.aggregator.drain()];
      this.retained = [];
      if (documents.length === 0) return;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), Math.max(1, until - now));
      timer.unref();
      const cancel = () => controller.abort();
      signal?.addEventListener('abort', cancel, { once: true });
      const result = await this.writer.write(documents, controller.signal).finally(() => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', cancel);
      });
      this.counters.metricDocumentsExported += result.written;
      if (result.unwritten.length > 0) {
        this.retained = result.unwritten.slice(-MAX_RETAINED_DOCUMENTS);
        const lost = result.unwritten.length - this.retained.length;
        if (lost > 0) this.counters.metricDocumentsDropped.export_failed += lost;
      }
      this.counters.metricDocumentsDropped.rejected += result.rejected;
    } catch (error) {
      logEvent('warn', 'metrics flush failed', { error: describeError(error) });
    }
  }
}

function createWriter(config: ExtensionConfig): EmfWriter {
  const { logGroupName, logStreamName, logsEndpointOverride } = config.metrics;
  if (!logGroupName || !config.credentials) return new StdoutEmfWriter();
  return new CloudWatchLogsEmfWriter({
    logGroupName,
    logStreamName,
    region: config.region,
    endpoint: logsEndpoint(config.region, { all: logsEndpointOverride }),
    credentials: config.credentials,
    sign: signRequest,
    post,
  });
}
