import { describe, expect, it } from 'vitest';
import type { StoredMetric } from '../../local/logs/metric-store';
import type {
  AlarmDefinition,
  ComparisonOperator,
  TreatMissingData,
} from '../../local/release/alarm-definitions';
import { evaluateAlarm, type MetricSource, toCloudWatchTime } from '../../local/release/alarm-evaluator';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const DIMENSIONS = { FunctionName: 'todos', Resource: 'todos:live', ExecutedVersion: '2' };

/** One stored datum of `Errors` at `minute` (plus `seconds`) after T0. */
const datum = (
  minute: number,
  value: number,
  options: {
    seconds?: number;
    dimensions?: Record<string, string>;
    metricName?: string;
    namespace?: string;
  } = {},
): StoredMetric => ({
  timestamp: T0 + minute * MINUTE + (options.seconds ?? 30) * 1000,
  namespace: options.namespace ?? 'AWS/Lambda',
  metricName: options.metricName ?? 'Errors',
  dimensions: options.dimensions ?? DIMENSIONS,
  unit: 'Count',
  storageResolution: 60,
  values: [value],
  counts: [1],
  logGroup: '/aws/lambda/todos',
  logStream: 'local',
});

/** An `Errors` Sum alarm, threshold 5, 2 out of 3 one-minute periods. */
const alarm = (overrides: Partial<AlarmDefinition> = {}): AlarmDefinition => ({
  logicalId: 'Errors',
  alarmName: 'Errors',
  metric: {
    kind: 'metric',
    metricStat: {
      metric: { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: DIMENSIONS },
      period: 60,
      stat: 'Sum',
    },
  },
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
  comparisonOperator: 'GreaterThanOrEqualToThreshold',
  threshold: 5,
  treatMissingData: 'missing',
  ...overrides,
});

const from =
  (metrics: readonly StoredMetric[]): MetricSource =>
  () =>
    metrics;

/** Just after minute 4 ends: minutes 0–4 are complete (the evaluation range of a 3-period alarm). */
const AFTER_MINUTE_4 = T0 + 5 * MINUTE + 1000;

