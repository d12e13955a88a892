/** The traces view: the filter bar, the matching traces, and the selected trace's timeline. */
import type { TimeRange, TraceDetail, TraceList, TraceSummary } from '../console-api';
import { describeError, getJson, isAbort, rangeParams } from './api-client';
import { errorNote, h, keepingScroll } from './elements';
import { formatClock, formatCount, formatMs } from './formatting';
import { navigate, type Route } from './route';
import { FILTER_PARAMS, TraceFilters } from './trace-filters';
import { traceTimeline } from './trace-timeline';
import type { View } from './view';

/** As many traces as the table shows; `total` says how many matched. */
const TRACE_LIMIT = 1000;

function flags(trace: TraceSummary): HTMLElement {
  const cell = h('td', { role: 'cell', class: 'flags' });
  if (trace.fault) cell.append(h('span', { class: 'flag health-fault' }, 'fault'));
  if (trace.error) cell.append(h('span', { class: 'flag health-error' }, 'error'));
  if (trace.throttle) cell.append(h('span', { class: 'flag health-throttle' }, 'throttle'));
  return cell;
}

function statusClass(status: number | undefined): string {
  if (status === undefined) return '';
  if (status === 429) return 'health-throttle';
  if (status >= 500) return 'health-fault';
  return status >= 400 ? 'health-error' : '';
}

export class TracesView implements View {
  readonly element = h('section', { class: 'view traces-view' });
  private readonly filters: TraceFilters;
  private readonly summary = h('p', { class: 'view-summary', 'data-testid': 'trace-total' }, 'Loading…');
  private readonly body = h('tbody', { role: 'rowgroup' });
  private readonly listArea = h('div', { class: 'trace-list' });
  private readonly detail = h('div', { class: 'trace-detail' });
  private route: Route | undefined;
  private request: AbortController | undefined;
  private shownTraceId: string | undefined;

