/**
 * Trace trees from stored segment documents, as the X-Ray console's trace view shows them:
 * segments and subsegments nested by `parent_id` (subsegments sent on their own included),
 * with durations and fault/error/throttle flags.
 */
import type { SegmentDocument, StoredSegment } from './trace-store';

interface TraceNode {
  readonly document: SegmentDocument;
  readonly children: TraceNode[];
}

export interface TraceTree {
  readonly traceId: string;
  /** Epoch seconds of the earliest start. */
  readonly start: number;
  /** Epoch seconds of the latest end (or start for nodes still in progress). */
  readonly end: number;
  readonly roots: TraceNode[];
}

/** Groups stored documents into traces, oldest first. A document stored twice (in progress, then complete) counts once, the last copy. */
export function buildTraceTrees(stored: readonly StoredSegment[]): TraceTree[] {
  const byTrace = new Map<string, Map<string, SegmentDocument>>();
  for (const { document } of stored) {
    if (!document.trace_id) continue;
    const documents = byTrace.get(document.trace_id) ?? new Map<string, SegmentDocument>();
    byTrace.set(document.trace_id, documents);
    documents.set(document.id, document);
  }
  const trees: TraceTree[] = [];
  for (const [traceId, documents] of byTrace) {
    const nodes = new Map<string, TraceNode>();
    const parents = new Map<TraceNode, string | undefined>();
    const visit = (document: SegmentDocument, parentId: string | undefined): TraceNode => {
      const node: TraceNode = { document, children: [] };
      nodes.set(document.id, node);
      parents.set(node, parentId);
      for (const sub of document.subsegments ?? []) node.children.push(visit(sub, undefined));
      return node;
    };
    const top = [...documents.values()].map((document) => visit(document, document.parent_id));
    const roots: TraceNode[] = [];
    for (const node of top) {
      const parent = parents.get(node);
      const container = parent ? nodes.get(parent) : undefined;
      if (container && container !== node) container.children.push(node);
      else roots.push(node);
    }
    const sort = (list: TraceNode[]) => {
      list.sort((a, b) => a.document.start_time - b.document.start_time);
      for (const node of list) sort(node.children);
    };
    sort(roots);
    const all = [...nodes.values()].map((node) => node.document);
    trees.push({
      traceId,
      start: Math.min(...all.map((document) => document.start_time)),
      end: Math.max(...all.map((document) => document.end_time ?? document.start_time)),
      roots,
    });
  }
  return trees.sort((a, b) => a.start - b.start);
}

function label(document: SegmentDocument): string {
  const parts = [document.name];
  if (document.origin) parts.push(`(${document.origin})`);
  const aws = document.aws ?? {};
  if (document.namespace === 'aws' || typeof aws.operation === 'string') {
    const table = typeof aws.table_name === 'string' ? ` ${aws.table_name}` : '';
    if (typeof aws.operation === 'string') parts.push(`${aws.operation}${table}`);
  }
  const request = document.http?.request ?? {};
  if (typeof request.method === 'string')
    parts.push(`${request.method}${typeof request.url === 'string' ? ` ${request.url}` : ''}`);
  const status = document.http?.response?.status;
  if (typeof status === 'number') parts.push(String(status));
  const duration =
    document.end_time === undefined
      ? 'in progress'
      : `${((document.end_time - document.start_time) * 1000).toFixed(1)} ms`;
  parts.push(duration);
  const flags = (['fault', 'error', 'throttle'] as const).filter((flag) => document[flag] === true);
  if (flags.length > 0) parts.push(`[${flags.join(', ')}]`);
  return parts.join('  ');
}

/** Renders a trace as an indented tree, one node per line. */
export function renderTraceTree(tree: TraceTree): string {
  const lines = [
    `Trace ${tree.traceId}  ${new Date(tree.start * 1000).toISOString()}  ${((tree.end - tree.start) * 1000).toFixed(1)} ms`,
  ];
  const walk = (nodes: readonly TraceNode[], indent: string) => {
    nodes.forEach((node, index) => {
      const last = index === nodes.length - 1;
      lines.push(`${indent}${last ? '└─ ' : '├─ '}${label(node.document)}`);
      walk(node.children, `${indent}${last ? '   ' : '│  '}`);
    });
  };
  walk(tree.roots, '');
  return lines.join('\n');
}
