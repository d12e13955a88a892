/** What main.ts asks of each view. */
import type { TimeRange } from '../console-api';
import type { Route } from './route';

export interface View {
  /** The view's panel; built once, kept while other views show. */
  readonly element: HTMLElement;
  /**
   * Shows `route` over `range`. Called on navigation, on range changes and on every
   * auto-refresh tick: a view updates what it has rather than starting from scratch.
   */
  show(route: Route, range: TimeRange): Promise<void>;
}
