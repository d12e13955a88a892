/**
 * The stack's real CloudWatch dashboard rendered over the sandbox's stores: the body comes from
 * the synthesized template (`dashboard-template.ts`), metrics from the local metric store with
 * the alarms' own statistics and math, alarm states from the rehearsal's evaluator, log widgets
 * from the local log streams through a Logs Insights subset.
 */

import { readMetrics } from '../../logs/metric-store';
import { type AlarmDefinition, alarmPeriod } from '../../release/alarm-definitions';
import { evaluateAlarm, type MetricSource, type TimeScale } from '../../release/alarm-evaluator';
import { readAlarms, type SynthesizedTemplate } from '../../release/alarm-template';
import type { AlarmStateView, DashboardView, TimeRange, Unavailable, WidgetView } from '../console-api';
import {
  alarmArn,
  type BodyWidget,
  type DashboardBody,
  type DashboardNames,
  dashboardResolver,
  readDashboard,
} from './dashboard-template';
import { functionOfLogGroup, readLogEvents } from './log-events';
import { type LogEvent, parseInsightsQuery } from './logs-insights';
import {
  alarmLine,
  horizontalAnnotations,
  type MetricReader,
  metricLines,
  metricReader,
  readerSource,
  widgetGrid,
  widgetPeriod,
} from './metric-widget';
import { widgetLines } from './widget-metrics';

export interface DashboardRendererOptions {
  /** The synthesized template (`synthesizeTemplate()`). */
  readonly template: SynthesizedTemplate;
  /** What the sandbox runs in place of the template's function, alias, API and table. */
  readonly names: DashboardNames;
  /** The metric store's directory (`.local/metrics`), or any {@link MetricSource}. */
  readonly metrics: string | MetricSource;
  /** Root of the stored log streams (`.local/logs`). */
  readonly logsDirectory: string;
  /** A compressed clock, as the release rehearsal runs: applies to metric timestamps and alarm evaluation. @default real time */
  readonly timeScale?: TimeScale;
  /** Logical id of the dashboard; needed only when the template has several. */
  readonly dashboardId?: string;
  /** The clock for `renderedAt`. @default Date.now */
  readonly now?: () => number;
}

type Placement = Pick<WidgetView, 'x' | 'y' | 'width' | 'height' | 'title'>;

const describeError = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Renders the template's dashboard over the local stores.
 *
 * @example
 * const renderer = new DashboardRenderer({
 *   template: synthesizeTemplate(),
 *   names: { functionName: 'todos', aliasName: 'live', version: '2', apiId: 'local', tableName: 'todos', region: 'us-east-1' },
 *   metrics: '.local/metrics',
 *   logsDirectory: '.local/logs',
 * });
 * const view = await renderer.render({ from: Date.now() - 15 * 60_000, to: Date.now() });
 */
export class DashboardRenderer {
  private readonly body: DashboardBody;
  /** Alarms of the template by ARN, as the widgets list them. */
  private readonly alarms: ReadonlyMap<string, AlarmDefinition>;
  private readonly source: MetricSource;
  private readonly scale: TimeScale;

  constructor(private readonly options: DashboardRendererOptions) {
    const resolver = dashboardResolver(options.template, options.names);
    this.body = readDashboard(options.template, resolver, options.dashboardId);
    this.alarms = new Map(
      readAlarms(options.template, resolver).map((alarm) => [
        alarmArn(options.names.region, alarm.alarmName),
        alarm,
      ]),
    );
    const { metrics } = options;
    this.source = typeof metrics === 'string' ? (query) => readMetrics(metrics, query) : metrics;
    this.scale = options.timeScale ?? {};
  }

  /** Every widget of the body, in body order, computed over `range` (wall-clock epoch ms). */
  async render(range: TimeRange): Promise<DashboardView> {
    const reader = metricReader(this.source, this.scale);
    const states = new Map<string, Promise<AlarmStateView>>();
    const stateOf = (alarm: AlarmDefinition): Promise<AlarmStateView> => {
      let state = states.get(alarm.alarmName);
      if (!state) {
        state = evaluateAlarm(alarm, readerSource(reader), {
          at: range.to,
          ...this.scale,
        }).then((evaluation) => ({
          name: alarm.alarmName,
          state: evaluation.state,
          reason: evaluation.reason,
        }));
        states.set(alarm.alarmName, state);
      }
      return state;
    };
    const widgets: WidgetView[] = [];
    for (const widget of this.body.widgets) widgets.push(await this.widget(widget, range, reader, stateOf));
    return {
      name: this.body.logicalId,
      range,
      renderedAt: (this.options.now ?? Date.now)(),
      widgets,
    };
  }

  private async widget(
    widget: BodyWidget,
    range: TimeRange,
    reader: MetricReader,
    stateOf: (alarm: AlarmDefinition) => Promise<AlarmStateView>,
  ): Promise<WidgetView> {
    const { properties } = widget;
    const placement: Placement = {
      x: widget.x,
      y: widget.y,
      width: widget.width,
      height: widget.height,
      ...(typeof properties.title === 'string' ? { title: properties.title } : {}),
    };
    switch (widget.type) {
      case 'text':
        return {
          ...placement,
          kind: 'text',
          markdown: typeof properties.markdown === 'string' ? properties.markdown : '',
        };
      case 'metric':
        return this.metricWidget(placement, properties, range, reader, stateOf);
      case 'alarm':
        return this.alarmStatusWidget(placement, properties, stateOf);
      case 'log':
        return this.logWidget(placement, properties, range);
      default:
        return {
          ...placement,
          kind: 'unsupported',
          type: widget.type,
          reason: `${widget.type} widgets are not rendered locally`,
        };
    }
  }

