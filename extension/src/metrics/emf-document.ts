/**
 * Embedded metric format (EMF) documents: types and a strict validator.
 *
 * The rules are those of the CloudWatch EMF specification
 * (CloudWatch_Embedded_Metric_Format_Specification) and of `PutMetricData`, which the
 * extracted metrics end in. A document the validator accepts is one CloudWatch extracts
 * metrics from; one it rejects would be dropped by CloudWatch (counted there as an
 * `EMFValidationErrors` / `EMFParsingErrors` metric in `AWS/Logs`), so the extension can
 * drop it too, count it, and say why.
 */

/** Limits from the EMF specification and the `PutMetricData` API. */
export const EMF_LIMITS = {
  /** "A DimensionSet MUST NOT contain more than 30 dimension keys." */
  maxDimensionsPerSet: 30,
  /** "This array [Metrics] MUST NOT contain more than 100 MetricDefinition objects." */
  maxMetricsPerDirective: 100,
  /** "Numeric array metric targets MUST NOT have more than 100 members." */
  maxValuesPerMetric: 100,
  /** Dimension value ("This value MUST NOT contain more than 1024 characters"). */
  maxDimensionValueLength: 1024,
  /** DimensionReference `maxLength` in the specification's JSON schema. */
  maxDimensionNameLength: 250,
  /** Namespace and metric name `maxLength` in the specification's JSON schema. */
  maxNamespaceLength: 1024,
  maxMetricNameLength: 1024,
  /**
   * A log event is at most 256 KiB including the 26 bytes CloudWatch Logs adds per event.
   * The EMF page now quotes 1 MB; Lambda still splits stdout lines at 256 KiB, so the
   * smaller figure is the one that holds on both paths.
   */
  maxDocumentBytes: 262_144 - 26,
  /**
   * CloudWatch rejects values "either too small or too large": magnitudes outside
   * 8.515920e-109 … 1.174271e+108 (2^-359 … 2^359), except 0. NaN and ±Infinity cannot
   * appear in JSON at all.
   */
  minMagnitude: 8.51592e-109,
  maxMagnitude: 1.174271e108,
  /** Metric data older than two weeks or more than two hours ahead is not accepted. */
  maxAgeMs: 14 * 24 * 3_600_000,
  maxFutureMs: 2 * 3_600_000,
} as const;

/** Units CloudWatch accepts (the `Unit` pattern of the EMF JSON schema). */
const EMF_UNITS = [
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
] as const;

/** A CloudWatch metric unit. */
export type EmfUnit = (typeof EMF_UNITS)[number];

const UNIT_SET: ReadonlySet<string> = new Set(EMF_UNITS);

/** One `Metrics[]` entry of a directive. */
interface EmfMetricDefinition {
  readonly Name: string;
  /** Absent means `None`. */
  readonly Unit?: EmfUnit;
  /** 1 = high resolution (stored per second), 60 = standard (per minute, the default). */
  readonly StorageResolution?: 1 | 60;
}

/** One `CloudWatchMetrics[]` entry. */
interface EmfMetricDirective {
  readonly Namespace: string;
  readonly Dimensions: readonly (readonly string[])[];
  readonly Metrics: readonly EmfMetricDefinition[];
}

/** The `_aws` member. Members other than these two are kept as they are. */
interface EmfMetadata {
  /** Epoch milliseconds of every metric in the document. */
  readonly Timestamp: number;
  readonly CloudWatchMetrics: readonly EmfMetricDirective[];
  readonly [member: string]: unknown;
}

/** A metric value as EMF allows it: one number or up to 100 numbers. */
export type EmfMetricValue = number | readonly number[];

/** An EMF document: `_aws` plus root members (metric values, dimension values, anything else). */
interface EmfDocument {
  readonly _aws: EmfMetadata;
  readonly [member: string]: unknown;
}

/** Why a document was rejected; a bounded set, so it can be a metric dimension. */
type EmfRejectionCode =
  | 'invalid-json'
  | 'not-an-object'
  | 'too-large'
  | 'missing-metadata'
  | 'invalid-timestamp'
  | 'timestamp-out-of-range'
  | 'invalid-directive'
  | 'invalid-namespace'
  | 'invalid-dimensions'
  | 'invalid-dimension-value'
  | 'invalid-metric-definition'
  | 'duplicate-metric'
  | 'too-many-metrics'
  | 'invalid-metric-value'
  | 'too-many-values'
  | 'no-metrics';

/** A rejection: a code to count by and a sentence to log. */
export interface EmfRejection {
  readonly code: EmfRejectionCode;
  readonly message: string;
}

