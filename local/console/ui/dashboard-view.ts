/**
 * The dashboard: the stack's dashboard body on CloudWatch's 24-column grid, each widget where the
 * body puts it. Refreshes update widgets in place (charts take new data without a rebuild).
 */
import type { DashboardView as DashboardData, SeriesView, TimeRange, WidgetView } from '../console-api';
import { describeError, getJson, isAbort, rangeParams } from './api-client';
import { errorNote, h, keepingScroll } from './elements';
import { formatDateTime } from './formatting';
import { TimeChart } from './time-chart';
import type { View } from './view';
import { alarmBadge, alarmList, logTable, singleValues, textBody, unavailableNotes } from './widget-bodies';
import { hasData } from './widget-data';

const widgetKey = (widget: WidgetView, index: number) =>
  `${index}|${widget.kind}|${widget.kind === 'metric' ? widget.view : ''}|${widget.title ?? ''}`;

function chartSpec(widget: Extract<WidgetView, { kind: 'metric' }>) {
  return {
    timestamps: widget.timestamps,
    series: widget.series.map((series: SeriesView) => ({
      label: series.label,
      values: series.values,
      color: series.color,
      axis: series.yAxis,
    })),
    thresholds: widget.thresholds,
  };
}

/** One widget's frame; keeps its chart between refreshes. */
class WidgetCard {
  readonly element: HTMLElement;
  private readonly badge = h('span', { class: 'widget-badge' });
  private readonly body = h('div', { class: 'widget-body' });
  private readonly notes = h('div', { class: 'widget-notes' });
  private chart: TimeChart | undefined;

  constructor(widget: WidgetView) {
    const title = widget.title ?? (widget.kind === 'text' ? '' : widget.kind);
    this.element = h(
      'article',
      {
        class: `widget widget-${widget.kind}`,
        style: `grid-column:${widget.x + 1} / span ${widget.width};grid-row:${widget.y + 1} / span ${widget.height}`,
        'data-testid': 'widget',
        'data-kind': widget.kind,
        'data-title': widget.title ?? '',
        'aria-label': title || undefined,
      },
      title ? h('header', {}, h('h3', { title }, title), this.badge) : null,
      this.body,
      this.notes,
    );
  }

  update(widget: WidgetView): void {
    this.element.dataset.hasData = String(hasData(widget));
    this.badge.replaceChildren(widget.kind === 'metric' && widget.alarm ? alarmBadge(widget.alarm) : '');
    this.notes.replaceChildren(
      (widget.kind === 'metric' || widget.kind === 'alarm-status' || widget.kind === 'log'
        ? unavailableNotes(widget.unavailable)
        : null) ?? '',
    );
    if (widget.kind === 'metric' && widget.view === 'timeSeries') {
      if (this.chart) {
        this.chart.update(chartSpec(widget));
      } else {
        this.body.replaceChildren();
        this.chart = new TimeChart(this.body, chartSpec(widget));
      }
      return;
    }
    this.body.replaceChildren(this.content(widget));
  }

  private content(widget: WidgetView): HTMLElement {
    switch (widget.kind) {
      case 'text':
        return textBody(widget.markdown);
      case 'metric':
        return singleValues(widget);
      case 'alarm-status':
        return alarmList(widget.alarms);
      case 'log':
        return logTable(widget);
      case 'unsupported':
        return h(
          'p',
          { class: 'unavailable' },
          `not served locally: ${widget.type} widget — ${widget.reason}`,
        );
    }
  }

  destroy(): void {
    this.chart?.destroy();
  }
}

export class DashboardView implements View {
  readonly element = h('section', { class: 'view dashboard-view' });
  private readonly summary = h('p', { class: 'view-summary' });
  private readonly grid = h('div', { class: 'dashboard-grid', 'data-testid': 'dashboard-grid' });
  private readonly status = h('div', {}, h('p', { class: 'empty' }, 'Loading…'));
  private cards = new Map<string, WidgetCard>();
  private request: AbortController | undefined;

  constructor() {
    this.element.append(
      h('div', { class: 'view-head' }, h('h2', {}, 'Dashboard'), this.summary),
      this.status,
      this.grid,
    );
  }

  async show(_route: unknown, range: TimeRange): Promise<void> {
    this.request?.abort();
    const request = new AbortController();
    this.request = request;
    try {
      const dashboard = await getJson<DashboardData>('/api/dashboard', rangeParams(range), request.signal);
      this.status.replaceChildren();
      const started = performance.now();
      keepingScroll(() => this.render(dashboard));
      // How long building the widgets took, for a look at the page's speed.
      this.element.dataset.renderMs = (performance.now() - started).toFixed(1);
    } catch (error) {
      if (!isAbort(error)) this.status.replaceChildren(errorNote(describeError(error)));
    }
  }

  private render(dashboard: DashboardData): void {
    this.summary.textContent = `${dashboard.name} · read ${formatDateTime(dashboard.renderedAt)}`;
    const next = new Map<string, WidgetCard>();
    dashboard.widgets.forEach((widget, index) => {
      const key = widgetKey(widget, index);
      const card = this.cards.get(key) ?? new WidgetCard(widget);
      this.cards.delete(key);
      next.set(key, card);
    });
    for (const stale of this.cards.values()) stale.destroy();
    this.cards = next;
    this.grid.replaceChildren(...[...next.values()].map((card) => card.element));
    if (dashboard.widgets.length === 0)
      this.grid.append(h('p', { class: 'empty' }, 'The dashboard has no widgets.'));
    dashboard.widgets.forEach((widget, index) => {
      this.cards.get(widgetKey(widget, index))?.update(widget);
    });
  }
}
