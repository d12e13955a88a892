/** The traces view's filter bar; its state lives in the URL hash (`#/traces?route=…&node=…`). */
import { h } from './elements';

/** The `/api/traces` parameters the bar sets, as they appear in the hash. */
export const FILTER_PARAMS = [
  'route',
  'status',
  'minMs',
  'maxMs',
  'outcome',
  'cold',
  'traceId',
  'node',
  'edge',
] as const;

function select(name: string, label: string, choices: readonly [string, string][]): HTMLSelectElement {
  return h(
    'select',
    { name, 'aria-label': label },
    ...choices.map(([value, text]) => h('option', { value }, text)),
  );
}

export class TraceFilters {
  readonly element: HTMLFormElement;
  private readonly route: HTMLSelectElement;
  private readonly chips = h('span', { class: 'chips' });
  private params = new URLSearchParams();

  /** `onApply` gets the new filter when the operator changes it. */
  constructor(private readonly onApply: (params: URLSearchParams) => void) {
    this.route = select('route', 'Route', [['', 'Any route']]);
    const input = (name: string, label: string, attrs: Record<string, string>) =>
      h('label', {}, label, h('input', { name, ...attrs }));
    this.element = h(
      'form',
      { class: 'filter-bar', 'aria-label': 'Trace filter', onsubmit: (event: Event) => this.submit(event) },
      h('label', {}, 'Route', this.route),
      input('status', 'Status', {
        type: 'text',
        pattern: '[1-5]([0-9][0-9]|xx)',
        title: 'A status (404) or a class (5xx)',
        placeholder: '404, 5xx',
        class: 'narrow',
      }),
      input('minMs', 'Min ms', { type: 'number', min: '0', placeholder: '0', class: 'narrow' }),
      input('maxMs', 'Max ms', { type: 'number', min: '0', placeholder: '∞', class: 'narrow' }),
      h(
        'label',
        {},
        'Outcome',
        select('outcome', 'Outcome', [
          ['', 'Any'],
          ['fault', 'Fault (5xx)'],
          ['error', 'Error (4xx)'],
          ['throttle', 'Throttle'],
          ['ok', 'OK'],
        ]),
      ),
      h(
        'label',
        {},
        'Cold start',
        select('cold', 'Cold start', [
          ['', 'Any'],
          ['true', 'Yes'],
          ['false', 'No'],
        ]),
      ),
      input('traceId', 'Trace id', { type: 'search', placeholder: '1-…', class: 'wide' }),
      h('button', { type: 'submit' }, 'Apply'),
      h('button', { type: 'button', onclick: () => this.onApply(new URLSearchParams()) }, 'Clear'),
      this.chips,
    );
    this.element.addEventListener('change', (event) => {
      if ((event.target as HTMLElement).tagName === 'SELECT') this.element.requestSubmit();
    });
  }

  /** Shows `params` in the bar. */
  set(params: URLSearchParams): void {
    this.params = params;
    for (const name of FILTER_PARAMS) {
      const field = this.element.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null;
      if (field && document.activeElement !== field) field.value = params.get(name) ?? '';
    }
    this.chips.replaceChildren(
      ...(['node', 'edge'] as const).flatMap((name) => {
        const value = params.get(name);
        if (!value) return [];
        const remove = () => {
          const next = new URLSearchParams(this.params);
          next.delete(name);
          this.onApply(next);
        };
        return [
          h(
            'span',
            { class: 'chip', 'data-testid': 'filter-chip', 'data-filter': name },
            `${name}: ${value}`,
            h('button', { type: 'button', 'aria-label': `Remove ${name} filter`, onclick: remove }, '×'),
          ),
        ];
      }),
    );
  }

  /** Offers the routes seen in the range, keeping the chosen one. */
  setRoutes(routes: readonly string[]): void {
    const chosen = this.params.get('route') ?? '';
    const all = chosen && !routes.includes(chosen) ? [...routes, chosen] : routes;
    const current = [...this.route.options].map((option) => option.value).slice(1);
    if (current.join('\n') === all.join('\n')) return;
    this.route.replaceChildren(
      h('option', { value: '' }, 'Any route'),
      ...all.map((r) => h('option', { value: r }, r)),
    );
    this.route.value = chosen;
  }

  private submit(event: Event): void {
    event.preventDefault();
    const next = new URLSearchParams();
    const form = new FormData(this.element);
    for (const name of FILTER_PARAMS) {
      const value = String(form.get(name) ?? this.params.get(name) ?? '').trim();
      if (value) next.set(name, value);
    }
    this.onApply(next);
  }
}
