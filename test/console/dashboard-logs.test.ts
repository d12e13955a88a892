import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { DashboardRenderer } from '../../local/console/dashboard/dashboard-renderer';
import { readLogEvents } from '../../local/console/dashboard/log-events';
import { parseInsightsQuery, QueryError } from '../../local/console/dashboard/logs-insights';
import { LogSink } from '../../local/logs/log-sink';
import { MetricStore } from '../../local/logs/metric-store';
import type { SynthesizedTemplate } from '../../local/release/alarm-template';
import { DASHBOARD_NAMES, T0, templateWithWidgets } from '../support/dashboard-template';

const RANGE = { from: T0, to: T0 + 60_000 };
const ENVIRONMENT = '0123456789abcdef0123456789abcdef';

/** The stack's recent-errors query shape, with the log group the sandbox writes. */
const RECENT_ERRORS = [
  "SOURCE '/aws/lambda/todos' | fields @timestamp, level, requestId, message, errorType, errorMessage",
  '| filter level = "ERROR" or (ispresent(record.status) and record.status != "success")',
  '| sort @timestamp desc',
  '| limit 50',
].join('\n');

const templateWithQuery = (query: string): SynthesizedTemplate =>
  templateWithWidgets([
    { type: 'log', x: 0, y: 0, width: 24, height: 6, properties: { title: 'Errors', query } },
  ]);

describe('log widgets over the local log streams', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'dashboard-logs-'));
    const sink = new LogSink({
      functionName: 'todos',
      timeoutSec: 3,
      directory: path.join(root, 'logs'),
      metrics: new MetricStore(path.join(root, 'metrics')),
    });
    const at = (second: number) => new Date(T0 + second * 1000);
    const log = (second: number, line: string, stream: 'function' | 'platform' = 'function') =>
      sink.onLog({ environmentId: ENVIRONMENT, stream, line, time: at(second) }, '2');
    log(1, `{"timestamp":"${at(1).toISOString()}","level":"INFO","requestId":"r1","message":"listed"}`);
    log(
      2,
      `{"timestamp":"${at(2).toISOString()}","level":"ERROR","requestId":"r2","message":"failed","errorType":"TypeError","errorMessage":"x is undefined"}`,
    );
    log(
      3,
      `{"time":"${at(3).toISOString()}","type":"platform.report","record":{"requestId":"r3","status":"timeout"}}`,
      'platform',
    );
    log(
      4,
      `{"time":"${at(4).toISOString()}","type":"platform.report","record":{"requestId":"r4","status":"success"}}`,
      'platform',
    );
    sink.onPlatformEvent(
      ENVIRONMENT,
      {
        time: at(5).toISOString(),
        type: 'platform.report',
        record: {
          requestId: 'r5',
          status: 'success',
          metrics: { durationMs: 1 },
          tracing: { value: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' },
        },
      },
      '2',
    );
    log(6, `{"timestamp":"${at(6).toISOString()}","level":"ERROR","requestId":"r6","message":"later"}`);
    log(
      90,
      `{"timestamp":"${at(90).toISOString()}","level":"ERROR","requestId":"r90","message":"out of range"}`,
    );
    await sink.flush();
    return () => rm(root, { recursive: true, force: true });
  });

  it('reads the streams as events, a REPORT and its XRAY line being one event', async () => {
    // Act
    const events = await readLogEvents(path.join(root, 'logs'), '/aws/lambda/todos', RANGE);

    // Assess
    expect(events.map((event) => event.timestamp)).toEqual(
      [1, 2, 3, 4, 5, 5, 6].map((second) => T0 + second * 1000),
    );
    const report = events.find((event) => event.message.startsWith('REPORT'));
    expect(report?.message).toMatch(/\nXRAY TraceId: 1-5759e988-bd862e3fe1be46a994272793/);
    expect(events[0]?.logStream).toBe(`2026/01/01/[2]${ENVIRONMENT}`);
  });

  it('runs the recent-errors query: filter with or/and/ispresent/dotted fields, newest first, limited', async () => {
    // Prepare
    const renderer = new DashboardRenderer({
      template: templateWithQuery(RECENT_ERRORS),
      names: DASHBOARD_NAMES,
      metrics: path.join(root, 'metrics'),
      logsDirectory: path.join(root, 'logs'),
    });

    // Act
    const view = await renderer.render(RANGE);

    // Assess
    const [widget] = view.widgets;
    if (widget?.kind !== 'log') throw new Error('not a log widget');
    expect(widget.logGroups).toEqual(['/aws/lambda/todos']);
    expect(widget.columns).toEqual([
      '@timestamp',
      'level',
      'requestId',
      'message',
      'errorType',
      'errorMessage',
    ]);
    expect(widget.rows).toEqual([
      { '@timestamp': '2026-01-01 00:00:06.000', level: 'ERROR', requestId: 'r6', message: 'later' },
      { '@timestamp': '2026-01-01 00:00:03.000' },
      {
        '@timestamp': '2026-01-01 00:00:02.000',
        level: 'ERROR',
        requestId: 'r2',
        message: 'failed',
        errorType: 'TypeError',
        errorMessage: 'x is undefined',
      },
    ]);
    expect(widget.unavailable).toEqual([]);
  });

  it('applies limit, ascending sort and the built-in fields', async () => {
    // Prepare
    const query = parseInsightsQuery(
      'fields @timestamp, @logStream, record.requestId | filter ispresent(record.requestId) | sort record.requestId desc | limit 1',
    );
    const events = await readLogEvents(path.join(root, 'logs'), '/aws/lambda/todos', RANGE);

    // Act
    const rows = query.run(events);

    // Assess
    expect(rows).toEqual([
      {
        '@timestamp': '2026-01-01 00:00:04.000',
        '@logStream': `2026/01/01/[2]${ENVIRONMENT}`,
        'record.requestId': 'r4',
      },
    ]);
  });

  it('reports a command outside the subset as unavailable instead of failing', async () => {
    // Prepare
    const text = "SOURCE '/aws/lambda/todos' | stats count(*) by bin(5m)";
    const renderer = new DashboardRenderer({
      template: templateWithQuery(text),
      names: DASHBOARD_NAMES,
      metrics: path.join(root, 'metrics'),
      logsDirectory: path.join(root, 'logs'),
    });

    // Act
    const view = await renderer.render(RANGE);

    // Assess
    expect(view.widgets[0]).toMatchObject({
      kind: 'log',
      rows: [],
      unavailable: [{ what: text, reason: 'command "stats" is not supported locally' }],
    });
    expect(() => parseInsightsQuery('filter strlen(message) > 3')).toThrow(QueryError);
  });
});