  private async metricWidget(
    placement: Placement,
    properties: Readonly<Record<string, unknown>>,
    range: TimeRange,
    reader: MetricReader,
    stateOf: (alarm: AlarmDefinition) => Promise<AlarmStateView>,
  ): Promise<WidgetView> {
    const view = properties.view === 'singleValue' ? 'singleValue' : 'timeSeries';
    const annotations = properties.annotations as { alarms?: unknown } | undefined;
    const [alarmRef] = Array.isArray(annotations?.alarms) ? (annotations.alarms as unknown[]) : [];
    const thresholds = horizontalAnnotations(annotations);
    if (typeof alarmRef === 'string') {
      const alarm = this.alarms.get(alarmRef);
      const empty = widgetGrid(range, 60, reader.scale);
      if (!alarm) {
        const unavailable = [{ what: alarmRef, reason: 'no alarm of the template has this ARN' }];
        return {
          ...placement,
          kind: 'metric',
          view,
          timestamps: empty.timestamps,
          periodSec: 60,
          series: [],
          thresholds,
          unavailable,
        };
      }
      const [line, state] = await Promise.all([
        alarmLine(alarm, range, alarmPeriod(alarm), reader),
        stateOf(alarm),
      ]);
      return {
        ...placement,
        kind: 'metric',
        view,
        timestamps: line.grid.timestamps,
        periodSec: line.grid.periodSec,
        series: [line.series],
        thresholds: [...thresholds, { label: `${alarm.alarmName} threshold`, value: alarm.threshold }],
        alarm: state,
        unavailable: line.unavailable,
      };
    }
    // A body this code cannot read still gives the widget its grid, with the reason in place.
    let lines: ReturnType<typeof widgetLines> = [];
    const unreadable: Unavailable[] = [];
    try {
      lines = widgetLines(properties.metrics);
    } catch (error) {
      unreadable.push({ what: 'metrics', reason: describeError(error) });
    }
    const grid = widgetGrid(range, widgetPeriod(properties, lines), reader.scale);
    const stat = typeof properties.stat === 'string' ? { stat: properties.stat } : {};
    const { series, unavailable } = await metricLines(lines, stat, grid, reader);
    return {
      ...placement,
      kind: 'metric',
      view,
      timestamps: grid.timestamps,
      periodSec: grid.periodSec,
      series,
      thresholds,
      unavailable: dedupe([...unreadable, ...unavailable]),
    };
  }

  private async alarmStatusWidget(
    placement: Placement,
    properties: Readonly<Record<string, unknown>>,
    stateOf: (alarm: AlarmDefinition) => Promise<AlarmStateView>,
  ): Promise<WidgetView> {
    const listed = Array.isArray(properties.alarms) ? (properties.alarms as unknown[]) : [];
    const alarms: AlarmStateView[] = [];
    const unavailable: Unavailable[] = [];
    for (const arn of listed) {
      const alarm = typeof arn === 'string' ? this.alarms.get(arn) : undefined;
      if (alarm) alarms.push(await stateOf(alarm));
      else unavailable.push({ what: String(arn), reason: 'no alarm of the template has this ARN' });
    }
    return { ...placement, kind: 'alarm-status', alarms, unavailable };
  }

  private async logWidget(
    placement: Placement,
    properties: Readonly<Record<string, unknown>>,
    range: TimeRange,
  ): Promise<WidgetView> {
    const text = typeof properties.query === 'string' ? properties.query : '';
    let query: ReturnType<typeof parseInsightsQuery>;
    try {
      query = parseInsightsQuery(text);
    } catch (error) {
      const unavailable = [{ what: text, reason: describeError(error) }];
      return { ...placement, kind: 'log', logGroups: [], query: text, columns: [], rows: [], unavailable };
    }
    const unavailable: Unavailable[] = [];
    const events: LogEvent[] = [];
    for (const group of query.logGroups) {
      if (functionOfLogGroup(group) === undefined) {
        unavailable.push({
          what: group,
          reason: 'only Lambda function log groups (/aws/lambda/<name>) are kept locally',
        });
        continue;
      }
      events.push(...(await readLogEvents(this.options.logsDirectory, group, range)));
    }
    events.sort((a, b) => a.timestamp - b.timestamp);
    return {
      ...placement,
      kind: 'log',
      logGroups: query.logGroups,
      query: text,
      columns: query.columns,
      rows: query.run(events),
      unavailable,
    };
  }
}

/** One entry per metric or expression, however many lines named it. */
const dedupe = (entries: readonly Unavailable[]): Unavailable[] => [
  ...new Map(entries.map((entry) => [`${entry.what}\n${entry.reason}`, entry])).values(),
];
