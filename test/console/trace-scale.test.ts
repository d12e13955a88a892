import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceIndex } from '../../local/console/traces/trace-index';
import { parseTraceQuery } from '../../local/console/traces/trace-query';
import {
  appendGeneratedRequests,
  appendSegments,
  generatedRequest,
  type RequestShape,
  requestSegments,
} from '../support/xray-requests';

const TRACES = 10_000;
const T0 = Date.parse('2026-11-30T10:00:00Z');
/** One request every 90 ms: 10,000 span 15 minutes, the console's default range. */
const SPACING_MS = 90;
const RANGE = { from: T0, to: T0 + TRACES * SPACING_MS };

/** Request n of the generated store ({@link generatedRequest}), one every {@link SPACING_MS} from T0. */
const startOf = (n: number): number => T0 + n * SPACING_MS;
const shape = (n: number): RequestShape => generatedRequest(n, startOf(n));

let stateDir: string;
let xray: string;
let index: TraceIndex;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'trace-scale-'));
  xray = path.join(stateDir, 'xray');
  await appendGeneratedRequests(xray, 0, TRACES, startOf);
  index = new TraceIndex({ xrayDirectory: xray, logsDirectory: path.join(stateDir, 'logs') });
});

afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('trace index with 10,000 traces', () => {
  it('counts every trace, version, outcome and DynamoDB call on the map', async () => {
    // Act
    const map = await index.serviceMap(RANGE);

    // Assess
    const requests = Object.fromEntries(map.nodes.map((node) => [node.id, node.stats]));
    expect(map.traceCount).toBe(TRACES);
    expect(requests.client!.requests).toBe(TRACES);
    expect(requests['function:todos@1']!.requests).toBe(6_000);
    expect(requests['function:todos@2']!.requests).toBe(4_000);
    // Calls per request cycle 0, 1, 2, 3: 1.5 on average.
    expect(requests['aws:DynamoDB']!.requests).toBe(15_000);
    expect(requests['aws:DynamoDB']!.throttleShare).toBeCloseTo(40 / 15_000, 10);
    expect(requests.api!.faultShare).toBeCloseTo(200 / TRACES, 10);
  });

  it('filters the whole range and returns the newest page', async () => {
    // Act
    const all = await index.traces(RANGE, parseTraceQuery(new URLSearchParams()));
    const faults = await index.traces(
      RANGE,
      parseTraceQuery(new URLSearchParams('outcome=fault&limit=1000')),
    );
    const cold404 = await index.traces(RANGE, parseTraceQuery(new URLSearchParams('cold=true&status=404')));
    const v2ToDynamo = await index.traces(
      RANGE,
      parseTraceQuery(new URLSearchParams('edge=function:todos@2->aws:DynamoDB')),
    );

    // Assess
    expect(all.total).toBe(TRACES);
    expect(all.traces).toHaveLength(100);
    expect(all.traces[0]!.traceId).toBe(shape(TRACES - 1).traceId);
    expect(faults.total).toBe(200);
    expect(faults.traces).toHaveLength(200);
    // Cold every 100th, 404 every 20th but not every 50th: multiples of 100 are all multiples of 50.
    expect(cold404.total).toBe(0);
    expect(v2ToDynamo.total).toBe(3_000);
  });

  it('takes in traces appended after the first load', async () => {
    // Prepare
    await index.refresh();
    const more = Array.from({ length: 10 }, (_, k) => requestSegments(shape(TRACES + k))).flat();

    // Act
    await appendSegments(xray, more);
    const list = await index.traces(
      { from: RANGE.from, to: RANGE.to + 10 * SPACING_MS },
      parseTraceQuery(new URLSearchParams()),
    );

    // Assess
    expect(list.total).toBe(TRACES + 10);
    expect(list.traces[0]!.traceId).toBe(shape(TRACES + 9).traceId);
  });
});
