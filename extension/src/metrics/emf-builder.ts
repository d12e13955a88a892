/**
 * Writing EMF documents: the extension's own platform and self metrics, built in the shape the
 * validator in `emf-document.ts` accepts (one directive, one namespace).
 */
import type { EmfMetricValue, EmfUnit } from './emf-document';

/** One metric of a document built by {@link buildEmfDocument}. */
export interface EmfMetricInput {
  readonly name: string;
  readonly unit: EmfUnit;
  /** At most 100 values (an array), or one number. */
  readonly value: EmfMetricValue;
  /** @default 60 (standard resolution; not written) */
  readonly storageResolution?: 1 | 60;
}

/** What {@link buildEmfDocument} writes: one directive in one namespace. */
export interface EmfDocumentInput {
  readonly timestamp: number;
  readonly namespace: string;
  /** Dimension names and values; every name used in `dimensionSets` must be here. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Each set makes one CloudWatch metric per metric name; `[[]]` publishes without dimensions. */
  readonly dimensionSets: readonly (readonly string[])[];
  readonly metrics: readonly EmfMetricInput[];
  /** Members kept as log content only (trace id, request id, …). */
  readonly properties?: Readonly<Record<string, unknown>>;
}

/**
 * Serializes one EMF document (one log line, no newline).
 *
 * @example
 * buildEmfDocument({ timestamp: Date.now(), namespace: 'App', dimensions: { FunctionName: 'fn' },
 *   dimensionSets: [['FunctionName']], metrics: [{ name: 'Duration', unit: 'Milliseconds', value: 12 }] });
 */
export function buildEmfDocument(input: EmfDocumentInput): string {
  const metrics = input.metrics.map((metric) =>
    metric.storageResolution === 1
      ? { Name: metric.name, Unit: metric.unit, StorageResolution: 1 }
      : { Name: metric.name, Unit: metric.unit },
  );
  const root: Record<string, unknown> = {
    _aws: {
      Timestamp: input.timestamp,
      CloudWatchMetrics: [{ Namespace: input.namespace, Dimensions: input.dimensionSets, Metrics: metrics }],
    },
    ...input.dimensions,
  };
  for (const metric of input.metrics) root[metric.name] = metric.value;
  if (input.properties !== undefined) {
    for (const [name, value] of Object.entries(input.properties)) if (!(name in root)) root[name] = value;
  }
  return JSON.stringify(root);
}
