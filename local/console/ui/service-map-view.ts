/**
 * The service map: X-Ray's nodes and edges laid out left to right by dagre and drawn as SVG.
 * Each node is a circle ringed by its outcome shares, coloured by its health; a node or an edge
 * opens the traces that pass through it.
 */
import dagre from '@dagrejs/dagre';
import type { HealthStats, MapEdge, MapNode, MapNodeType, ServiceMap, TimeRange } from '../console-api';
import { describeError, getJson, isAbort, rangeParams } from './api-client';
import { errorNote, h, s } from './elements';
import { formatCount, formatMs, formatShare } from './formatting';
import { navigate } from './route';
import type { View } from './view';

const NODE_WIDTH = 190;
const NODE_HEIGHT = 148;
const RADIUS = 30;
const RING = 6;

const TYPE_LABELS: Readonly<Record<MapNodeType, { label: string; icon: string }>> = {
  client: { label: 'Client', icon: 'Client' },
  'AWS::ApiGatewayV2::Api': { label: 'API Gateway HTTP API', icon: 'API' },
  'AWS::Lambda': { label: 'Lambda service', icon: 'λ' },
  'AWS::Lambda::Function': { label: 'Lambda function', icon: 'ƒ' },
  'AWS::DynamoDB::Table': { label: 'DynamoDB table', icon: 'DDB' },
  remote: { label: 'Remote', icon: '↗' },
};

const nodeTitle = (node: MapNode) => (node.version ? `${node.name} (v${node.version})` : node.name);

function statsLines(stats: HealthStats): string[] {
  const lines = [
    `${formatCount(stats.requests)} req · p50 ${formatMs(stats.p50Ms)} · p99 ${formatMs(stats.p99Ms)}`,
  ];
  lines.push(
    `err ${formatShare(stats.errorShare)} · fault ${formatShare(stats.faultShare)} · thr ${formatShare(stats.throttleShare)}`,
  );
  return lines;
}

/** The ring's arcs: the healthy share, then error, throttle and fault, clockwise from the top. */
function ring(stats: HealthStats): SVGElement {
  const group = s('g', { class: 'ring' });
  const circumference = 2 * Math.PI * RADIUS;
  const ok = Math.max(0, 1 - stats.errorShare - stats.faultShare - stats.throttleShare);
  const parts: [string, number][] = [
    [stats.requests === 0 ? 'idle' : 'ok', stats.requests === 0 ? 1 : ok],
    ['error', stats.errorShare],
    ['throttle', stats.throttleShare],
    ['fault', stats.faultShare],
  ];
  let offset = 0;
  for (const [health, share] of parts) {
    if (share <= 0) continue;
    const length = share * circumference;
    group.append(
      s('circle', {
        r: RADIUS,
        class: `arc health-${health}`,
        'stroke-width': RING,
        'stroke-dasharray': `${length} ${circumference - length}`,
        'stroke-dashoffset': -offset,
        transform: 'rotate(-90)',
      }),
    );
    offset += length;
  }
  return group;
}

function activateOnEnter(element: Element, action: () => void): void {
  element.addEventListener('click', action);
  element.addEventListener('keydown', (event) => {
    const key = (event as KeyboardEvent).key;
    if (key === 'Enter' || key === ' ') {
      event.preventDefault();
      action();
    }
  });
}

function drawNode(node: MapNode, { x, y }: Point): SVGElement {
  const type = TYPE_LABELS[node.type] ?? { label: node.type, icon: '?' };
  const lines = statsLines(node.stats);
  const group = s(
    'g',
    {
      class: `map-node health-${node.stats.health}`,
      transform: `translate(${x},${y})`,
      tabindex: 0,
      role: 'button',
      'aria-label': `${nodeTitle(node)}, ${type.label}, ${lines.join(', ')}. Show traces`,
      'data-testid': 'map-node',
      'data-node-id': node.id,
      'data-node-type': node.type,
      'data-requests': node.stats.requests,
      'data-health': node.stats.health,
    },
    s('title', {}, `${nodeTitle(node)} — ${type.label}\n${lines.join('\n')}\nhealth: ${node.stats.health}`),
    s('circle', { r: RADIUS + RING + 4, class: 'focus-ring' }),
    s('circle', { r: RADIUS, class: 'body' }),
    ring(node.stats),
    s('text', { class: 'icon', 'text-anchor': 'middle', dy: '0.35em' }, type.icon),
    s('text', { class: 'name', 'text-anchor': 'middle', y: RADIUS + 22 }, nodeTitle(node)),
    s('text', { class: 'type', 'text-anchor': 'middle', y: RADIUS + 37 }, type.label),
    ...lines.map((line, index) =>
      s('text', { class: 'stats', 'text-anchor': 'middle', y: RADIUS + 53 + index * 14 }, line),
    ),
  );
  activateOnEnter(group, () => navigate('traces', undefined, new URLSearchParams({ node: node.id })));
  return group;
}

interface Point {
  readonly x: number;
  readonly y: number;
}

