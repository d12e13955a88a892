import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WidgetView } from '../../local/console/console-api';
import { DashboardRenderer } from '../../local/console/dashboard/dashboard-renderer';
import { MetricStore, type StoredMetric } from '../../local/logs/metric-store';
import type { SynthesizedTemplate } from '../../local/release/alarm-template';
import { synthesizeTemplate } from '../../local/release/template-synth';

// Without validation a synth takes seconds; a loaded shared machine may still stretch it.
const SYNTH_TIMEOUT_MS = 120_000;
const NAMES = {
  functionName: 'todos',
  aliasName: 'live',
  version: '2',
  apiId: 'a1b2c3',
  tableName: 'todos-local',
  region: 'eu-west-1',
};
const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** The body's widgets as the template has them, references left as placeholders. */
const bodyWidgets = (
  template: SynthesizedTemplate,
): { type: string; properties: Record<string, unknown> }[] => {
  const dashboard = Object.values(template.Resources as Resources).find(
    (resource) => resource.Type === 'AWS::CloudWatch::Dashboard',
  );
  if (!dashboard) throw new Error('no dashboard in the template');
  const parts = (dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const text = parts.map((part) => (typeof part === 'string' ? part : 'ref')).join('');
  return (JSON.parse(text) as { widgets: { type: string; properties: Record<string, unknown> }[] }).widgets;
};

const KIND_OF_TYPE: Record<string, WidgetView['kind']> = {
  text: 'text',
  metric: 'metric',
  alarm: 'alarm-status',
  log: 'log',
};

describe('the synthesized stack dashboard rendered locally', () => {
  let template: SynthesizedTemplate;
  let root: string;
  let renderer: DashboardRenderer;
  beforeAll(async () => {
    template = synthesizeTemplate();
    root = await mkdtemp(path.join(tmpdir(), 'dashboard-widgets-'));
    const store = new MetricStore(path.join(root, 'metrics'));
    const request: StoredMetric = {
      timestamp: T0 + 30_000,
      namespace: 'TodoApi',
      metricName: 'Requests',
      dimensions: { service: 'todos', functionVersion: '2' },
      unit: 'Count',
      storageResolution: 60,
      values: [1],
      counts: [1],
      logGroup: '/aws/lambda/todos',
      logStream: 'local',
    };
    await store.add([request]);
    renderer = new DashboardRenderer({
      template,
      names: NAMES,
      metrics: store.directory,
      logsDirectory: path.join(root, 'logs'),
    });
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('turns every widget of the body into a view of its kind, title and place, in body order', async () => {
    // Prepare
    const expected = bodyWidgets(template);

    // Act
    const view = await renderer.render({ from: T0, to: T0 + 15 * MINUTE });

    // Assess
    expect(view.widgets.map((widget) => widget.kind)).toEqual(
      expected.map((widget) => KIND_OF_TYPE[widget.type] ?? 'unsupported'),
    );
    expect(view.widgets.map((widget) => widget.title)).toEqual(
      expected.map((widget) => widget.properties.title as string | undefined),
    );
    expect(view.widgets.every((widget) => widget.kind !== 'unsupported')).toBe(true);
    expect(view.name).toMatch(/^Dashboard/);
  });

  it('lists every alarm of the template in the status widget under its local name', async () => {
    // Prepare
    const alarmIds = Object.entries(template.Resources as Resources)
      .filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm')
      .map(([id]) => id);

    // Act
    const view = await renderer.render({ from: T0, to: T0 + 15 * MINUTE });

    // Assess
    const status = view.widgets.find((widget) => widget.kind === 'alarm-status');
    if (status?.kind !== 'alarm-status') throw new Error('no alarm status widget');
    expect(status.alarms.map((alarm) => alarm.name).sort()).toEqual([...alarmIds].sort());
    expect(status.unavailable).toEqual([]);
  });

  it('resolves the body for the sandbox: API id, table, log group and region', async () => {
    // Act
    const view = await renderer.render({ from: T0, to: T0 + 15 * MINUTE });

    // Assess
    const log = view.widgets.find((widget) => widget.kind === 'log');
    if (log?.kind !== 'log') throw new Error('no log widget');
    expect(log.logGroups).toEqual(['/aws/lambda/todos']);
    const texts = view.widgets.flatMap((widget) => (widget.kind === 'text' ? [widget.markdown] : []));
    expect(texts.some((text) => text.includes('https://eu-west-1.console.aws.amazon.com'))).toBe(true);
  });

  it('reports namespaces nothing local writes as unavailable, and keeps namespaces with data', async () => {
    // Act
    const view = await renderer.render({ from: T0, to: T0 + 15 * MINUTE });

    // Assess
    const metric = (title: string) => {
      const found = view.widgets.find((widget) => widget.title === title);
      if (found?.kind !== 'metric') throw new Error(`no metric widget ${title}`);
      return found;
    };
    const capacity = metric('Consumed capacity');
    expect(capacity.unavailable.map((entry) => entry.what)).toEqual([
      'AWS/DynamoDB ConsumedReadCapacityUnits',
      'AWS/DynamoDB ConsumedWriteCapacityUnits',
    ]);
    expect(capacity.unavailable[0]?.reason).toMatch(/no datum of this namespace/);
    expect(capacity.series.map((series) => series.label)).toEqual(['Read units', 'Write units']);
    const byVersion = metric('Requests per minute by version and status class');
    expect(byVersion.unavailable).toEqual([]);
  });

  it('keeps at most 1,440 points per line by raising the period over a long range', async () => {
    // Act
    const view = await renderer.render({ from: T0, to: T0 + 3 * 24 * 60 * MINUTE });

    // Assess
    const requests = view.widgets.find((widget) => widget.title === 'Requests');
    if (requests?.kind !== 'metric') throw new Error('no Requests widget');
    expect(requests.periodSec).toBe(300);
    expect(requests.timestamps.length).toBeLessThanOrEqual(1440);
    expect(requests.series[0]?.values).toHaveLength(requests.timestamps.length);
  });
});
