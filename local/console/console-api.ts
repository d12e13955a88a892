import type { ReleaseReport } from '../release/release-report';

/**
 * The operator console's data API: the JSON the console server answers and the page reads.
 * Times are epoch milliseconds, durations milliseconds. Every endpoint takes the range as
 * `?from=<ms>&to=<ms>` (default: the last 15 minutes) and answers `application/json`; bad
 * parameters get a 400 `application/problem+json` naming the parameter.
 *
 * - `GET /api/service-map?from&to` → {@link ServiceMap}
 * - `GET /api/traces?from&to&route&status&minMs&maxMs&outcome&cold&traceId&node&edge&limit` → {@link TraceList}
 * - `GET /api/traces/<trace id>` → {@link TraceDetail} (404 when the store has no such trace)
 * - `GET /api/dashboard?from&to` → {@link DashboardView}
 * - `GET /api/releases` → {@link ReleaseList}; `GET /api/releases/<deployment id>` → {@link ReleaseView}
 */

/** A closed time range, epoch ms. */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

/** How a node or edge of the service map fared in the range. */
export interface HealthStats {
  /** Requests (segments) in the range. */
  readonly requests: number;
  /** Latency percentiles over those requests; absent without requests. */
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  /** Shares from 0 to 1: error (4xx), fault (5xx), throttle (429), as X-Ray counts them. */
  readonly errorShare: number;
  readonly faultShare: number;
  readonly throttleShare: number;
  /** What colours the node: the worst share that is not zero, `idle` without requests. */
  readonly health: 'ok' | 'error' | 'throttle' | 'fault' | 'idle';
}

/** The kinds of node X-Ray draws, named by their X-Ray types. */
export type MapNodeType =
  | 'client'
  | 'AWS::ApiGatewayV2::Api'
  | 'AWS::Lambda'
  | 'AWS::Lambda::Function'
  | 'AWS::DynamoDB::Table'
  | 'remote';

export interface MapNode {
  /** Stable id, used by `?node=` on `/api/traces`. */
  readonly id: string;
  /** As X-Ray names it: `todos`, `DynamoDB`, `Client`. */
  readonly name: string;
  readonly type: MapNodeType;
  /** The function version, for `AWS::Lambda::Function` nodes when several versions ran. */
  readonly version?: string;
  readonly stats: HealthStats;
}

export interface MapEdge {
  /** `<from id>-><to id>`, used by `?edge=` on `/api/traces`. */
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly stats: HealthStats;
}

export interface ServiceMap {
  readonly range: TimeRange;
  readonly nodes: readonly MapNode[];
  readonly edges: readonly MapEdge[];
  /** Traces in the range the map was drawn from. */
  readonly traceCount: number;
}

/** One trace in the list. */
export interface TraceSummary {
  readonly traceId: string;
  /** Start of the earliest segment. */
  readonly startTime: number;
  /** From the earliest start to the latest end. */
  readonly durationMs: number;
  readonly method?: string;
  /** The route as the handler annotated it (`/todos/{id}`). */
  readonly route?: string;
  /** The HTTP status the client got. */
  readonly status?: number;
  /** The function version that ran it. */
  readonly version?: string;
  readonly coldStart: boolean;
  readonly fault: boolean;
  readonly error: boolean;
  readonly throttle: boolean;
  /** The Lambda request id. */
  readonly requestId?: string;
  /** Ids of the map nodes the trace passes through. */
  readonly nodes: readonly string[];
}

export interface TraceList {
  readonly range: TimeRange;
  /** Traces that match the filter (the list may hold fewer: newest first, up to `limit`). */
  readonly total: number;
  readonly traces: readonly TraceSummary[];
  /** Every route seen in the range, for the filter's choices. */
  readonly routes: readonly string[];
}

