/**
 * A trace's timeline: every segment and subsegment, embedded ones included, in tree order
 * (parents before children, siblings by start), as the X-Ray console's trace view lists them.
 */
import type { SegmentDocument } from '../../xray/trace-store';
import type { TimelineSpan } from '../console-api';

interface Node {
  readonly document: SegmentDocument;
  /** The embedding document's id, or the document's own `parent_id`. */
  readonly parentId: string | undefined;
  readonly children: Node[];
}

const ms = (seconds: number | undefined): number | undefined =>
  typeof seconds === 'number' && Number.isFinite(seconds) ? seconds * 1000 : undefined;

function spanOf(node: Node, depth: number): TimelineSpan {
  const { document } = node;
  return {
    id: document.id,
    ...(node.parentId === undefined ? {} : { parentId: node.parentId }),
    depth,
    name: document.name,
    ...(document.origin === undefined ? {} : { origin: document.origin }),
    ...(document.namespace === undefined ? {} : { namespace: document.namespace }),
    start: ms(document.start_time) ?? 0,
    ...(ms(document.end_time) === undefined ? {} : { end: ms(document.end_time) }),
    fault: document.fault === true,
    error: document.error === true,
    throttle: document.throttle === true,
    ...(document.http === undefined ? {} : { http: document.http }),
    ...(document.aws === undefined ? {} : { aws: document.aws }),
    ...(document.annotations === undefined ? {} : { annotations: document.annotations }),
    ...(document.metadata === undefined ? {} : { metadata: document.metadata }),
    ...(document.cause === undefined ? {} : { cause: document.cause }),
  };
}

/** The spans of a trace's documents (the latest copy of each), in tree order with depth. */
export function timelineOf(documents: readonly SegmentDocument[]): TimelineSpan[] {
  const byId = new Map<string, Node>();
  const top: Node[] = [];
  const visit = (document: SegmentDocument, parentId: string | undefined): Node => {
    const node: Node = { document, parentId, children: [] };
    byId.set(document.id, node);
    for (const sub of document.subsegments ?? []) node.children.push(visit(sub, document.id));
    return node;
  };
  for (const document of documents) top.push(visit(document, document.parent_id));
  const roots: Node[] = [];
  for (const node of top) {
    const parent = node.parentId === undefined ? undefined : byId.get(node.parentId);
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  const spans: TimelineSpan[] = [];
  const seen = new Set<Node>();
  const walk = (nodes: Node[], depth: number) => {
    nodes.sort((a, b) => a.document.start_time - b.document.start_time);
    for (const node of nodes) {
      // A parent_id cycle (a malformed document) must not loop forever.
      if (seen.has(node)) continue;
      seen.add(node);
      spans.push(spanOf(node, depth));
      walk(node.children, depth + 1);
    }
  };
  walk(roots, 0);
  return spans;
}
