/**
 * One trace as X-Ray's timeline draws it: every segment and subsegment a bar placed by its start
 * and end relative to the trace's start, indented by depth; a span's details on click; the
 * request's log lines below.
 */
import type { LogLine, TimelineSpan, TraceDetail } from '../console-api';
import { h } from './elements';
import { formatClock, formatMs, prettyJson } from './formatting';

function outcome(span: TimelineSpan): string {
  if (span.fault) return 'fault';
  if (span.throttle) return 'throttle';
  if (span.error) return 'error';
  return 'ok';
}

/** `DynamoDB · Query` for a call to an AWS service, as X-Ray labels it. */
function awsCall(span: TimelineSpan): string | undefined {
  if (span.namespace !== 'aws') return undefined;
  const operation = span.aws?.operation;
  return typeof operation === 'string' ? `${span.name} · ${operation}` : span.name;
}

function spanDetails(span: TimelineSpan, traceStart: number): HTMLElement {
  const facts: [string, string][] = [
    ['Name', span.name],
    ['Id', span.id],
    ['Origin', span.origin ?? '–'],
    ['Namespace', span.namespace ?? '–'],
    ['Starts at', `+${formatMs(span.start - traceStart)}`],
    ['Duration', span.end === undefined ? 'in progress' : formatMs(span.end - span.start)],
    ['Outcome', outcome(span)],
  ];
  const sections: [string, unknown][] = [
    ['Annotations', span.annotations],
    ['Metadata', span.metadata],
    ['HTTP', span.http],
    ['AWS', span.aws],
    ['Cause', span.cause],
  ];
  return h(
    'div',
    { class: 'span-details', 'data-testid': 'span-details', 'data-span-id': span.id },
    h('dl', {}, ...facts.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])),
    ...sections
      .filter(([, value]) => value !== undefined)
      .map(([title, value]) =>
        h('section', {}, h('h4', {}, title), h('pre', { class: 'json' }, prettyJson(value))),
      ),
  );
}

function logTable(logs: readonly LogLine[]): HTMLElement {
  if (logs.length === 0) return h('p', { class: 'empty' }, 'No log lines for this request.');
  return h(
    'table',
    { class: 'data-table log-lines', 'data-testid': 'trace-logs' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Stream'), h('th', {}, 'Message'))),
    h(
      'tbody',
      {},
      ...logs.map((line) =>
        h(
          'tr',
          {},
          h('td', { class: 'num' }, formatClock(line.timestamp)),
          h(
            'td',
            { class: 'stream', title: line.logStream },
            line.logStream.split('/').pop() ?? line.logStream,
          ),
          h('td', {}, h('pre', {}, line.message)),
        ),
      ),
    ),
  );
}

/** The trace's timeline, details pane and logs. */
export function traceTimeline(detail: TraceDetail): HTMLElement {
  const { spans, summary } = detail;
  const start = Math.min(summary.startTime, ...spans.map((span) => span.start));
  const ends = spans.map((span) => span.end ?? span.start);
  const total = Math.max(summary.durationMs, Math.max(start, ...ends) - start, 0.001);
  const inProgress = spans.some((span) => span.end === undefined);
  const details = h(
    'div',
    { class: 'span-details-pane' },
    h('p', { class: 'hint' }, 'Select a span for its details.'),
  );
  const rows = h('div', { class: 'timeline', role: 'list' });
  const axis = h(
    'div',
    { class: 'timeline-row timeline-axis', 'aria-hidden': 'true' },
    h('span', { class: 'span-label' }, 'Span'),
    h(
      'span',
      { class: 'span-track' },
      ...[0, 0.25, 0.5, 0.75, 1].map((at) =>
        h('span', { class: 'tick', style: `left:${at * 100}%` }, formatMs(at * total)),
      ),
    ),
  );
  rows.append(axis);
  for (const span of spans) {
    const end = span.end ?? start + total;
    const left = ((span.start - start) / total) * 100;
    const width = Math.max(((end - span.start) / total) * 100, 0.3);
    const call = awsCall(span);
    const label = span.end === undefined ? 'in progress' : formatMs(span.end - span.start);
    const row = h(
      'div',
      {
        class: `timeline-row outcome-${outcome(span)}`,
        role: 'listitem',
        tabindex: 0,
        'data-testid': 'timeline-span',
        'data-span-id': span.id,
        'data-name': span.name,
        'data-namespace': span.namespace ?? '',
        'data-depth': span.depth,
      },
      h(
        'span',
        { class: 'span-label', style: `padding-left:${span.depth * 14 + 4}px` },
        call ? h('span', { class: 'aws-call', title: 'AWS service call' }, call) : span.name,
        span.origin ? h('span', { class: 'origin' }, span.origin) : null,
      ),
      h(
        'span',
        { class: 'span-track' },
        h('span', {
          class: 'span-bar',
          style: `left:${left}%;width:${Math.min(width, 100 - left)}%`,
        }),
        // Past the track's last eighth the label goes inside the bar's end, where it fits.
        left + width > 88
          ? h(
              'span',
              { class: 'span-duration inside', style: `right:${Math.max(100 - left - width, 0)}%` },
              label,
            )
          : h('span', { class: 'span-duration', style: `left:${left + width}%` }, label),
      ),
    );
    const select = () => {
      for (const other of rows.querySelectorAll('.selected')) other.classList.remove('selected');
      row.classList.add('selected');
      details.replaceChildren(spanDetails(span, start));
    };
    row.addEventListener('click', select);
    row.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        select();
      }
    });
    rows.append(row);
  }
  const head = [
    summary.method,
    summary.route,
    summary.status !== undefined ? String(summary.status) : undefined,
    formatMs(summary.durationMs),
    summary.version ? `version ${summary.version}` : undefined,
    summary.coldStart ? 'cold start' : undefined,
  ].filter(Boolean);
  return h(
    'article',
    {
      class: 'trace',
      'data-testid': 'trace-detail',
      'data-trace-id': summary.traceId,
      'data-in-progress': String(inProgress),
    },
    h('h3', {}, `Trace ${summary.traceId}`),
    h(
      'p',
      { class: 'trace-facts' },
      head.join(' · '),
      summary.requestId ? ` · request ${summary.requestId}` : '',
    ),
    h('div', { class: 'trace-body' }, rows, details),
    h('h4', {}, 'Log lines'),
    logTable(detail.logs),
  );
}
