import { describe, expect, it } from 'vitest';
import type { StoredSegment } from '../../local/xray/trace-store';
import { buildTraceTrees, renderTraceTree } from '../../local/xray/trace-tree';

const trace = '1-5759e988-bd862e3fe1be46a994272793';
const stored = (document: StoredSegment['document']): StoredSegment => ({
  received: new Date().toISOString(),
  source: 'put-trace-segments',
  document,
});

describe('trace trees', () => {
  it('nests the function segment under the Lambda service segment and separately sent subsegments under their parent', () => {
    // Prepare
    const segments = [
      stored({
        name: 'todos',
        id: 'aaaaaaaaaaaaaaaa',
        trace_id: trace,
        origin: 'AWS::Lambda',
        start_time: 100,
        end_time: 100.05,
      }),
      stored({
        name: 'todos',
        id: 'bbbbbbbbbbbbbbbb',
        trace_id: trace,
        parent_id: 'aaaaaaaaaaaaaaaa',
        origin: 'AWS::Lambda::Function',
        start_time: 100.001,
        end_time: 100.049,
        subsegments: [{ name: 'Invocation', id: 'cccccccccccccccc', start_time: 100.002, end_time: 100.04 }],
      }),
      stored({
        name: 'DynamoDB',
        id: 'dddddddddddddddd',
        trace_id: trace,
        type: 'subsegment',
        parent_id: 'bbbbbbbbbbbbbbbb',
        namespace: 'aws',
        aws: { operation: 'Query', table_name: 'todos' },
        start_time: 100.01,
        end_time: 100.02,
        throttle: true,
        error: true,
      }),
    ];

    // Act
    const [tree] = buildTraceTrees(segments);
    const text = renderTraceTree(tree!);

    // Assess
    expect(tree!.roots).toHaveLength(1);
    expect(tree!.roots[0]!.children.map((node) => node.document.name)).toEqual(['todos']);
    expect(tree!.roots[0]!.children[0]!.children.map((node) => node.document.name)).toEqual([
      'Invocation',
      'DynamoDB',
    ]);
    expect(text).toContain('└─ DynamoDB  Query todos  10.0 ms  [error, throttle]');
    expect(text.split('\n')[0]).toContain(`Trace ${trace}`);
  });
});
