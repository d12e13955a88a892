/** What each kind of dashboard widget shows, except the time-series chart (time-chart.ts). */
import { Marked } from 'marked';
import type { AlarmStateView, Unavailable, WidgetView } from '../console-api';
import { h } from './elements';
import { formatValue } from './formatting';

type MetricWidget = Extract<WidgetView, { kind: 'metric' }>;
type LogWidget = Extract<WidgetView, { kind: 'log' }>;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

// The body's markdown is the stack's, but raw HTML in it is shown as text rather than trusted:
// a dashboard body is data, and the console must not run what it holds.
const markdown = new Marked({
  gfm: true,
  renderer: {
    html: ({ text }) => escapeHtml(text),
    link: ({ href, text }) => {
      const safe = /^(https?:|#|\/)/i.test(href) ? href : '#';
      return `<a href="${escapeHtml(safe)}" target="_blank" rel="noopener noreferrer">${escapeHtml(text)}</a>`;
    },
  },
});

export function textBody(source: string): HTMLElement {
  const body = h('div', { class: 'markdown' });
  body.innerHTML = markdown.parse(source, { async: false });
  return body;
}

export function unavailableNotes(entries: readonly Unavailable[]): HTMLElement | null {
  if (entries.length === 0) return null;
  return h(
    'ul',
    { class: 'unavailable', 'data-testid': 'unavailable' },
    ...entries.map((entry) => h('li', {}, `not served locally: ${entry.what} — ${entry.reason}`)),
  );
}

export function alarmBadge(alarm: AlarmStateView): HTMLElement {
  return h(
    'span',
    {
      class: `alarm-badge state-${alarm.state}`,
      title: alarm.reason,
      'data-testid': 'alarm-state',
      'data-alarm': alarm.name,
      'data-state': alarm.state,
    },
    alarm.state.replace('_', ' '),
  );
}

export function alarmList(alarms: readonly AlarmStateView[]): HTMLElement {
  if (alarms.length === 0) return h('p', { class: 'empty' }, 'No alarms.');
  return h(
    'ul',
    { class: 'alarm-list' },
    ...alarms.map((alarm) =>
      h(
        'li',
        {
          class: `state-${alarm.state}`,
          title: alarm.reason,
          'data-testid': 'alarm-state',
          'data-alarm': alarm.name,
          'data-state': alarm.state,
        },
        h('span', { class: 'alarm-dot', 'aria-hidden': 'true' }),
        h('span', { class: 'alarm-name' }, alarm.name),
        h('span', { class: 'alarm-state-text' }, alarm.state.replace('_', ' ')),
      ),
    ),
  );
}

export function singleValues(widget: MetricWidget): HTMLElement {
  return h(
    'div',
    { class: 'single-values' },
    ...widget.series.map((series) => {
      let latest: number | null = null;
      for (let index = series.values.length - 1; index >= 0 && latest === null; index--) {
        latest = series.values[index] ?? null;
      }
      return h(
        'div',
        { class: 'single-value' },
        h(
          'div',
          { class: 'value', style: series.color ? `color:${series.color}` : undefined },
          latest === null ? '–' : formatValue(latest),
        ),
        h('div', { class: 'label' }, series.label),
      );
    }),
  );
}

export function logTable(widget: LogWidget): HTMLElement {
  if (widget.rows.length === 0) {
    return h('p', { class: 'empty' }, `No rows for ${widget.logGroups.join(', ') || 'the query'}.`);
  }
  return h(
    'table',
    { class: 'data-table log-widget' },
    h('thead', {}, h('tr', {}, ...widget.columns.map((column) => h('th', {}, column)))),
    h(
      'tbody',
      {},
      ...widget.rows.map((row) =>
        h('tr', {}, ...widget.columns.map((column) => h('td', {}, row[column] ?? ''))),
      ),
    ),
  );
}
