/**
 * Whether a dashboard widget has something to show. Kept apart from the DOM-building bodies so
 * the end-to-end test can judge the console's own view by the rule the page applies.
 */
import type { WidgetView } from '../console-api';

/** True when a widget has something to show: a value, a row or an alarm. */
export function hasData(widget: WidgetView): boolean {
  switch (widget.kind) {
    case 'metric':
      return widget.series.some((series) => series.values.some((value) => value !== null));
    case 'alarm-status':
      return widget.alarms.length > 0;
    case 'log':
      return widget.rows.length > 0;
    case 'text':
      return widget.markdown.trim() !== '';
    case 'unsupported':
      return false;
  }
}
