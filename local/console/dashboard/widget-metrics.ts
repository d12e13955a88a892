/**
 * The `metrics` array of a metric widget in CloudWatch's compact form, expanded:
 * `[namespace, metricName, dimName, dimValue, ..., {options}]` for a metric,
 * `[{expression, label, id, ...}]` for metric math. As in the dashboard body syntax, a `"."`
 * repeats the value at the same place in the previous metric, and a `"..."` stands for the
 * previous metric's values between the ones written before it and the ones written after it
 * (`["...", "i-2"]` changes only the last dimension value; `["...", {"stat": "p99"}]` repeats the
 * whole metric with other options).
 */

/** The rendering options of one line (`id`, `visible`, `label`, `stat`, `period`, `yAxis`, `color`). */
interface LineOptions {
  readonly id?: string;
  /** `false` for a metric only an expression uses. @default true */
  readonly visible: boolean;
  readonly label?: string;
  readonly stat?: string;
  readonly period?: number;
  readonly yAxis?: 'left' | 'right';
  readonly color?: string;
}

export type WidgetLine =
  | {
      readonly kind: 'metric';
      readonly namespace: string;
      readonly metricName: string;
      readonly dimensions: Readonly<Record<string, string>>;
      readonly options: LineOptions;
    }
  | { readonly kind: 'expression'; readonly expression: string; readonly options: LineOptions };

/** A `metrics` entry that is neither a metric nor an expression. */
class WidgetMetricsError extends Error {
  override readonly name = 'WidgetMetricsError';
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionsOf = (record: Record<string, unknown>): LineOptions => ({
  visible: record.visible !== false,
  ...(typeof record.id === 'string' ? { id: record.id } : {}),
  ...(typeof record.label === 'string' ? { label: record.label } : {}),
  ...(typeof record.stat === 'string' ? { stat: record.stat } : {}),
  ...(typeof record.period === 'number' ? { period: record.period } : {}),
  ...(record.yAxis === 'right' || record.yAxis === 'left' ? { yAxis: record.yAxis } : {}),
  ...(typeof record.color === 'string' ? { color: record.color } : {}),
});

/** The values of a metric row with `.` and `...` replaced from the previous metric row. */
function expand(values: readonly string[], previous: readonly string[] | undefined, at: number): string[] {
  const needsPrevious = values.some((value) => value === '.' || value === '...');
  if (needsPrevious && previous === undefined)
    throw new WidgetMetricsError(`metrics[${at}]: "." or "..." with no metric before it`);
  const before = previous ?? [];
  const ellipsis = values.indexOf('...');
  let full: string[];
  if (ellipsis < 0) full = [...values];
  else {
    const leading = values.slice(0, ellipsis);
    const trailing = values.slice(ellipsis + 1);
    const middle = before.slice(leading.length, Math.max(leading.length, before.length - trailing.length));
    full = [...leading, ...middle, ...trailing];
  }
  return full.map((value, index) => (value === '.' ? (before[index] ?? value) : value));
}

/**
 * Expands a widget's `metrics` array.
 *
 * @example
 * widgetLines([['AWS/Lambda', 'Errors', 'FunctionName', 'a'], ['...', 'b', { stat: 'Sum' }]])
 * // → two metrics, FunctionName a and b, the second with stat Sum
 */
export function widgetLines(metrics: unknown): WidgetLine[] {
  if (!Array.isArray(metrics)) return [];
  const lines: WidgetLine[] = [];
  let previous: string[] | undefined;
  metrics.forEach((row: unknown, at) => {
    if (!Array.isArray(row)) throw new WidgetMetricsError(`metrics[${at}] is not an array`);
    const last = row.at(-1);
    const options = isRecord(last) ? last : {};
    const values = (isRecord(last) ? row.slice(0, -1) : row) as unknown[];
    if (values.length === 0) {
      if (typeof options.expression !== 'string')
        throw new WidgetMetricsError(`metrics[${at}] has neither a metric nor an expression`);
      lines.push({ kind: 'expression', expression: options.expression, options: optionsOf(options) });
      return;
    }
    if (!values.every((value) => typeof value === 'string'))
      throw new WidgetMetricsError(`metrics[${at}]: a metric's values must be strings`);
    const full = expand(values as string[], previous, at);
    previous = full;
    const [namespace, metricName, ...pairs] = full;
    if (namespace === undefined || metricName === undefined || pairs.length % 2 !== 0)
      throw new WidgetMetricsError(`metrics[${at}]: expected namespace, name and dimension name/value pairs`);
    const dimensions: Record<string, string> = {};
    for (let index = 0; index < pairs.length; index += 2)
      dimensions[pairs[index] as string] = pairs[index + 1] as string;
    lines.push({ kind: 'metric', namespace, metricName, dimensions, options: optionsOf(options) });
  });
  return lines;
}
