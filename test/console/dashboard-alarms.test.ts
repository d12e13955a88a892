import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DashboardView } from '../../local/console/console-api';
import { DashboardRenderer } from '../../local/console/dashboard/dashboard-renderer';
import { MetricStore, type StoredMetric } from '../../local/logs/metric-store';
import { evaluateAlarm } from '../../local/release/alarm-evaluator';
import {
  readRollbackAlarms,
  type SynthesizedTemplate,
  sandboxResolver,
} from '../../local/release/alarm-template';
import { synthesizeTemplate } from '../../local/release/template-synth';
import { DASHBOARD_NAMES, T0 } from '../support/dashboard-template';

const SYNTH_TIMEOUT_MS = 120_000;
/** One CloudWatch minute per wall-clock second from T0, as a rehearsal compresses time. */
const SCALE = { timeScale: 60, origin: T0 };
const WALL_MINUTE = 1000;

/** `count` requests of the new version in CloudWatch minute `minute`, of one status class. */
const requests = (minute: number, count: number, statusClass?: string): StoredMetric => ({
  timestamp: T0 + minute * WALL_MINUTE + WALL_MINUTE / 2,
  namespace: 'TodoApi',
  metricName: 'Requests',
  dimensions: { service: 'todos', functionVersion: '2', ...(statusClass ? { statusClass } : {}) },
  unit: 'Count',
  storageResolution: 60,
  values: [1],
  counts: [count],
  logGroup: '/aws/lambda/todos',
  logStream: 'local',
});

describe('alarm widgets evaluated like the release rehearsal', () => {
  let template: SynthesizedTemplate;
  let root: string;
  let store: MetricStore;
  beforeAll(() => {
    template = synthesizeTemplate();
  }, SYNTH_TIMEOUT_MS);
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'dashboard-alarms-'));
    store = new MetricStore(path.join(root, 'metrics'));
    return () => rm(root, { recursive: true, force: true });
  });

  const serverErrorRateAlarm = () => {
    const alarm = readRollbackAlarms(template, sandboxResolver(template, DASHBOARD_NAMES)).find((candidate) =>
      candidate.logicalId.startsWith('RollbackAlarmsServerErrorRate'),
    );
    if (!alarm) throw new Error('no rollback 5xx-rate alarm in the template');
    return alarm;
  };
  const render = (at: number): Promise<DashboardView> =>
    new DashboardRenderer({
      template,
      names: DASHBOARD_NAMES,
      metrics: store.directory,
      logsDirectory: path.join(root, 'logs'),
      timeScale: SCALE,
    }).render({ from: T0, to: at });
  const alarmWidget = (view: DashboardView) => {
    const widget = view.widgets.find(
      (candidate) => candidate.kind === 'metric' && candidate.alarm !== undefined,
    );
    if (widget?.kind !== 'metric') throw new Error('no alarm widget');
    return widget;
  };
  const statusOf = (view: DashboardView, name: string) => {
    const status = view.widgets.find((widget) => widget.kind === 'alarm-status');
    if (status?.kind !== 'alarm-status') throw new Error('no alarm status widget');
    return status.alarms.find((alarm) => alarm.name === name);
  };

  it('turns the 5xx-rate alarm to ALARM when the new version fails, with the rehearsal evaluator', async () => {
    // Prepare
    const alarm = serverErrorRateAlarm();
    await store.add([0, 1, 2].flatMap((minute) => [requests(minute, 30), requests(minute, 6, '5xx')]));
    const at = T0 + 3.5 * WALL_MINUTE;

    // Act
    const view = await render(at);

    // Assess
    const expected = await evaluateAlarm(alarm, (query) => store.query(query), { at, ...SCALE });
    expect(expected.state).toBe('ALARM');
    const widget = alarmWidget(view);
    expect(widget.alarm).toEqual({ name: alarm.alarmName, state: 'ALARM', reason: expected.reason });
    expect(widget.thresholds).toContainEqual({
      label: `${alarm.alarmName} threshold`,
      value: alarm.threshold,
    });
    expect(widget.series).toHaveLength(1);
    expect(widget.series[0]?.values.slice(0, 3)).toEqual([20, 20, 20]);
    expect(widget.timestamps.slice(0, 3)).toEqual([T0, T0 + WALL_MINUTE, T0 + 2 * WALL_MINUTE]);
    expect(statusOf(view, alarm.alarmName)).toEqual(widget.alarm);
  });

  it('keeps the alarm OK while the new version serves without 5xx', async () => {
    // Prepare
    const alarm = serverErrorRateAlarm();
    await store.add([0, 1, 2].flatMap((minute) => [requests(minute, 30), requests(minute, 30, '2xx')]));

    // Act
    const view = await render(T0 + 3.5 * WALL_MINUTE);

    // Assess
    expect(alarmWidget(view).alarm?.state).toBe('OK');
    expect(statusOf(view, alarm.alarmName)?.state).toBe('OK');
    expect(alarmWidget(view).series[0]?.values.slice(0, 3)).toEqual([0, 0, 0]);
  });

  it('turns the table-throttles alarm to ALARM when only Query is throttled, the other operations silent', async () => {
    // Prepare: DynamoDB publishes ThrottledRequests only for the operation that had one.
    const throttled = (minute: number): StoredMetric => ({
      timestamp: T0 + minute * WALL_MINUTE + WALL_MINUTE / 2,
      namespace: 'AWS/DynamoDB',
      metricName: 'ThrottledRequests',
      dimensions: { TableName: 'todos', Operation: 'Query' },
      unit: 'Count',
      storageResolution: 60,
      values: [1],
      counts: [2],
      logGroup: 'sandbox',
      logStream: 'dynamodb',
    });
    await store.add([throttled(0), throttled(1)]);

    // Act
    const view = await render(T0 + 2.5 * WALL_MINUTE);

    // Assess
    const status = view.widgets.find((widget) => widget.kind === 'alarm-status');
    if (status?.kind !== 'alarm-status') throw new Error('no alarm status widget');
    const alarm = status.alarms.find((candidate) => candidate.name.startsWith('PagingAlarmsTableThrottles'));
    expect(alarm?.state).toBe('ALARM');
    const graph = view.widgets.find((widget) => widget.title === 'Throttled requests');
    if (graph?.kind !== 'metric') throw new Error('no throttled-requests graph');
    expect(graph.series[0]?.values.slice(0, 3)).toEqual([2, 2, 0]);
  });
});
