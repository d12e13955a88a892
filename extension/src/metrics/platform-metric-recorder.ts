/**
 * Records the extension's own platform metrics straight into the aggregator's state.
 *
 * Every invocation yields a few platform documents. Serializing each one only for the
 * aggregator to parse, validate and key it again is most of what the extension does per
 * invocation besides receiving telemetry, and it competes with the function for the same small
 * CPU share. The documents only ever take a handful of shapes (which metrics, which units), so
 * each shape is serialized and validated once, through the same parser every other document
 * goes through; later documents of that shape are built as the parser would have returned them.
 */
import { EXTENSION_METRICS } from '../metric-names';
import { type EmfAggregator, mergeIdentity } from './emf-aggregator';
import { parseEmfDocument, type ValidEmfDocument } from './emf-document';
import { type PlatformMetricsContext, type PlatformSample, platformDocument } from './platform-metrics';

/** What a validated shape lets later documents skip. */
interface Shape {
  /** `_aws.CloudWatchMetrics` as the parser returned it; shared, never modified. */
  readonly directives: unknown;
  readonly dimensionValues: ReadonlyMap<string, string>;
  readonly identity: string;
}

/** A shape whose first document the validator refused: its documents take the parser's path. */
const UNCHECKED = 'unchecked';

/**
 * Hands platform samples to an aggregator, merged and exported exactly as their serialized
 * documents would be.
 */
export class PlatformMetricRecorder {
  private readonly shapes = new Map<string, Shape | typeof UNCHECKED>();
  private readonly dimensions: readonly [string, string][];

  constructor(
    private readonly aggregator: EmfAggregator,
    private readonly context: PlatformMetricsContext,
  ) {
    this.dimensions = [
      [EXTENSION_METRICS.dimensions.functionName, context.functionName],
      [EXTENSION_METRICS.dimensions.functionVersion, context.functionVersion],
    ];
  }

  record(sample: PlatformSample): void {
    const key = shapeKey(sample);
    let shape = this.shapes.get(key);
    if (shape === undefined) {
      shape = this.learn(sample);
      this.shapes.set(key, shape);
      return;
    }
    if (shape === UNCHECKED || !Number.isSafeInteger(sample.timestamp) || sample.timestamp < 0) {
      this.aggregator.add(platformDocument(sample, this.context));
      return;
    }
    // Members in the order the serialized document (and so the parser) has them.
    const root: Record<string, unknown> = {
      _aws: { Timestamp: sample.timestamp, CloudWatchMetrics: shape.directives },
    };
    for (const [name, value] of this.dimensions) root[name] = value;
    const metricValues = new Map<string, readonly number[]>();
    for (const metric of sample.metrics) {
      root[metric.name] = metric.value;
      metricValues.set(metric.name, typeof metric.value === 'number' ? [metric.value] : metric.value);
    }
    for (const [name, value] of Object.entries(sample.properties)) if (!(name in root)) root[name] = value;
    const valid = {
      document: root,
      timestamp: sample.timestamp,
      metricValues,
      dimensionValues: shape.dimensionValues,
      highResolution: false,
    } as unknown as ValidEmfDocument;
    this.aggregator.addValid(valid, Buffer.byteLength(JSON.stringify(root), 'utf8'), shape.identity);
  }

  /** Takes the first document of a shape through the parser, and keeps what it found. */
  private learn(sample: PlatformSample): Shape | typeof UNCHECKED {
    const line = platformDocument(sample, this.context);
    this.aggregator.add(line);
    const parsed = parseEmfDocument(line);
    if (!parsed.ok) return UNCHECKED;
    return {
      directives: parsed.value.document._aws.CloudWatchMetrics,
      dimensionValues: parsed.value.dimensionValues,
      identity: mergeIdentity(parsed.value),
    };
  }
}

function shapeKey(sample: PlatformSample): string {
  let key = '';
  for (const metric of sample.metrics) key += `${metric.name}\u0000${metric.unit}\u0000`;
  return key;
}
