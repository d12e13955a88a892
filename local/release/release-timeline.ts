/**
 * The rehearsal's timeline by CloudWatch minute: what customers saw at the front door (requests,
 * 5xx, p99 latency) and what each version did (invocations, function errors, 5xx answers, p99
 * duration from the `AWS/Lambda` and outcome metrics in the metric store), beside the alias's
 * weight and the deployment's events. Minutes are CloudWatch periods (aligned to the clock),
 * numbered from the deployment's start.
 */
import type { StoredMetric } from '../logs/metric-store';
import type { DeploymentEvent } from './deployment-controller';
import type { ScaledClock } from './scaled-clock';
import type { CustomerResponse } from './traffic-driver';

const MINUTE_MS = 60_000;

/** Per-minute figures of one version. */
export interface VersionMinute {
  readonly invocations: number;
  /** Function errors (crashes, timeouts): Lambda's `Errors`. */
  readonly errors: number;
  /** 5xx answers the version gave, from the per-version outcome metrics; undefined without them. */
  readonly serverErrors: number | undefined;
  /** p99 of `Duration`, milliseconds; undefined without invocations. */
  readonly p99Ms: number | undefined;
}

/** One CloudWatch minute of the rehearsal. */
export interface TimelineMinute {
  /** Minutes from the minute the deployment started in (negative before it). */
  readonly minute: number;
  /** CloudWatch time at which the period starts, epoch ms. */
  readonly periodStart: number;
  /** The new version's share of traffic at the end of the minute, percent. */
  readonly newVersionPercent: number;
  readonly customers: {
    readonly requests: number;
    readonly serverErrors: number;
    /** Requests that got no answer at all (connection refused or reset). */
    readonly unanswered: number;
    readonly p99Ms: number | undefined;
  };
  readonly versions: Readonly<Record<string, VersionMinute>>;
  readonly events: readonly DeploymentEvent[];
}

/** Everything read from the metric store for the timeline, already in wall-clock timestamps. */
export interface VersionMetrics {
  /** `AWS/Lambda` data with `ExecutedVersion` (invocations through the alias). */
  readonly lambda: readonly StoredMetric[];
  /** Outcome counts of 5xx answers per version, when the handler's telemetry writes them. */
  readonly serverErrors: readonly {
    readonly timestamp: number;
    readonly version: string;
    readonly count: number;
  }[];
}

/** Nearest-rank percentile over a list of samples. */
function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Expands a stored datum's distinct values by their counts. */
const samplesOf = (metric: StoredMetric): number[] =>
  metric.values.flatMap((value, index) => Array<number>(metric.counts[index] ?? 1).fill(value));

interface VersionBucket {
  invocations: number;
  errors: number;
  serverErrors: number | undefined;
  durations: number[];
}

/** Builds the timeline from the customers' answers, the version metrics and the events. */
export function buildTimeline(input: {
  readonly clock: ScaledClock;
  readonly startedAt: number;
  readonly responses: readonly CustomerResponse[];
  readonly metrics: VersionMetrics;
  readonly events: readonly DeploymentEvent[];
}): TimelineMinute[] {
  const { clock } = input;
  const periodOf = (cloudWatchMs: number) => Math.floor(cloudWatchMs / MINUTE_MS) * MINUTE_MS;
  const firstPeriod = periodOf(input.startedAt);
  const periods = new Map<
    number,
    {
      latencies: number[];
      requests: number;
      serverErrors: number;
      unanswered: number;
      versions: Map<string, VersionBucket>;
    }
  >();
  const bucket = (cloudWatchMs: number) => {
    const start = periodOf(cloudWatchMs);
    let found = periods.get(start);
    if (!found) {
      found = { latencies: [], requests: 0, serverErrors: 0, unanswered: 0, versions: new Map() };
      periods.set(start, found);
    }
    return found;
  };
  const versionBucket = (cloudWatchMs: number, version: string) => {
    const versions = bucket(cloudWatchMs).versions;
    let found = versions.get(version);
    if (!found) {
      found = { invocations: 0, errors: 0, serverErrors: undefined, durations: [] };
      versions.set(version, found);
    }
    return found;
  };

  for (const response of input.responses) {
    const period = bucket(clock.toCloudWatch(response.sentAt));
    period.requests += 1;
    if (response.status === 0) period.unanswered += 1;
    else if (response.status >= 500) period.serverErrors += 1;
    period.latencies.push(response.latencyMs);
  }
  for (const metric of input.metrics.lambda) {
    const version = metric.dimensions.ExecutedVersion;
    if (version === undefined) continue;
    const target = versionBucket(clock.toCloudWatch(metric.timestamp), version);
    const samples = samplesOf(metric);
    if (metric.metricName === 'Invocations')
      target.invocations += samples.reduce((sum, value) => sum + value, 0);
    else if (metric.metricName === 'Errors') target.errors += samples.reduce((sum, value) => sum + value, 0);
    else if (metric.metricName === 'Duration') target.durations.push(...samples);
  }
  for (const datum of input.metrics.serverErrors) {
    const target = versionBucket(clock.toCloudWatch(datum.timestamp), datum.version);
    target.serverErrors = (target.serverErrors ?? 0) + datum.count;
  }

  const traffic = input.events.filter((event) => event.type === 'traffic');
  const percentAt = (cloudWatchMs: number) =>
    traffic.filter((event) => event.at < cloudWatchMs).at(-1)?.newVersionPercent ?? 0;
  const starts = [...periods.keys(), ...input.events.map((event) => periodOf(event.at))];
  const from = Math.min(...starts);
  const to = Math.max(...starts);
  const minutes: TimelineMinute[] = [];
  for (let start = from; start <= to; start += MINUTE_MS) {
    const period = periods.get(start);
    const versions: Record<string, VersionMinute> = {};
    for (const [version, figures] of [...(period?.versions ?? new Map<string, VersionBucket>())].sort()) {
      versions[version] = {
        invocations: figures.invocations,
        errors: figures.errors,
        serverErrors: figures.serverErrors,
        p99Ms: percentile(figures.durations, 99),
      };
    }
    minutes.push({
      minute: (start - firstPeriod) / MINUTE_MS,
      periodStart: start,
      newVersionPercent: percentAt(start + MINUTE_MS),
      customers: {
        requests: period?.requests ?? 0,
        serverErrors: period?.serverErrors ?? 0,
        unanswered: period?.unanswered ?? 0,
        p99Ms: percentile(period?.latencies ?? [], 99),
      },
      versions,
      events: input.events.filter((event) => periodOf(event.at) === start),
    });
  }
  return minutes;
}