describe('alarm evaluation with CloudWatch semantics', () => {
  describe('periods', () => {
    it('puts each datum in the clock-aligned minute of its timestamp', async () => {
      // Prepare
      const metrics = [
        datum(2, 1, { seconds: 59.999 }),
        datum(3, 2, { seconds: 0 }),
        datum(3, 4, { seconds: 59 }),
      ];

      // Act
      const result = await evaluateAlarm(alarm(), from(metrics), { at: AFTER_MINUTE_4 });

      // Assess
      expect(result.datapoints).toEqual([
        { timestamp: T0, value: undefined },
        { timestamp: T0 + MINUTE, value: undefined },
        { timestamp: T0 + 2 * MINUTE, value: 1 },
        { timestamp: T0 + 3 * MINUTE, value: 6 },
        { timestamp: T0 + 4 * MINUTE, value: undefined },
      ]);
    });

    it('evaluates a period only once it is complete', async () => {
      // Prepare
      const metrics = [datum(5, 9, { seconds: 10 })];
      const oneBreach = alarm({ evaluationPeriods: 1, datapointsToAlarm: 1 });

      // Act
      const during = await evaluateAlarm(oneBreach, from(metrics), { at: T0 + 5 * MINUTE + 59_000 });
      const after = await evaluateAlarm(oneBreach, from(metrics), { at: T0 + 6 * MINUTE });

      // Assess
      expect(during.state).toBe('INSUFFICIENT_DATA');
      expect(after.state).toBe('ALARM');
      expect(after.evaluated).toEqual([{ timestamp: T0 + 5 * MINUTE, value: 9 }]);
    });

    it('reads only the exact dimension set, as CloudWatch matches metrics', async () => {
      // Prepare
      const metrics = [
        datum(4, 9, { dimensions: { FunctionName: 'todos', Resource: 'todos:live' } }),
        datum(4, 9, { dimensions: { ...DIMENSIONS, Extra: 'x' } }),
        datum(4, 9, { dimensions: { ...DIMENSIONS, ExecutedVersion: '1' } }),
        datum(4, 1),
      ];

      // Act
      const result = await evaluateAlarm(alarm(), from(metrics), { at: AFTER_MINUTE_4 });

      // Assess
      expect(result.evaluated).toEqual([{ timestamp: T0 + 4 * MINUTE, value: 1 }]);
    });
  });

  describe('M out of N', () => {
    it('alarms when M of the last N datapoints breach, with a CloudWatch-like reason', async () => {
      // Prepare
      const metrics = [datum(2, 6), datum(3, 1), datum(4, 12.5)];

      // Act
      const result = await evaluateAlarm(alarm(), from(metrics), { at: AFTER_MINUTE_4 });

      // Assess
      expect(result.state).toBe('ALARM');
      expect(result.reason).toBe(
        'Threshold Crossed: 2 out of the last 3 datapoints [12.5 (01/01/26 00:04:00), 6.0 (01/01/26 00:02:00)] ' +
          'were greater than or equal to the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition).',
      );
    });

    it('stays OK when fewer than M of the last N breach', async () => {
      // Prepare
      const metrics = [datum(2, 6), datum(3, 1), datum(4, 2)];

      // Act
      const result = await evaluateAlarm(alarm(), from(metrics), { at: AFTER_MINUTE_4 });

      // Assess
      expect(result.state).toBe('OK');
      expect(result.reason).toContain(
        '1 out of the last 3 datapoints [6.0 (01/01/26 00:02:00)] was greater than',
      );
    });

    it('evaluates the N most recent datapoints, not older breaches in the range', async () => {
      // Prepare
      const metrics = [datum(0, 9), datum(1, 9), datum(2, 1), datum(3, 1), datum(4, 1)];

      // Act
      const result = await evaluateAlarm(alarm(), from(metrics), { at: AFTER_MINUTE_4 });

      // Assess
      expect(result.state).toBe('OK');
      expect(result.evaluated.map((point) => point.value)).toEqual([1, 1, 1]);
    });
  });

  describe('TreatMissingData', () => {
    // One breaching datapoint in the last minute; two of three are needed.
    const oneBreach = [datum(4, 9)];
    const cases: [TreatMissingData, string, string][] = [
      ['missing', 'OK', 'INSUFFICIENT_DATA'],
      ['notBreaching', 'OK', 'OK'],
      ['breaching', 'ALARM', 'ALARM'],
      ['ignore', 'OK', 'OK'],
    ];

    it.each(cases)(
      '%s: %s with one breaching datapoint of two needed, %s with no data',
      async (treatment, partial, none) => {
        // Act
        const withOne = await evaluateAlarm(alarm({ treatMissingData: treatment }), from(oneBreach), {
          at: AFTER_MINUTE_4,
        });
        const withNone = await evaluateAlarm(alarm({ treatMissingData: treatment }), from([]), {
          at: AFTER_MINUTE_4,
          previousState: 'OK',
        });

        // Assess
        expect(withOne.state).toBe(partial);
        expect(withNone.state).toBe(none);
      },
    );

    it('ignore keeps the previous state when nothing was received', async () => {
      // Act
      const result = await evaluateAlarm(alarm({ treatMissingData: 'ignore' }), from([]), {
        at: AFTER_MINUTE_4,
        previousState: 'ALARM',
      });

      // Assess
      expect(result.state).toBe('ALARM');
      expect(result.reason).toMatch(/missing data is ignored/);
    });

    it('says how many missing datapoints were treated as breaching', async () => {
      // Act
      const result = await evaluateAlarm(alarm({ treatMissingData: 'breaching' }), from([]), {
        at: AFTER_MINUTE_4,
      });

      // Assess
      expect(result.reason).toBe(
        'Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching].',
      );
    });

    it('does not apply when the evaluation range holds N real datapoints', async () => {
      // Prepare: three good datapoints, then two silent minutes.
      const metrics = [datum(0, 1), datum(1, 1), datum(2, 1)];

      // Act
      const result = await evaluateAlarm(alarm({ treatMissingData: 'breaching' }), from(metrics), {
        at: AFTER_MINUTE_4,
      });

      // Assess
      expect(result.state).toBe('OK');
    });

    it('ignores missing data on AWS/DynamoDB metrics whatever the alarm says', async () => {
      // Prepare
      const throttles = alarm({
        treatMissingData: 'breaching',
        metric: {
          kind: 'metric',
          metricStat: {
            metric: {
              namespace: 'AWS/DynamoDB',
              metricName: 'ThrottledRequests',
              dimensions: { TableName: 't' },
            },
            period: 60,
            stat: 'Sum',
          },
        },
      });

      // Act
      const result = await evaluateAlarm(throttles, from([]), { at: AFTER_MINUTE_4, previousState: 'OK' });

      // Assess
      expect(result.state).toBe('OK');
    });
  });

  describe('comparison operators', () => {
    const cases: [ComparisonOperator, number, string][] = [
      ['GreaterThanOrEqualToThreshold', 5, 'ALARM'],
      ['GreaterThanOrEqualToThreshold', 4, 'OK'],
      ['GreaterThanThreshold', 5, 'OK'],
      ['GreaterThanThreshold', 6, 'ALARM'],
      ['LessThanThreshold', 5, 'OK'],
      ['LessThanThreshold', 4, 'ALARM'],
      ['LessThanOrEqualToThreshold', 5, 'ALARM'],
      ['LessThanOrEqualToThreshold', 6, 'OK'],
    ];

    it.each(cases)('%s with %d against 5 gives %s', async (operator, value, state) => {
      // Act
      const result = await evaluateAlarm(
        alarm({ comparisonOperator: operator, evaluationPeriods: 1, datapointsToAlarm: 1 }),
        from([datum(4, value)]),
        { at: AFTER_MINUTE_4 },
      );

      // Assess
      expect(result.state).toBe(state);
    });
  });

  describe('statistics and metric math over the store', () => {
    it('alarms on p99 of the period, weighting Values by Counts', async () => {
      // Prepare: 99 fast invocations and one slow one in minute 4.
      const slow = { ...datum(4, 0, { metricName: 'Duration' }), values: [12, 1500], counts: [98, 2] };
      const p99 = alarm({
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        threshold: 1000,
        metric: {
          kind: 'metric',
          metricStat: {
            metric: { namespace: 'AWS/Lambda', metricName: 'Duration', dimensions: DIMENSIONS },
            period: 60,
            stat: 'p99',
          },
        },
      });

      // Act
      const result = await evaluateAlarm(p99, from([slow]), { at: AFTER_MINUTE_4 });

      // Assess
      expect(result.state).toBe('ALARM');
      expect(result.evaluated[0]?.value).toBe(1500);
    });

    it('evaluates a FILLed math alarm as OK, not INSUFFICIENT_DATA, when nothing was published', async () => {
      // Prepare
      const dropped = alarm({
        threshold: 10,
        metric: {
          kind: 'math',
          queries: [
            { id: 'expr_1', expression: 'FILL(spans, 0) + FILL(documents, 0)', returnData: true },
            ...['spans', 'documents'].map((id) => ({
              id,
              returnData: false,
              metricStat: {
                metric: {
                  namespace: 'LambdaTelemetry',
                  metricName: id,
                  dimensions: { FunctionName: 'todos' },
                },
                period: 60,
                stat: 'Sum',
              },
            })),
          ],
        },
      });
      const spans = datum(3, 11, {
        namespace: 'LambdaTelemetry',
        metricName: 'spans',
        dimensions: { FunctionName: 'todos' },
      });

      // Act
      const quiet = await evaluateAlarm(dropped, from([]), { at: AFTER_MINUTE_4 });
      const once = await evaluateAlarm(dropped, from([spans]), { at: AFTER_MINUTE_4 });

      // Assess
      expect(quiet.state).toBe('OK');
      expect(once.state).toBe('OK');
      expect(once.evaluated.map((point) => point.value)).toEqual([0, 11, 0]);
    });
  });

  describe('time scale', () => {
    it('maps wall time to CloudWatch time around the origin', () => {
      // Act / Assess
      expect(toCloudWatchTime(T0 + 1000, { timeScale: 60, origin: T0 })).toBe(T0 + MINUTE);
      expect(toCloudWatchTime(T0 + 1000)).toBe(T0 + 1000);
    });

    it('passes one CloudWatch minute per wall-clock second at scale 60', async () => {
      // Prepare: an error 3.5 wall seconds after the origin lands in CloudWatch minute 3.
      const scale = { timeScale: 60, origin: T0 };
      const error = { ...datum(0, 7), timestamp: T0 + 3500 };
      const oneBreach = alarm({ evaluationPeriods: 1, datapointsToAlarm: 1 });

      // Act
      const before = await evaluateAlarm(oneBreach, from([error]), { ...scale, at: T0 + 3900 });
      const after = await evaluateAlarm(oneBreach, from([error]), { ...scale, at: T0 + 4100 });

      // Assess
      expect(before.state).toBe('INSUFFICIENT_DATA');
      expect(after.state).toBe('ALARM');
      expect(after.evaluatedAt).toBe(T0 + 4 * MINUTE + 6000);
      expect(after.reason).toContain('[7.0 (01/01/26 00:03:00)]');
    });
  });
});