/** A document that passed validation, with what aggregation needs already extracted. */
export interface ValidEmfDocument {
  readonly document: EmfDocument;
  readonly timestamp: number;
  /** Every metric target, with its values as an array (a single number becomes `[n]`). */
  readonly metricValues: ReadonlyMap<string, readonly number[]>;
  /** Every dimension target and its value. */
  readonly dimensionValues: ReadonlyMap<string, string>;
  /** True when any metric has `StorageResolution: 1`. */
  readonly highResolution: boolean;
}

/** The outcome of {@link parseEmfDocument}. */
export type EmfParseResult =
  | { readonly ok: true; readonly value: ValidEmfDocument }
  | { readonly ok: false; readonly rejection: EmfRejection };

/** Options of {@link parseEmfDocument}. */
export interface EmfParseOptions {
  /**
   * Current time in epoch ms; when given, timestamps CloudWatch would refuse (older than
   * 14 days, more than 2 hours ahead) are rejected.
   */
  readonly now?: number;
  /** @default EMF_LIMITS.maxDocumentBytes */
  readonly maxDocumentBytes?: number;
}

type Json = unknown;

function isPlainObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// CloudWatch's Dimension: "only ASCII characters … at least one non-whitespace character.
// ASCII control characters are not supported".
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

function isDimensionText(text: string, maxLength: number): boolean {
  return text.length <= maxLength && PRINTABLE_ASCII.test(text) && text.trim().length > 0;
}

function reject(code: EmfRejectionCode, message: string): EmfParseResult {
  return { ok: false, rejection: { code, message } };
}

/** True when CloudWatch stores `value` (finite, and zero or within its magnitude range). */
export function isAcceptedMetricNumber(value: unknown): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (value === 0) return true;
  const magnitude = Math.abs(value);
  return magnitude >= EMF_LIMITS.minMagnitude && magnitude <= EMF_LIMITS.maxMagnitude;
}

/**
 * Parses one EMF document (one log line) and checks it against the EMF specification.
 *
 * @example
 * const result = parseEmfDocument(line, { now: Date.now() });
 * if (!result.ok) dropped[result.rejection.code]++;
 */
export function parseEmfDocument(line: string, options: EmfParseOptions = {}): EmfParseResult {
  const maxBytes = options.maxDocumentBytes ?? EMF_LIMITS.maxDocumentBytes;
  // A UTF-8 string is at most 3 bytes per UTF-16 unit; measure exactly only when it matters.
  if (line.length * 3 > maxBytes && Buffer.byteLength(line, 'utf8') > maxBytes) {
    return reject('too-large', `document is larger than ${maxBytes} bytes`);
  }
  let root: Json;
  try {
    root = JSON.parse(line);
  } catch {
    return reject('invalid-json', 'document is not valid JSON');
  }
  return validateEmfDocument(root, options);
}