  constructor() {
    this.filters = new TraceFilters((params) => navigate('traces', undefined, params));
    const head = h(
      'tr',
      { role: 'row' },
      ...['Time', 'Method', 'Route', 'Status', 'Duration', 'Version', 'Cold', 'Flags'].map((name) =>
        h(
          'th',
          { scope: 'col', role: 'columnheader', class: name === 'Duration' ? 'right' : undefined },
          name,
        ),
      ),
    );
    this.listArea.append(
      h(
        'table',
        { class: 'data-table traces-table', role: 'table' },
        h('thead', { role: 'rowgroup' }, head),
        this.body,
      ),
    );
    this.body.addEventListener('click', (event) => this.open(event.target as Element));
    this.body.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') this.open(event.target as Element);
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        const row = (event.target as Element).closest('tr');
        const next = event.key === 'ArrowDown' ? row?.nextElementSibling : row?.previousElementSibling;
        if (next instanceof HTMLElement) {
          event.preventDefault();
          next.focus();
        }
      }
    });
    this.element.append(
      h('div', { class: 'view-head' }, h('h2', {}, 'Traces'), this.summary),
      this.filters.element,
      this.listArea,
      this.detail,
    );
  }

  private filterParams(route: Route): URLSearchParams {
    const params = new URLSearchParams();
    for (const name of FILTER_PARAMS) {
      const value = route.params.get(name);
      if (value) params.set(name, value);
    }
    return params;
  }

  private open(target: Element): void {
    const row = target.closest<HTMLElement>('tr[data-trace-id]');
    if (!row || !this.route) return;
    navigate('traces', row.dataset.traceId, this.filterParams(this.route));
  }

  async show(route: Route, range: TimeRange): Promise<void> {
    this.route = route;
    this.request?.abort();
    const request = new AbortController();
    this.request = request;
    const filter = this.filterParams(route);
    this.filters.set(filter);
    const list = this.loadList(filter, range, request.signal);
    const detail = this.loadDetail(route.id, request.signal);
    await Promise.all([list, detail]);
  }

  private async loadList(filter: URLSearchParams, range: TimeRange, signal: AbortSignal): Promise<void> {
    try {
      const params = { ...Object.fromEntries(filter), ...rangeParams(range), limit: TRACE_LIMIT };
      const list = await getJson<TraceList>('/api/traces', params, signal);
      this.filters.setRoutes(list.routes);
      this.summary.textContent =
        list.total > list.traces.length
          ? `${formatCount(list.total)} traces match; the newest ${formatCount(list.traces.length)} shown`
          : `${formatCount(list.total)} traces match`;
      const started = performance.now();
      keepingScroll(() => this.renderRows(list.traces));
      // How long building the rows took, for a look at the page's speed.
      this.element.dataset.renderMs = (performance.now() - started).toFixed(1);
    } catch (error) {
      if (isAbort(error)) return;
      this.summary.textContent = '';
      this.body.replaceChildren(h('tr', {}, h('td', { colspan: 8 }, errorNote(describeError(error)))));
    }
  }

  private renderRows(traces: readonly TraceSummary[]): void {
    const focusedId = (document.activeElement as HTMLElement | null)?.dataset?.traceId;
    const rows = document.createDocumentFragment();
    // A thousand rows are cloned from one template row: far fewer calls than building each cell.
    const template = h(
      'tr',
      { tabindex: 0, role: 'row', 'data-testid': 'trace-row' },
      h('td', { role: 'cell', class: 'num' }),
      h('td', { role: 'cell' }),
      h('td', { role: 'cell', class: 'route' }),
      h('td', { role: 'cell', class: 'num' }),
      h('td', { role: 'cell', class: 'num right' }),
      h('td', { role: 'cell' }),
      h('td', { role: 'cell' }),
      h('td', { role: 'cell', class: 'flags' }),
    );
    for (const trace of traces) {
      const row = template.cloneNode(true) as HTMLTableRowElement;
      const selected = trace.traceId === this.route?.id;
      row.dataset.traceId = trace.traceId;
      row.title = trace.traceId;
      row.setAttribute('aria-selected', String(selected));
      if (selected) row.className = 'selected';
      const [time, method, route, status, duration, version, cold, flagCell] = row.cells;
      time!.textContent = formatClock(trace.startTime);
      method!.textContent = trace.method ?? '–';
      route!.textContent = trace.route ?? '–';
      status!.textContent = trace.status === undefined ? '–' : String(trace.status);
      const statusHealth = statusClass(trace.status);
      if (statusHealth) status!.classList.add(statusHealth);
      duration!.textContent = formatMs(trace.durationMs);
      version!.textContent = trace.version ?? '–';
      cold!.textContent = trace.coldStart ? 'cold' : '';
      if (trace.fault || trace.error || trace.throttle) flagCell!.replaceWith(flags(trace));
      rows.append(row);
    }
    if (traces.length === 0) {
      rows.append(h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No traces match in this range.')));
    }
    this.body.replaceChildren(rows);
    if (focusedId)
      this.body.querySelector<HTMLElement>(`tr[data-trace-id="${CSS.escape(focusedId)}"]`)?.focus();
  }

  private async loadDetail(traceId: string | undefined, signal: AbortSignal): Promise<void> {
    if (!traceId) {
      this.shownTraceId = undefined;
      this.detail.replaceChildren();
      return;
    }
    // A finished trace does not change; refreshes only re-read one still in progress.
    const shown = this.shownTraceId === traceId && !this.detail.querySelector('[data-in-progress="true"]');
    if (shown) return;
    try {
      const detail = await getJson<TraceDetail>(`/api/traces/${encodeURIComponent(traceId)}`, {}, signal);
      const firstShow = this.shownTraceId !== traceId;
      this.shownTraceId = traceId;
      keepingScroll(() => this.detail.replaceChildren(traceTimeline(detail)));
      if (firstShow) this.detail.scrollIntoView({ block: 'nearest' });
    } catch (error) {
      if (isAbort(error)) return;
      this.shownTraceId = undefined;
      this.detail.replaceChildren(h('h3', {}, `Trace ${traceId}`), errorNote(describeError(error)));
    }
  }
}
