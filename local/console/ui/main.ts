/**
 * The operator console's page: four views behind keyboard-reachable tabs, addressed by the URL
 * hash, sharing one time range and auto-refresh.
 */
import { DashboardView } from './dashboard-view';
import { h } from './elements';
import { ReleasesView } from './releases-view';
import { parseRoute, type Route, VIEW_NAMES, type ViewName } from './route';
import { ServiceMapView } from './service-map-view';
import { TimeControls } from './time-controls';
import { TracesView } from './traces-view';
import type { View } from './view';

const TAB_LABELS: Readonly<Record<ViewName, string>> = {
  map: 'Service map',
  traces: 'Traces',
  dashboard: 'Dashboard',
  releases: 'Releases',
};

const views: Readonly<Record<ViewName, View>> = {
  map: new ServiceMapView(),
  traces: new TracesView(),
  dashboard: new DashboardView(),
  releases: new ReleasesView(),
};

let route: Route = parseRoute(window.location.hash);
/** The view's read in progress: a refresh tick waits for it rather than abort a slow read. */
let reading: Promise<void> | undefined;
const controls = new TimeControls((tick) => {
  if (tick && reading) return;
  void showRoute();
});

const tabs = VIEW_NAMES.map((name) =>
  h(
    'a',
    {
      role: 'tab',
      id: `tab-${name}`,
      href: `#/${name}`,
      'aria-controls': `panel-${name}`,
      'data-testid': `tab-${name}`,
    },
    TAB_LABELS[name],
  ),
);

const tablist = h('nav', { role: 'tablist', 'aria-label': 'Console views', class: 'tabs' }, ...tabs);
// Arrow keys move between tabs and open the one they reach, as the ARIA tabs pattern has it.
tablist.addEventListener('keydown', (event) => {
  const at = tabs.indexOf(event.target as HTMLAnchorElement);
  if (at < 0) return;
  const moves: Record<string, number> = {
    ArrowRight: at + 1,
    ArrowLeft: at - 1,
    Home: 0,
    End: tabs.length - 1,
  };
  const target = moves[event.key];
  if (target === undefined) return;
  event.preventDefault();
  const tab = tabs[(target + tabs.length) % tabs.length]!;
  tab.focus();
  tab.click();
});

const panels = VIEW_NAMES.map((name) =>
  h(
    'div',
    { role: 'tabpanel', id: `panel-${name}`, 'aria-labelledby': `tab-${name}`, hidden: true },
    views[name].element,
  ),
);

document.body.append(
  h('header', { class: 'top-bar' }, h('h1', {}, 'Todo API · operator console'), tablist, controls.element),
  h('main', {}, ...panels),
);

async function showRoute(): Promise<void> {
  VIEW_NAMES.forEach((name, index) => {
    const active = name === route.view;
    tabs[index]!.setAttribute('aria-selected', String(active));
    tabs[index]!.tabIndex = active ? 0 : -1;
    panels[index]!.hidden = !active;
  });
  document.title = `${TAB_LABELS[route.view]} · operator console`;
  const read = views[route.view].show(route, controls.range());
  reading = read;
  try {
    await read;
  } finally {
    if (reading === read) reading = undefined;
  }
}

window.addEventListener('hashchange', () => {
  route = parseRoute(window.location.hash);
  void showRoute();
});

void showRoute();
