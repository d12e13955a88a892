/**
 * Self-metrics: the extension's own pipeline (received, exported, dropped by reason, export
 * latency, queue depth) as EMF documents, so its health sits on the same dashboards.
 */
import { EXTENSION_METRICS } from '../metric-names';
import { buildEmfDocument, type EmfMetricInput } from './emf-builder';
import { EMF_LIMITS, isAcceptedMetricNumber } from './emf-document';
import type { PlatformMetricsContext } from './platform-metrics';

/**
 * Cumulative pipeline counters at one instant. Structural, so the pipeline's own snapshot
 * type can be passed as it is.
 */
export interface PipelineCountersLike {
  readonly spansReceived: number;
  readonly spansExported: number;
  readonly spansDropped: Readonly<Record<string, number>>;
  readonly metricDocumentsReceived: number;
  readonly metricDocumentsExported: number;
  readonly metricDocumentsDropped: Readonly<Record<string, number>>;
  /** Spans buffered now. */
  readonly queueDepth: number;
  /** Metric documents buffered now, when known. */
  readonly metricQueueDepth?: number;
}

/** Input of {@link selfMetricDocuments}. */
export interface SelfMetricsInput {
  /** Counters at the previous report (`undefined` the first time: counting from zero). */
  readonly previous: PipelineCountersLike | undefined;
  readonly current: PipelineCountersLike;
  /** Durations of the export requests made since the previous report, in ms. */
  readonly exportLatenciesMs: readonly number[];
  /** Epoch ms of the report. */
  readonly timestamp: number;
}

const NAMES = EXTENSION_METRICS;
const { functionName, functionVersion, reason, queue } = NAMES.dimensions;

// Counters only grow; a smaller value means the counters were recreated, so count afresh.
function delta(current: number, previous: number | undefined): number {
  const difference = current - (previous ?? 0);
  return difference >= 0 ? difference : current;
}

function count(name: string, value: number): EmfMetricInput {
  return { name, unit: 'Count', value };
}

/**
 * EMF documents for the pipeline's activity since the previous report:
 * - one with SpansReceived/Exported/Dropped and MetricDocumentsReceived/Exported/Dropped
 *   (Count, deltas; the dropped ones are totals over every reason) and ExportLatency (ms, one
 *   value per request; further documents when over 100 requests). Dropped totals are written
 *   when zero too: a graph and an alarm then read "nothing dropped" rather than "no data";
 * - one QueueDepth document per buffer (dimension `Queue`: `spans`, `metricDocuments`);
 * - per drop reason with a non-zero delta, one document with SpansDropped and
 *   MetricDocumentsDropped with dimension `Reason`.
 */
export function selfMetricDocuments(input: SelfMetricsInput, context: PlatformMetricsContext): string[] {
  const { current, previous, timestamp } = input;
  const base = { [functionName]: context.functionName, [functionVersion]: context.functionVersion };
  const make = (
    dimensions: Record<string, string>,
    dimensionSets: readonly (readonly string[])[],
    metrics: readonly EmfMetricInput[],
  ) => buildEmfDocument({ timestamp, namespace: context.namespace, dimensions, dimensionSets, metrics });
  const totalSet = [functionName, functionVersion];

  const reasons = [
    ...new Set([...Object.keys(current.spansDropped), ...Object.keys(current.metricDocumentsDropped)]),
  ];
  const dropped = reasons.map((why) => ({
    why,
    spans: delta(current.spansDropped[why] ?? 0, previous?.spansDropped[why]),
    metricDocuments: delta(current.metricDocumentsDropped[why] ?? 0, previous?.metricDocumentsDropped[why]),
  }));
  const latencies = input.exportLatenciesMs.filter((value) => isAcceptedMetricNumber(value) && value >= 0);
  const firstLatencies = latencies.slice(0, EMF_LIMITS.maxValuesPerMetric);
  const documents = [
    make(
      base,
      [totalSet],
      [
        count(NAMES.spansReceived, delta(current.spansReceived, previous?.spansReceived)),
        count(NAMES.spansExported, delta(current.spansExported, previous?.spansExported)),
        count(
          NAMES.metricDocumentsReceived,
          delta(current.metricDocumentsReceived, previous?.metricDocumentsReceived),
        ),
        count(
          NAMES.metricDocumentsExported,
          delta(current.metricDocumentsExported, previous?.metricDocumentsExported),
        ),
        count(
          NAMES.spansDropped,
          dropped.reduce((sum, drop) => sum + drop.spans, 0),
        ),
        count(
          NAMES.metricDocumentsDropped,
          dropped.reduce((sum, drop) => sum + drop.metricDocuments, 0),
        ),
        ...(firstLatencies.length === 0
          ? []
          : [{ name: NAMES.exportLatency, unit: 'Milliseconds' as const, value: firstLatencies }]),
      ],
    ),
  ];
  for (
    let start = EMF_LIMITS.maxValuesPerMetric;
    start < latencies.length;
    start += EMF_LIMITS.maxValuesPerMetric
  ) {
    documents.push(
      make(
        base,
        [totalSet],
        [
          {
            name: NAMES.exportLatency,
            unit: 'Milliseconds',
            value: latencies.slice(start, start + EMF_LIMITS.maxValuesPerMetric),
          },
        ],
      ),
    );
  }

  const queues: [string, number | undefined][] = [
    ['spans', current.queueDepth],
    ['metricDocuments', current.metricQueueDepth],
  ];
  for (const [name, depth] of queues) {
    if (depth === undefined || !isAcceptedMetricNumber(depth) || depth < 0) continue;
    documents.push(
      make({ ...base, [queue]: name }, [[...totalSet, queue]], [count(NAMES.queueDepth, depth)]),
    );
  }

  for (const { why, spans, metricDocuments } of dropped) {
    if (spans === 0 && metricDocuments === 0) continue;
    documents.push(
      make(
        { ...base, [reason]: why },
        [[...totalSet, reason]],
        [count(NAMES.spansDropped, spans), count(NAMES.metricDocumentsDropped, metricDocuments)],
      ),
    );
  }
  return documents;
}
