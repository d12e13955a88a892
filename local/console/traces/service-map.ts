/**
 * The service map of a range, as X-Ray draws it: Client → HTTP API → the Lambda service → the
 * function (one node per version when several versions ran in the range) → each downstream
 * service, every node and edge with its requests, latency percentiles and outcome shares.
 */
import type { HealthStats, MapEdge, MapNode, MapNodeType, ServiceMap, TimeRange } from '../console-api';
import type { Outcome } from './segment-facts';
import type { NodeRef, SummedTrace } from './trace-summary';

/** Left to right, as the map reads. */
const TYPE_ORDER: readonly MapNodeType[] = [
  'client',
  'AWS::ApiGatewayV2::Api',
  'AWS::Lambda',
  'AWS::Lambda::Function',
  'AWS::DynamoDB::Table',
  'remote',
];

interface Measured extends Outcome {
  readonly latencyMs: number | undefined;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], share: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))];
}

/** Requests, p50/p99 and shares of a set of requests; the colour is the worst share that is not zero. */
function healthOf(requests: readonly Measured[]): HealthStats {
  const count = requests.length;
  if (count === 0) return { requests: 0, errorShare: 0, faultShare: 0, throttleShare: 0, health: 'idle' };
  let faults = 0;
  let errors = 0;
  let throttles = 0;
  const latencies: number[] = [];
  for (const request of requests) {
    if (request.fault) faults += 1;
    if (request.error) errors += 1;
    if (request.throttle) throttles += 1;
    if (request.latencyMs !== undefined) latencies.push(request.latencyMs);
  }
  latencies.sort((a, b) => a - b);
  const p50Ms = percentile(latencies, 0.5);
  const p99Ms = percentile(latencies, 0.99);
  return {
    requests: count,
    ...(p50Ms === undefined ? {} : { p50Ms }),
    ...(p99Ms === undefined ? {} : { p99Ms }),
    errorShare: errors / count,
    faultShare: faults / count,
    throttleShare: throttles / count,
    health: faults > 0 ? 'fault' : throttles > 0 ? 'throttle' : errors > 0 ? 'error' : 'ok',
  };
}

/**
 * How a trace's node id shows on the map of a range: a function's versioned id collapses to the
 * function's own when only one version ran in the range.
 */
function nodeIdsOnMap(traces: readonly SummedTrace[]): (id: string) => string {
  const versions = new Map<string, Set<string>>();
  for (const trace of traces) {
    for (const node of trace.nodes) {
      if (node.type !== 'AWS::Lambda::Function') continue;
      const seen = versions.get(node.base) ?? new Set<string>();
      seen.add(node.version ?? '');
      versions.set(node.base, seen);
    }
  }
  const collapsed = new Map<string, string>();
  for (const trace of traces) {
    for (const node of trace.nodes) {
      if (node.id !== node.base && (versions.get(node.base)?.size ?? 0) <= 1)
        collapsed.set(node.id, node.base);
    }
  }
  return (id) => collapsed.get(id) ?? id;
}

/** The map of the traces that started in `range` (the caller picks them). */
export function buildServiceMap(range: TimeRange, traces: readonly SummedTrace[]): ServiceMap {
  const onMap = nodeIdsOnMap(traces);
  const nodes = new Map<string, NodeRef>();
  // Samples are grouped by their own key first (one map lookup each); the few groups are then
  // merged under the ids the map shows, so a range of 10,000 traces costs one pass.
  const groups = new Map<string, { from?: string; to: string; requests: Measured[] }>();
  for (const trace of traces) {
    for (const node of trace.nodes) {
      const id = onMap(node.id);
      if (nodes.has(id)) continue;
      const { version: _version, ...versionless } = node;
      nodes.set(id, id === node.id ? node : { ...versionless, id });
    }
    for (const sample of trace.samples) {
      let group = groups.get(sample.key);
      if (!group) {
        group = { ...(sample.from === undefined ? {} : { from: sample.from }), to: sample.to, requests: [] };
        groups.set(sample.key, group);
      }
      group.requests.push(sample);
    }
  }
  const nodeRequests = new Map<string, Measured[]>();
  const edgeRequests = new Map<string, { from: string; to: string; requests: Measured[] }>();
  for (const group of groups.values()) {
    const to = onMap(group.to);
    if (group.from === undefined) {
      nodeRequests.set(to, [...(nodeRequests.get(to) ?? []), ...group.requests]);
      continue;
    }
    const from = onMap(group.from);
    const id = `${from}->${to}`;
    const edge = edgeRequests.get(id) ?? { from, to, requests: [] };
    edge.requests = edge.requests.concat(group.requests);
    edgeRequests.set(id, edge);
  }
  const rank = (node: NodeRef) => TYPE_ORDER.indexOf(node.type);
  const mapNodes: MapNode[] = [...nodes.values()]
    .sort(
      (a, b) =>
        rank(a) - rank(b) ||
        a.name.localeCompare(b.name) ||
        (a.version ?? '').localeCompare(b.version ?? '', 'en', { numeric: true }),
    )
    .map((node) => ({
      id: node.id,
      name: node.name,
      type: node.type,
      ...(node.version === undefined ? {} : { version: node.version }),
      stats: healthOf(nodeRequests.get(node.id) ?? []),
    }));
  const order = new Map(mapNodes.map((node, index) => [node.id, index]));
  const mapEdges: MapEdge[] = [...edgeRequests.entries()]
    .sort(
      ([, a], [, b]) =>
        (order.get(a.from) ?? 0) - (order.get(b.from) ?? 0) ||
        (order.get(a.to) ?? 0) - (order.get(b.to) ?? 0),
    )
    .map(([id, edge]) => ({ id, from: edge.from, to: edge.to, stats: healthOf(edge.requests) }));
  return { range, nodes: mapNodes, edges: mapEdges, traceCount: traces.length };
}
