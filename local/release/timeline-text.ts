/**
 * The rehearsal's timeline as lines a person follows in a terminal: each deployment event as it
 * happens, and each CloudWatch minute once it is over (weight, customers, each version).
 */
import type { DeploymentEvent } from './deployment-controller';
import type { TimelineMinute, VersionMinute } from './release-timeline';

const MINUTE_MS = 60_000;

/** `HH:MM:SS` of a CloudWatch time (UTC). */
const clockTime = (cloudWatchMs: number): string => new Date(cloudWatchMs).toISOString().slice(11, 19);

const ms = (value: number | undefined): string => (value === undefined ? '–' : `${Math.round(value)} ms`);

/** Minutes since the deployment started, e.g. `+2:30`. */
const offset = (at: number, startedAt: number): string => {
  const seconds = Math.round((at - startedAt) / 1000);
  const sign = seconds < 0 ? '-' : '+';
  const absolute = Math.abs(seconds);
  return `${sign}${Math.floor(absolute / 60)}:${String(absolute % 60).padStart(2, '0')}`;
};

/** One line for a deployment event. */
export function formatEvent(event: DeploymentEvent, startedAt: number, targetVersion: string): string {
  const when = `${clockTime(event.at)} ${offset(event.at, startedAt).padStart(6)}`;
  switch (event.type) {
    case 'started':
      return `${when}  deployment ${event.deploymentId} started (${event.config})`;
    case 'hook':
      return `${when}  BeforeAllowTraffic hook: ${event.status} (${event.reason})`;
    case 'traffic':
      return `${when}  alias live: ${event.newVersionPercent}% of traffic on version ${targetVersion}`;
    case 'alarm':
      return `${when}  alarm ${event.name}: ${event.previous ?? 'new'} → ${event.state} (${event.reason})`;
    case 'finished':
      return `${when}  verdict: ${event.verdict} (${event.reason})`;
  }
}

const versionCell = (version: string, figures: VersionMinute): string =>
  `v${version} ${figures.invocations} inv` +
  (figures.serverErrors === undefined ? '' : `, ${figures.serverErrors} 5xx`) +
  (figures.errors > 0 ? `, ${figures.errors} errors` : '') +
  `, p99 ${ms(figures.p99Ms)}`;

/** One line for a CloudWatch minute. */
export function formatMinute(minute: TimelineMinute): string {
  const label = `${clockTime(minute.periodStart)} minute ${String(minute.minute >= 0 ? `+${minute.minute}` : minute.minute).padStart(3)}`;
  const customers =
    `customers ${minute.customers.requests} req, ${minute.customers.serverErrors} 5xx` +
    (minute.customers.unanswered > 0 ? `, ${minute.customers.unanswered} unanswered` : '') +
    `, p99 ${ms(minute.customers.p99Ms)}`;
  const versions = Object.entries(minute.versions).map(([version, figures]) => versionCell(version, figures));
  return [`${label}  new ${String(minute.newVersionPercent).padStart(3)}%  ${customers}`, ...versions].join(
    ' | ',
  );
}

/** The heading printed before the run. */
export function formatHeading(input: {
  readonly config: string;
  readonly stableVersion: string;
  readonly targetVersion: string;
  readonly timeScale: number;
  readonly rps: number;
}): string {
  const minuteSeconds = MINUTE_MS / input.timeScale / 1000;
  return (
    `canary: ${input.config}, version ${input.stableVersion} → ${input.targetVersion}, ` +
    `${input.rps} requests/s, time scale ${input.timeScale} (one CloudWatch minute = ${minuteSeconds.toFixed(minuteSeconds < 10 ? 1 : 0)} s)`
  );
}
