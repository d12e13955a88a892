import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WidgetView } from '../../local/console/console-api';
import { DashboardRenderer } from '../../local/console/dashboard/dashboard-renderer';
import { MetricStore, type StoredMetric } from '../../local/logs/metric-store';
import type { SynthesizedTemplate } from '../../local/release/alarm-template';
import { synthesizeTemplate } from '../../local/release/template-synth';
import { DASHBOARD_NAMES, T0, templateWithWidgets } from '../support/dashboard-template';

const SYNTH_TIMEOUT_MS = 120_000;
const MINUTE = 60_000;
const RANGE = { from: T0, to: T0 + 5 * MINUTE - 1 };

/** A stored datum at `second` seconds after T0. */
const datum = (
  namespace: string,
  metricName: string,
  dimensions: Record<string, string>,
  second: number,
  values: number[],
): StoredMetric => ({
  timestamp: T0 + second * 1000,
  namespace,
  metricName,
  dimensions,
  unit: 'Count',
  storageResolution: 60,
  values,
  counts: values.map(() => 1),
  logGroup: '/aws/lambda/todos',
  logStream: 'local',
});

/** A template with the function, version and alias the resolver needs, and a dashboard of `widgets`. */
const templateWith = templateWithWidgets;

const metricWidget = (widget: WidgetView | undefined) => {
  if (widget?.kind !== 'metric') throw new Error(`not a metric widget: ${JSON.stringify(widget)}`);
  return widget;
};