/** A segment or subsegment on the timeline, in tree order (parents before children). */
export interface TimelineSpan {
  readonly id: string;
  readonly parentId?: string;
  /** Nesting level, 0 for segments without a parent in the trace. */
  readonly depth: number;
  readonly name: string;
  /** `AWS::Lambda`, `AWS::Lambda::Function`... for segments. */
  readonly origin?: string;
  /** `aws` or `remote` for downstream calls. */
  readonly namespace?: string;
  readonly start: number;
  /** Absent while in progress. */
  readonly end?: number;
  readonly fault: boolean;
  readonly error: boolean;
  readonly throttle: boolean;
  readonly http?: Readonly<Record<string, unknown>>;
  readonly aws?: Readonly<Record<string, unknown>>;
  readonly annotations?: Readonly<Record<string, unknown>>;
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** X-Ray `cause`: exceptions and the working directory, as the segment carries it. */
  readonly cause?: unknown;
}

/** A log line of the trace's request, from the function's log streams. */
export interface LogLine {
  readonly timestamp: number;
  readonly logStream: string;
  readonly message: string;
}

export interface TraceDetail {
  readonly summary: TraceSummary;
  readonly spans: readonly TimelineSpan[];
  readonly logs: readonly LogLine[];
}

/** What a widget cannot show locally, and why, shown in its place. */
export interface Unavailable {
  /** The metric, expression or query, as the dashboard body names it. */
  readonly what: string;
  readonly reason: string;
}

/** One line of a graph. */
export interface SeriesView {
  readonly label: string;
  /** One value per timestamp of the widget, `null` where the period has no datapoint. */
  readonly values: readonly (number | null)[];
  /** `#rrggbb` when the body gives one. */
  readonly color?: string;
  /** `right` when the body puts the metric on the right axis. */
  readonly yAxis?: 'left' | 'right';
}

/** A horizontal line: an alarm threshold or a body's annotation. */
export interface ThresholdView {
  readonly label: string;
  readonly value: number;
}

export interface AlarmStateView {
  readonly name: string;
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  /** Worded as CloudWatch's StateReason. */
  readonly reason: string;
}

interface WidgetPlacement {
  /** Grid units as in the dashboard body: 24 columns wide, rows of fixed height. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly title?: string;
}

export type WidgetView = WidgetPlacement &
  (
    | { readonly kind: 'text'; readonly markdown: string }
    | {
        readonly kind: 'metric';
        readonly view: 'timeSeries' | 'singleValue';
        /** Period starts shared by every series. */
        readonly timestamps: readonly number[];
        readonly periodSec: number;
        readonly series: readonly SeriesView[];
        readonly thresholds: readonly ThresholdView[];
        /** Set for an alarm widget: the alarm's state now. */
        readonly alarm?: AlarmStateView;
        readonly unavailable: readonly Unavailable[];
      }
    | {
        readonly kind: 'alarm-status';
        readonly alarms: readonly AlarmStateView[];
        readonly unavailable: readonly Unavailable[];
      }
    | {
        readonly kind: 'log';
        readonly logGroups: readonly string[];
        readonly query: string;
        readonly columns: readonly string[];
        readonly rows: readonly Readonly<Record<string, string>>[];
        readonly unavailable: readonly Unavailable[];
      }
    | { readonly kind: 'unsupported'; readonly type: string; readonly reason: string }
  );

export interface DashboardView {
  /** The dashboard's logical id in the synthesized template (its name is generated on deploy). */
  readonly name: string;
  readonly range: TimeRange;
  /** When the data was read. */
  readonly renderedAt: number;
  readonly widgets: readonly WidgetView[];
}

/** A release rehearsal (`npm run canary`) on record, without its events and timeline. */
export type ReleaseSummary = Omit<ReleaseReport, 'events' | 'timeline'>;

export interface ReleaseList {
  readonly releases: readonly ReleaseSummary[];
}

/** A release with its events and per-minute timeline, as the rehearsal's report holds it. */
export type ReleaseView = ReleaseReport;
