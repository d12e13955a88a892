/**
 * Releases: the canary rehearsals on record and, for one, its verdict, its per-minute timeline
 * (the new version's weight, requests and 5xx per version, what customers saw) and its events.
 */

import type { TimelineMinute } from '../../release/release-timeline';
import type { ReleaseList, ReleaseSummary, ReleaseView, TimeRange } from '../console-api';
import { describeError, getJson, isAbort } from './api-client';
import { errorNote, h, keepingScroll } from './elements';
import { formatClock, formatCount, formatDateTime } from './formatting';
import { navigate, type Route } from './route';
import { type ChartMarker, type ChartSpec, TimeChart } from './time-chart';
import type { View } from './view';

type DeploymentEvent = TimelineMinute['events'][number];

const EVENT_COLORS: Readonly<Record<DeploymentEvent['type'], string>> = {
  started: '#0073bb',
  hook: '#7f7f7f',
  traffic: '#2ca02c',
  alarm: '#d13212',
  finished: '#000000',
};

function describeEvent(event: DeploymentEvent): string {
  switch (event.type) {
    case 'started':
      return `Deployment ${event.deploymentId} started (${event.config})`;
    case 'hook':
      return `Pre-traffic hook ${event.status}${event.reason ? `: ${event.reason}` : ''}`;
    case 'traffic':
      return `Traffic shifted: new version at ${event.newVersionPercent}%`;
    case 'alarm':
      return `Alarm ${event.name}: ${event.previous ?? '—'} → ${event.state}${event.reason ? ` (${event.reason})` : ''}`;
    case 'finished':
      return `Finished: ${event.verdict}${event.reason ? ` — ${event.reason}` : ''}`;
  }
}

function chartsOf(release: ReleaseView): { traffic: ChartSpec; errors: ChartSpec } {
  const timeline = release.timeline;
  const timestamps = timeline.map((minute) => minute.periodStart);
  const versions = [...new Set(timeline.flatMap((minute) => Object.keys(minute.versions)))].sort();
  const perVersion = (pick: (minute: TimelineMinute, version: string) => number | null) =>
    versions.map((version) => timeline.map((minute) => pick(minute, version)));
  const markers: ChartMarker[] = release.events.map((event) => ({
    at: event.at,
    label: event.type,
    color: EVENT_COLORS[event.type],
  }));
  const requests = perVersion((minute, version) => minute.versions[version]?.invocations ?? 0);
  const errors = perVersion((minute, version) => minute.versions[version]?.serverErrors ?? null);
  return {
    traffic: {
      timestamps,
      markers,
      rightRange: [0, 100],
      series: [
        ...versions.map((version, index) => ({
          label: `v${version} requests`,
          values: requests[index] ?? [],
        })),
        {
          label: 'New version weight %',
          values: timeline.map((minute) => minute.newVersionPercent),
          axis: 'right' as const,
          color: '#000000',
          dashed: true,
        },
      ],
    },
    errors: {
      timestamps,
      markers,
      series: [
        ...versions.map((version, index) => ({ label: `v${version} 5xx`, values: errors[index] ?? [] })),
        {
          label: 'Customer 5xx',
          values: timeline.map((minute) => minute.customers.serverErrors),
          color: '#d13212',
        },
        {
          label: 'Unanswered',
          values: timeline.map((minute) => minute.customers.unanswered),
          color: '#9467bd',
        },
      ],
    },
  };
}

function verdict(release: ReleaseView): HTMLElement {
  const facts = [
    `${release.config}`,
    `v${release.stableVersion} → v${release.targetVersion}`,
    release.startedAt ? `started ${formatDateTime(release.startedAt)}` : undefined,
    `${release.rps} req/s`,
    `time ×${release.timeScale}`,
    release.customers
      ? `customers: ${formatCount(release.customers.requests)} requests, ${formatCount(release.customers.serverErrors)} 5xx`
      : undefined,
  ].filter(Boolean);
  return h(
    'div',
    {
      class: `verdict status-${release.status}`,
      'data-testid': 'release-verdict',
      'data-status': release.status,
    },
    h('div', { class: 'verdict-status' }, release.status),
    h('div', {}, h('strong', {}, release.reason ?? ''), h('p', {}, facts.join(' · '))),
  );
}

/** The deployment minute of a CloudWatch time: minutes are counted from the one it started in. */
const minuteOf = (release: ReleaseView, at: number): number =>
  Math.floor(at / 60_000) - Math.floor(release.startedAt / 60_000);

function eventList(release: ReleaseView): HTMLElement {
  // The report's own list: complete while the release runs, before its minutes are reported.
  const rows = release.events.map((event) =>
    h(
      'tr',
      { 'data-testid': 'release-event', 'data-type': event.type },
      h('td', { class: 'num' }, formatClock(event.at)),
      h('td', { class: 'num' }, `min ${minuteOf(release, event.at)}`),
      h(
        'td',
        {},
        h('span', { class: 'event-dot', style: `background:${EVENT_COLORS[event.type]}` }),
        event.type,
      ),
      h('td', {}, describeEvent(event)),
    ),
  );
  if (rows.length === 0) return h('p', { class: 'empty' }, 'No events.');
  return h(
    'table',
    { class: 'data-table' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Minute'), h('th', {}, 'Event'), h('th', {}, 'What')),
    ),
    h('tbody', {}, ...rows),
  );
}

