/** The time range and auto-refresh pickers in the header, shared by every view. */
import type { TimeRange } from '../console-api';
import { h } from './elements';

const MINUTE_MS = 60_000;

const PRESETS: Readonly<Record<string, number>> = {
  '15m': 15 * MINUTE_MS,
  '1h': 60 * MINUTE_MS,
  '3h': 180 * MINUTE_MS,
  '12h': 720 * MINUTE_MS,
};

const REFRESH_CHOICES: readonly [string, number][] = [
  ['Off', 0],
  ['10 s', 10_000],
  ['30 s', 30_000],
  ['1 min', 60_000],
];

/** `datetime-local` wants local time without a zone. */
function toLocalInput(epochMs: number): string {
  const date = new Date(epochMs - new Date(epochMs).getTimezoneOffset() * MINUTE_MS);
  return date.toISOString().slice(0, 16);
}

export class TimeControls {
  readonly element: HTMLElement;
  private readonly preset: HTMLSelectElement;
  private readonly from: HTMLInputElement;
  private readonly to: HTMLInputElement;
  private readonly customFields: HTMLElement;
  private readonly refreshSelect: HTMLSelectElement;
  private timer: ReturnType<typeof setInterval> | undefined;

  /** `onChange` runs when the range changes (`tick` false) and on every auto-refresh tick. */
  constructor(private readonly onChange: (tick: boolean) => void) {
    this.preset = h(
      'select',
      { 'aria-label': 'Time range', 'data-testid': 'range-select', onchange: () => this.presetChanged() },
      h('option', { value: '15m' }, 'Last 15 min'),
      h('option', { value: '1h' }, 'Last 1 h'),
      h('option', { value: '3h' }, 'Last 3 h'),
      h('option', { value: '12h' }, 'Last 12 h'),
      h('option', { value: 'custom' }, 'Custom…'),
    );
    this.from = h('input', {
      type: 'datetime-local',
      'aria-label': 'From',
      onchange: () => this.onChange(false),
    });
    this.to = h('input', {
      type: 'datetime-local',
      'aria-label': 'To',
      onchange: () => this.onChange(false),
    });
    this.customFields = h('span', { class: 'custom-range', hidden: true }, this.from, '→', this.to);
    this.refreshSelect = h(
      'select',
      { 'aria-label': 'Auto-refresh', 'data-testid': 'refresh-select', onchange: () => this.restartTimer() },
      ...REFRESH_CHOICES.map(([label, ms]) => h('option', { value: ms }, label)),
    );
    const refreshNow = h('button', { type: 'button', onclick: () => this.onChange(false) }, 'Refresh');
    this.element = h(
      'div',
      { class: 'time-controls' },
      h('label', {}, 'Range ', this.preset),
      this.customFields,
      h('label', {}, 'Auto-refresh ', this.refreshSelect),
      refreshNow,
    );
  }

  /** The range to read now: presets end at this moment. */
  range(): TimeRange {
    if (this.preset.value === 'custom') {
      const from = new Date(this.from.value).getTime();
      const to = new Date(this.to.value).getTime();
      if (Number.isFinite(from) && Number.isFinite(to) && from < to) return { from, to };
    }
    const span = PRESETS[this.preset.value] ?? PRESETS['15m']!;
    const to = Date.now();
    return { from: to - span, to };
  }

  private presetChanged(): void {
    const custom = this.preset.value === 'custom';
    if (custom && !this.from.value) {
      const to = Date.now();
      this.from.value = toLocalInput(to - 60 * MINUTE_MS);
      this.to.value = toLocalInput(to);
    }
    this.customFields.hidden = !custom;
    this.onChange(false);
  }

  private restartTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const every = Number(this.refreshSelect.value);
    if (every > 0) this.timer = setInterval(() => this.onChange(true), every);
  }
}
