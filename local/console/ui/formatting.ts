/** How numbers, durations and times read on the page. */

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A 0–1 share as a percentage. */
export function formatShare(share: number): string {
  if (share === 0) return '0%';
  const percent = share * 100;
  return percent < 1 ? `${percent.toFixed(2)}%` : `${percent.toFixed(1)}%`;
}

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** A value for a single-value widget: short, with a thousands separator. */
export function formatValue(value: number): string {
  if (Number.isInteger(value)) return formatCount(value);
  const magnitude = Math.abs(value);
  return value.toLocaleString('en-US', {
    maximumFractionDigits: magnitude >= 100 ? 0 : magnitude >= 1 ? 2 : 4,
  });
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** Local wall time with milliseconds: `14:03:07.120`. */
export function formatClock(epochMs: number): string {
  const date = new Date(epochMs);
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** Local date and time: `2026-11-30 14:03:07`. */
export function formatDateTime(epochMs: number): string {
  const date = new Date(epochMs);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** JSON for a details panel. */
export const prettyJson = (value: unknown): string => JSON.stringify(value, null, 2);