describe('metric widgets over the local metric store', () => {
  let root: string;
  let store: MetricStore;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'dashboard-metrics-'));
    store = new MetricStore(path.join(root, 'metrics'));
    return () => rm(root, { recursive: true, force: true });
  });
  const render = (template: SynthesizedTemplate, timeScale?: { timeScale: number; origin: number }) =>
    new DashboardRenderer({
      template,
      names: DASHBOARD_NAMES,
      metrics: store.directory,
      logsDirectory: root,
      timeScale,
    }).render(RANGE);

  describe('the stack body', () => {
    let template: SynthesizedTemplate;
    beforeAll(() => {
      template = synthesizeTemplate();
    }, SYNTH_TIMEOUT_MS);
    const api = { ApiId: 'api1' };

    it('computes percentiles per minute with the alarms statistics', async () => {
      // Prepare
      await store.add([
        datum(
          'AWS/ApiGateway',
          'Latency',
          api,
          10,
          Array.from({ length: 100 }, (_, i) => i + 1),
        ),
      ]);

      // Act
      const view = await render(template);

      // Assess
      const latency = metricWidget(view.widgets.find((widget) => widget.title === 'Latency (ms)'));
      expect(latency.periodSec).toBe(60);
      expect(latency.timestamps).toEqual([0, 1, 2, 3, 4].map((minute) => T0 + minute * MINUTE));
      expect(latency.series.map((series) => [series.label, series.values[0], series.values[1]])).toEqual([
        ['p50', 50, null],
        ['p90', 90, null],
        ['p99', 99, null],
      ]);
      expect(latency.unavailable).toEqual([]);
    });

    it('evaluates the error-rate math with hidden metrics by id', async () => {
      // Prepare
      await store.add([
        datum('AWS/ApiGateway', 'Count', api, 5, [10]),
        datum('AWS/ApiGateway', '4xx', api, 6, [2]),
        datum('AWS/ApiGateway', '5xx', api, 7, [1]),
        datum('AWS/ApiGateway', 'Count', api, 125, [4]),
      ]);

      // Act
      const view = await render(template);

      // Assess
      const rate = metricWidget(view.widgets.find((widget) => widget.title === 'Error rate (%)'));
      expect(rate.series).toEqual([
        { label: '4xx rate (%)', values: [20, 0, 0, 0, 0] },
        { label: '5xx rate (%)', values: [10, 0, 0, 0, 0] },
      ]);
    });

    it('draws one line per metric a SEARCH finds, labelled by its dimension values', async () => {
      // Prepare
      const lambda = (version: string) => ({
        FunctionName: 'todos',
        Resource: 'todos:live',
        ExecutedVersion: version,
      });
      await store.add([
        datum('AWS/Lambda', 'Invocations', lambda('1'), 10, [3]),
        datum('AWS/Lambda', 'Invocations', lambda('2'), 20, [1]),
        datum('AWS/Lambda', 'Invocations', lambda('2'), 70, [2]),
        datum('AWS/Lambda', 'Invocations', { FunctionName: 'todos', Resource: 'todos:live' }, 10, [9]),
        datum('AWS/Lambda', 'Invocations', { ...lambda('1'), FunctionName: 'other' }, 10, [9]),
        datum('TodoApi', 'Requests', { service: 'todos', functionVersion: '2', statusClass: '5xx' }, 10, [1]),
        datum('TodoApi', 'Requests', { service: 'todos', functionVersion: '2', statusClass: '2xx' }, 11, [1]),
        datum('TodoApi', 'Requests', { service: 'todos', functionVersion: '2', statusClass: '2xx' }, 12, [1]),
      ]);

      // Act
      const view = await render(template);

      // Assess
      const invocations = metricWidget(
        view.widgets.find((widget) => widget.title === 'Invocations by version'),
      );
      expect(invocations.series).toEqual([
        { label: 'Invocations Sum by version 1 todos todos:live', values: [3, null, null, null, null] },
        { label: 'Invocations Sum by version 2 todos todos:live', values: [1, 2, null, null, null] },
      ]);
      const outcomes = metricWidget(
        view.widgets.find((widget) => widget.title === 'Requests per minute by version and status class'),
      );
      expect(outcomes.series.map((series) => [series.label, series.values[0]])).toEqual([
        ['2 todos 2xx', 2],
        ['2 todos 5xx', 1],
      ]);
    });
  });

  it('expands "..." and "." shorthand, applies default statistics and draws horizontal annotations', async () => {
    // Prepare
    const template = templateWith([
      {
        type: 'metric',
        x: 0,
        y: 0,
        width: 12,
        height: 6,
        properties: {
          title: 'Shorthand',
          period: 60,
          metrics: [
            ['NS', 'Latency', 'Op', 'get', { color: '#ff0000' }],
            ['...', 'put', { stat: 'Sum', yAxis: 'right' }],
            ['.', 'Size', '.', '.'],
          ],
          annotations: {
            horizontal: [{ label: 'SLO', value: 300 }, [{ value: 1 }, { value: 2, label: 'band' }]],
          },
        },
      },
    ]);
    await store.add([
      datum('NS', 'Latency', { Op: 'get' }, 1, [100, 300]),
      datum('NS', 'Latency', { Op: 'put' }, 1, [5, 6]),
      datum('NS', 'Size', { Op: 'put' }, 61, [7]),
    ]);

    // Act
    const view = await render(template);

    // Assess
    const widget = metricWidget(view.widgets[0]);
    expect(widget.series).toEqual([
      { label: 'Latency', values: [200, null, null, null, null], color: '#ff0000' },
      { label: 'Latency', values: [11, null, null, null, null], yAxis: 'right' },
      { label: 'Size', values: [null, 7, null, null, null] },
    ]);
    expect(widget.thresholds).toEqual([
      { label: 'SLO', value: 300 },
      { label: '', value: 1 },
      { label: 'band', value: 2 },
    ]);
  });

  it('renders a single-value widget on the widget grid and says SEARCH inside math is not supported', async () => {
    // Prepare
    const template = templateWith([
      {
        type: 'metric',
        x: 0,
        y: 6,
        width: 6,
        height: 3,
        properties: {
          title: 'Now',
          view: 'singleValue',
          period: 300,
          stat: 'Maximum',
          metrics: [
            ['NS', 'Depth', { label: 'Queue depth' }],
            [{ expression: "SUM(SEARCH('{NS} Depth', 'Sum', 300))", label: 'nested' }],
          ],
        },
      },
    ]);
    await store.add([datum('NS', 'Depth', {}, 10, [4, 9]), datum('NS', 'Depth', {}, 200, [2])]);

    // Act
    const view = await render(template);

    // Assess
    const widget = metricWidget(view.widgets[0]);
    expect(widget).toMatchObject({ view: 'singleValue', periodSec: 300, x: 0, y: 6, width: 6, height: 3 });
    expect(widget.series).toEqual([{ label: 'Queue depth', values: [9] }]);
    expect(widget.unavailable).toEqual([
      {
        what: "SUM(SEARCH('{NS} Depth', 'Sum', 300))",
        reason: expect.stringMatching(/not supported locally/),
      },
    ]);
  });

  it('applies the time scale to metric timestamps, reporting period starts on the wall clock', async () => {
    // Prepare: one CloudWatch minute per wall second from T0.
    const template = templateWith([
      {
        type: 'metric',
        x: 0,
        y: 0,
        width: 6,
        height: 6,
        properties: { period: 60, metrics: [['NS', 'Hits', { stat: 'Sum' }]] },
      },
    ]);
    await store.add([datum('NS', 'Hits', {}, 0.5, [1]), datum('NS', 'Hits', {}, 2.5, [5])]);

    // Act
    const view = await new DashboardRenderer({
      template,
      names: DASHBOARD_NAMES,
      metrics: store.directory,
      logsDirectory: root,
      timeScale: { timeScale: 60, origin: T0 },
    }).render({ from: T0, to: T0 + 3999 });

    // Assess
    const widget = metricWidget(view.widgets[0]);
    expect(widget.timestamps).toEqual([T0, T0 + 1000, T0 + 2000, T0 + 3000]);
    expect(widget.series[0]?.values).toEqual([1, null, 5, null]);
  });
});