/** Validates an already parsed JSON value as an EMF document (see {@link parseEmfDocument}). */
function validateEmfDocument(root: Json, options: EmfParseOptions = {}): EmfParseResult {
  if (!isPlainObject(root)) return reject('not-an-object', 'document is not a JSON object');
  const aws = root._aws;
  if (!isPlainObject(aws)) return reject('missing-metadata', '_aws is missing or not an object');
  const timestamp = aws.Timestamp;
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    return reject('invalid-timestamp', '_aws.Timestamp must be epoch milliseconds (an integer)');
  }
  if (options.now !== undefined) {
    if (timestamp < options.now - EMF_LIMITS.maxAgeMs || timestamp > options.now + EMF_LIMITS.maxFutureMs) {
      return reject('timestamp-out-of-range', '_aws.Timestamp is older than 14 days or over 2 hours ahead');
    }
  }
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives)) {
    return reject('missing-metadata', '_aws.CloudWatchMetrics must be an array');
  }

  const metricValues = new Map<string, readonly number[]>();
  const dimensionValues = new Map<string, string>();
  let highResolution = false;

  for (const directive of directives) {
    if (!isPlainObject(directive)) return reject('invalid-directive', 'a MetricDirective is not an object');
    const namespace = directive.Namespace;
    if (
      typeof namespace !== 'string' ||
      namespace.trim().length === 0 ||
      namespace.length > EMF_LIMITS.maxNamespaceLength ||
      namespace.startsWith(':') ||
      // PutMetricData refuses custom metrics in the AWS/ namespaces.
      namespace.startsWith('AWS/')
    ) {
      return reject('invalid-namespace', 'Namespace must be a non-empty string, not starting with AWS/');
    }

    const dimensionSets = directive.Dimensions;
    // The schema gives Dimensions `minItems: 1`; an empty set `[]` inside it means "no dimensions".
    if (!Array.isArray(dimensionSets) || dimensionSets.length === 0) {
      return reject('invalid-dimensions', 'Dimensions must be a non-empty array of DimensionSets');
    }
    for (const set of dimensionSets) {
      if (!Array.isArray(set)) return reject('invalid-dimensions', 'a DimensionSet is not an array');
      if (set.length > EMF_LIMITS.maxDimensionsPerSet) {
        return reject(
          'invalid-dimensions',
          `a DimensionSet has ${set.length} keys, more than ${EMF_LIMITS.maxDimensionsPerSet}`,
        );
      }
      const seen = new Set<string>();
      for (const name of set) {
        if (
          typeof name !== 'string' ||
          !isDimensionText(name, EMF_LIMITS.maxDimensionNameLength) ||
          name.startsWith(':')
        ) {
          return reject(
            'invalid-dimensions',
            'a dimension key must be printable ASCII, 1 to 250 characters, not blank, not starting with ":"',
          );
        }
        if (seen.has(name)) return reject('invalid-dimensions', `dimension ${name} is repeated in a set`);
        seen.add(name);
        const value = root[name];
        if (typeof value !== 'string' || !isDimensionText(value, EMF_LIMITS.maxDimensionValueLength)) {
          return reject(
            'invalid-dimension-value',
            `dimension ${name} must be a root member holding printable ASCII, not blank, at most 1024 characters`,
          );
        }
        dimensionValues.set(name, value);
      }
    }

    const metrics = directive.Metrics;
    if (!Array.isArray(metrics)) return reject('invalid-directive', 'Metrics must be an array');
    if (metrics.length > EMF_LIMITS.maxMetricsPerDirective) {
      return reject(
        'too-many-metrics',
        `a directive has ${metrics.length} metrics, more than ${EMF_LIMITS.maxMetricsPerDirective}`,
      );
    }
    const namesInDirective = new Set<string>();
    for (const definition of metrics) {
      if (!isPlainObject(definition)) {
        return reject('invalid-metric-definition', 'a MetricDefinition is not an object');
      }
      const name = definition.Name;
      if (typeof name !== 'string' || name.length === 0 || name.length > EMF_LIMITS.maxMetricNameLength) {
        return reject('invalid-metric-definition', 'a metric Name must be a string of 1 to 1024 characters');
      }
      if (namesInDirective.has(name)) {
        return reject('duplicate-metric', `metric ${name} is defined twice in one directive`);
      }
      namesInDirective.add(name);
      if (
        definition.Unit !== undefined &&
        (typeof definition.Unit !== 'string' || !UNIT_SET.has(definition.Unit))
      ) {
        return reject('invalid-metric-definition', `metric ${name} has a Unit CloudWatch does not know`);
      }
      const resolution = definition.StorageResolution;
      if (resolution !== undefined && resolution !== 1 && resolution !== 60) {
        return reject(
          'invalid-metric-definition',
          `metric ${name} has a StorageResolution other than 1 or 60`,
        );
      }
      if (resolution === 1) highResolution = true;
      if (metricValues.has(name)) continue;
      const values = metricTargetValues(root[name]);
      if (typeof values === 'string') return reject(values, `metric ${name}: ${REASONS[values]}`);
      metricValues.set(name, values);
    }
  }

  if (metricValues.size === 0) {
    // Valid EMF, but it yields no metric: nothing to aggregate or export.
    return reject('no-metrics', 'document defines no metric');
  }
  for (const name of metricValues.keys()) {
    if (dimensionValues.has(name)) {
      return reject('invalid-metric-value', `${name} is used both as a metric and as a dimension`);
    }
  }
  return {
    ok: true,
    value: {
      document: root as unknown as EmfDocument,
      timestamp,
      metricValues,
      dimensionValues,
      highResolution,
    },
  };
}

const REASONS = {
  'invalid-metric-value': 'the root member must be a number or an array of numbers in CloudWatch range',
  'too-many-values': `an array holds more than ${EMF_LIMITS.maxValuesPerMetric} values`,
} as const;

function metricTargetValues(target: Json): readonly number[] | keyof typeof REASONS {
  if (isAcceptedMetricNumber(target)) return [target];
  // EMF has no {Values, Counts} form (that is PutMetricData's): a metric target is a number
  // or an array of numbers, and anything else fails CloudWatch's validation.
  if (!Array.isArray(target) || target.length === 0) return 'invalid-metric-value';
  if (target.length > EMF_LIMITS.maxValuesPerMetric) return 'too-many-values';
  for (const value of target) if (!isAcceptedMetricNumber(value)) return 'invalid-metric-value';
  return target as number[];
}