export class ReleasesView implements View {
  readonly element = h('section', { class: 'view releases-view' });
  private readonly list = h('div', { class: 'release-list' }, h('p', { class: 'empty' }, 'Loading…'));
  private readonly detail = h('div', { class: 'release-detail' });
  private charts: { id: string; traffic: TimeChart; errors: TimeChart } | undefined;
  private request: AbortController | undefined;

  constructor() {
    this.element.append(h('div', { class: 'view-head' }, h('h2', {}, 'Releases')), this.list, this.detail);
  }

  async show(route: Route, _range: TimeRange): Promise<void> {
    this.request?.abort();
    const request = new AbortController();
    this.request = request;
    await Promise.all([this.loadList(route.id, request.signal), this.loadDetail(route.id, request.signal)]);
  }

  private async loadList(selected: string | undefined, signal: AbortSignal): Promise<void> {
    try {
      const { releases } = await getJson<ReleaseList>('/api/releases', {}, signal);
      keepingScroll(() => this.list.replaceChildren(this.table(releases, selected)));
    } catch (error) {
      if (!isAbort(error)) this.list.replaceChildren(errorNote(describeError(error)));
    }
  }

  private table(releases: readonly ReleaseSummary[], selected: string | undefined): HTMLElement {
    if (releases.length === 0) {
      return h(
        'p',
        { class: 'empty' },
        'No releases yet: rehearse one with ',
        h('code', {}, 'npm run canary'),
        '.',
      );
    }
    const open = (id: string) => navigate('releases', id);
    return h(
      'table',
      { class: 'data-table releases-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Deployment', 'Config', 'Versions', 'Status', 'Started', 'Updated'].map((name) =>
            h('th', {}, name),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...releases.map((release) =>
          h(
            'tr',
            {
              tabindex: 0,
              class: release.deploymentId === selected ? 'selected' : undefined,
              'aria-selected': release.deploymentId === selected ? 'true' : 'false',
              'data-testid': 'release-row',
              'data-deployment-id': release.deploymentId,
              'data-status': release.status,
              onclick: () => open(release.deploymentId),
              onkeydown: (event: Event) => {
                if ((event as KeyboardEvent).key === 'Enter') open(release.deploymentId);
              },
            },
            h('td', {}, release.deploymentId),
            h('td', {}, release.config),
            h('td', {}, `v${release.stableVersion} → v${release.targetVersion}`),
            h('td', {}, h('span', { class: `status-pill status-${release.status}` }, release.status)),
            h('td', { class: 'num' }, release.startedAt ? formatDateTime(release.startedAt) : '–'),
            h('td', { class: 'num' }, formatDateTime(release.updatedAt)),
          ),
        ),
      ),
    );
  }

  private async loadDetail(id: string | undefined, signal: AbortSignal): Promise<void> {
    if (!id) {
      this.dropCharts();
      this.detail.replaceChildren();
      return;
    }
    try {
      const release = await getJson<ReleaseView>(`/api/releases/${encodeURIComponent(id)}`, {}, signal);
      keepingScroll(() => this.renderDetail(release));
    } catch (error) {
      if (isAbort(error)) return;
      this.dropCharts();
      this.detail.replaceChildren(h('h3', {}, `Release ${id}`), errorNote(describeError(error)));
    }
  }

  private renderDetail(release: ReleaseView): void {
    const specs = chartsOf(release);
    const reuse = this.charts?.id === release.deploymentId ? this.charts : undefined;
    const verdictBox = this.detail.querySelector('.verdict');
    const events = this.detail.querySelector('.release-events');
    if (reuse && verdictBox && events) {
      verdictBox.replaceWith(verdict(release));
      events.replaceChildren(eventList(release));
      reuse.traffic.update(specs.traffic);
      reuse.errors.update(specs.errors);
      return;
    }
    this.dropCharts();
    const trafficBox = h('div', { class: 'release-chart', 'data-testid': 'release-chart' });
    const errorsBox = h('div', { class: 'release-chart', 'data-testid': 'release-chart' });
    this.detail.replaceChildren(
      h('h3', {}, `Release ${release.deploymentId}`),
      verdict(release),
      h('h4', {}, 'Requests per version and the new version’s weight, per minute'),
      trafficBox,
      h('h4', {}, '5xx per version and what customers saw, per minute'),
      errorsBox,
      h('h4', {}, 'Events'),
      h('div', { class: 'release-events' }, eventList(release)),
    );
    if (release.timeline.length === 0) {
      trafficBox.replaceWith(h('p', { class: 'empty' }, 'No timeline recorded yet.'));
      errorsBox.remove();
      return;
    }
    this.charts = {
      id: release.deploymentId,
      traffic: new TimeChart(trafficBox, specs.traffic),
      errors: new TimeChart(errorsBox, specs.errors),
    };
  }

  private dropCharts(): void {
    this.charts?.traffic.destroy();
    this.charts?.errors.destroy();
    this.charts = undefined;
  }
}