/** Where a node's circle sits: the top of its box, with the words below it. */
const circleCentre = (box: Point): Point => ({ x: box.x, y: box.y - NODE_HEIGHT / 2 + RADIUS + RING });

/** A curve from the right of one circle to the left of the next, and its midpoint for the label. */
function edgePath(from: Point, to: Point): { d: string; label: Point } {
  const reach = RADIUS + RING + 2;
  const start = { x: from.x + reach, y: from.y };
  const end = { x: to.x - reach - 2, y: to.y };
  const bend = (end.x - start.x) / 2;
  return {
    d: `M${start.x},${start.y} C${start.x + bend},${start.y} ${end.x - bend},${end.y} ${end.x},${end.y}`,
    label: { x: (start.x + end.x) / 2, y: (start.y + end.y) / 2 },
  };
}

function drawEdge(edge: MapEdge, from: Point, to: Point): SVGElement {
  const { d, label } = edgePath(from, to);
  const text = `${formatCount(edge.stats.requests)} req`;
  const group = s(
    'g',
    {
      class: `map-edge health-${edge.stats.health}`,
      tabindex: 0,
      role: 'button',
      'aria-label': `${edge.from} to ${edge.to}, ${text}. Show traces`,
      'data-testid': 'map-edge',
      'data-edge-id': edge.id,
      'data-from': edge.from,
      'data-to': edge.to,
      'data-requests': edge.stats.requests,
    },
    s('title', {}, `${edge.from} → ${edge.to}\n${statsLines(edge.stats).join('\n')}`),
    s('path', { d, class: 'hit' }),
    s('path', { d, class: 'line', 'marker-end': 'url(#arrow)' }),
    s('rect', { x: label.x - 34, y: label.y - 9, width: 68, height: 18, rx: 9, class: 'label-bg' }),
    s('text', { x: label.x, y: label.y, dy: '0.35em', 'text-anchor': 'middle', class: 'label' }, text),
  );
  activateOnEnter(group, () => navigate('traces', undefined, new URLSearchParams({ edge: edge.id })));
  return group;
}

/** Lays the map out with dagre and draws it as SVG. */
function drawMap(map: ServiceMap): SVGSVGElement {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'LR', nodesep: 36, ranksep: 110, marginx: 20, marginy: 20 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of map.nodes) graph.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  const known = new Set(map.nodes.map((node) => node.id));
  const edges = map.edges.filter((edge) => known.has(edge.from) && known.has(edge.to));
  for (const edge of edges) {
    graph.setEdge(edge.from, edge.to, {}, edge.id);
  }
  dagre.layout(graph);
  const { width = 400, height = 200 } = graph.graph();
  const svg = s(
    'svg',
    { class: 'service-map', viewBox: `0 0 ${width} ${height}`, width, height, role: 'group' },
    s(
      'defs',
      {},
      s(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 10,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto',
        },
        s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow-head' }),
      ),
    ),
  );
  const centres = new Map(map.nodes.map((node) => [node.id, circleCentre(graph.node(node.id))]));
  for (const edge of edges) svg.append(drawEdge(edge, centres.get(edge.from)!, centres.get(edge.to)!));
  for (const node of map.nodes) svg.append(drawNode(node, centres.get(node.id)!));
  return svg;
}

function legend(): HTMLElement {
  const entries: [string, string][] = [
    ['ok', 'OK'],
    ['error', 'Error (4xx)'],
    ['throttle', 'Throttle (429)'],
    ['fault', 'Fault (5xx)'],
    ['idle', 'No requests'],
  ];
  return h(
    'ul',
    { class: 'map-legend' },
    ...entries.map(([health, label]) => h('li', {}, h('span', { class: `swatch health-${health}` }), label)),
  );
}

export class ServiceMapView implements View {
  readonly element = h('section', { class: 'view map-view' });
  private readonly summary = h('p', { class: 'view-summary' });
  private readonly canvas = h('div', { class: 'map-canvas' }, h('p', { class: 'empty' }, 'Loading…'));
  private request: AbortController | undefined;

  constructor() {
    this.element.append(h('div', { class: 'view-head' }, h('h2', {}, 'Service map'), this.summary, legend()));
    this.element.append(this.canvas);
  }

  async show(_route: unknown, range: TimeRange): Promise<void> {
    this.request?.abort();
    const request = new AbortController();
    this.request = request;
    try {
      const map = await getJson<ServiceMap>('/api/service-map', rangeParams(range), request.signal);
      const focused = (document.activeElement as Element | null)?.getAttribute('data-node-id');
      this.summary.textContent = `${formatCount(map.traceCount)} traces · ${map.nodes.length} nodes`;
      if (map.nodes.length === 0) {
        this.canvas.replaceChildren(
          h('p', { class: 'empty' }, 'No traces in this range: call the API, then refresh.'),
        );
        return;
      }
      this.canvas.replaceChildren(drawMap(map));
      if (focused) this.canvas.querySelector<SVGElement>(`[data-node-id="${CSS.escape(focused)}"]`)?.focus();
    } catch (error) {
      if (!isAbort(error)) this.canvas.replaceChildren(errorNote(describeError(error)));
    }
  }
}
