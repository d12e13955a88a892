import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTENSION_METRICS } from '../../extension/src/metric-names';
import { TODO_METRICS } from '../../functions/todos/metric-names';
import { routeKeyOf } from '../../functions/todos/router';
import type { StoredMetric } from '../../local/logs/metric-store';
import { readStoredSegments } from '../../local/xray/trace-store';
import {
  dataPoints,
  emfLines,
  type RecordingSandbox,
  recordsOf,
  sampledTraceHeader,
  startRecordingSandbox,
  sumOf,
} from './support/recording-sandbox';

// The built todo handler and extension layer in the local sandbox: the handler posts its EMF to
// the extension, the extension writes aggregated EMF to its stdout, the sandbox extracts it as
// CloudWatch would. Requests go one at a time, so one environment serves them all. The last one
// is not sampled: metrics must count it all the same.
interface Sent {
  readonly route: string;
  readonly statusClass: string;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

const REQUESTS: { method: string; path: string; body?: string; sampled?: false }[] = [
  { method: 'POST', path: '/todos', body: JSON.stringify({ text: 'short' }) },
  { method: 'POST', path: '/todos', body: JSON.stringify({ text: 'x'.repeat(300) }) },
  { method: 'GET', path: '/todos' },
  { method: 'POST', path: '/todos', body: '{"text":' },
  { method: 'GET', path: '/todos/0190aaaa-0000-7000-8000-000000000000' },
  { method: 'GET', path: '/todos', sampled: false },
];
const SAMPLED = REQUESTS.filter((request) => request.sampled !== false).length;

let recording: RecordingSandbox;
let sent: Sent[];
let roots: string[];
let stored: StoredMetric[];

beforeAll(async () => {
  recording = await startRecordingSandbox({ concurrency: 1 });
  sent = [];
  roots = [];
  try {
    for (const [i, request] of REQUESTS.entries()) {
      const traced = sampledTraceHeader(`a${i}`);
      const header =
        request.sampled === false ? traced.header.replace('Sampled=1', 'Sampled=0') : traced.header;
      if (request.sampled !== false) roots.push(traced.root);
      const response = await fetch(`${recording.sandbox.apiUrl}${request.path}`, {
        method: request.method,
        headers: { 'content-type': 'application/json', 'x-amzn-trace-id': header },
        ...(request.body === undefined ? {} : { body: request.body }),
      });
      const text = await response.text();
      sent.push({
        route: routeKeyOf(request.method, request.path),
        statusClass: `${Math.floor(response.status / 100)}xx`,
        requestBytes: Buffer.byteLength(request.body ?? ''),
        responseBytes: Buffer.byteLength(text),
      });
    }
  } finally {
    // SHUTDOWN makes the extension flush what it holds and write its final self-metrics.
    await recording.sandbox.close();
  }
  stored = await recording.sandbox.metrics.query();
}, 120_000);

afterAll(async () => {
  await recording?.close();
});

const ofMetric = (namespace: string, name: string, dimensionNames?: readonly string[]) =>
  stored.filter(
    (metric) =>
      metric.namespace === namespace &&
      metric.metricName === name &&
      (dimensionNames === undefined ||
        Object.keys(metric.dimensions).sort().join() === [...dimensionNames].sort().join()),
  );

const sorted = (values: readonly number[]) => [...values].sort((a, b) => a - b);

describe('payload-size metrics through the extension', () => {
  it('stores exactly the request and response body sizes sent, per route and status class', () => {
    // Prepare
    const { requestSize, responseSize, dimensions } = TODO_METRICS;
    const keys = new Set(sent.map((s) => `${s.route}|${s.statusClass}`));

    // Act
    const byRouteAndClass = [...keys].map((key) => {
      const [route, statusClass] = key.split('|') as [string, string];
      const select = (name: string) =>
        ofMetric(TODO_METRICS.defaultNamespace, name, [
          dimensions.service,
          dimensions.route,
          dimensions.statusClass,
        ]).filter(
          (m) =>
            m.dimensions[dimensions.route] === route && m.dimensions[dimensions.statusClass] === statusClass,
        );
      return { key, request: dataPoints(select(requestSize)), response: dataPoints(select(responseSize)) };
    });

    // Assess
    expect(keys.size).toBeGreaterThanOrEqual(3);
    for (const { key, request, response } of byRouteAndClass) {
      const mine = sent.filter((s) => `${s.route}|${s.statusClass}` === key);
      expect(request, key).toEqual(sorted(mine.map((s) => s.requestBytes)));
      expect(response, key).toEqual(sorted(mine.map((s) => s.responseBytes)));
    }
  });

  it('stores the same sizes under the route-only dimension set, every request once', () => {
    // Prepare
    const { requestSize, dimensions } = TODO_METRICS;
    const routes = new Set(sent.map((s) => s.route));

    // Act
    const perRoute = [...routes].map((route) => ({
      route,
      points: dataPoints(
        ofMetric(TODO_METRICS.defaultNamespace, requestSize, [dimensions.service, dimensions.route]).filter(
          (m) => m.dimensions[dimensions.route] === route,
        ),
      ),
    }));

    // Assess
    for (const { route, points } of perRoute) {
      expect(points, route).toEqual(sorted(sent.filter((s) => s.route === route).map((s) => s.requestBytes)));
    }
  });

  it('counts one cold start, for the one environment that served the requests', () => {
    // Act
    const coldStarts = ofMetric(TODO_METRICS.defaultNamespace, TODO_METRICS.coldStart);

    // Assess
    expect(recordsOf(recording.platform, 'platform.initReport')).toHaveLength(1);
    expect(dataPoints(coldStarts)).toEqual([1]);
  });

  it('delivers the handler EMF to the extension, none of it to the function stdout', () => {
    // Assess
    expect(emfLines(recording.lines, 'function')).toEqual([]);
    expect(emfLines(recording.lines, 'extension').length).toBeGreaterThan(0);
  });
});

describe('request-outcome metrics through the extension', () => {
  const { requests, dimensions } = TODO_METRICS;
  const version = () =>
    recordsOf<{ functionVersion?: string }>(recording.platform, 'platform.initStart')[0]?.functionVersion ??
    '$LATEST';

  it('counts every request once under its version, sampled or not', () => {
    // Act
    const all = ofMetric(TODO_METRICS.defaultNamespace, requests, [
      dimensions.service,
      dimensions.functionVersion,
    ]);

    // Assess
    expect(new Set(all.map((m) => m.dimensions[dimensions.functionVersion]))).toEqual(new Set([version()]));
    expect(dataPoints(all)).toEqual(REQUESTS.map(() => 1));
  });

  it('counts every request once under its version and status class', () => {
    // Prepare
    const classes = new Set(sent.map((s) => s.statusClass));

    // Act
    const byClass = [...classes].map((statusClass) => ({
      statusClass,
      points: dataPoints(
        ofMetric(TODO_METRICS.defaultNamespace, requests, [
          dimensions.service,
          dimensions.functionVersion,
          dimensions.statusClass,
        ]).filter(
          (m) =>
            m.dimensions[dimensions.statusClass] === statusClass &&
            m.dimensions[dimensions.functionVersion] === version(),
        ),
      ),
    }));

    // Assess
    expect(classes).toEqual(new Set(['2xx', '4xx']));
    for (const { statusClass, points } of byClass) {
      expect(points, statusClass).toEqual(sent.filter((s) => s.statusClass === statusClass).map(() => 1));
    }
    const total = ofMetric(TODO_METRICS.defaultNamespace, requests, [
      dimensions.service,
      dimensions.functionVersion,
      dimensions.statusClass,
    ]);
    expect(sumOf(total)).toBe(REQUESTS.length);
  });

  it('counts every request once under its route and status class', () => {
    // Prepare
    const keys = new Set(sent.map((s) => `${s.route}|${s.statusClass}`));

    // Act
    const perKey = [...keys].map((key) => ({
      key,
      count: sumOf(
        ofMetric(TODO_METRICS.defaultNamespace, requests, [
          dimensions.service,
          dimensions.route,
          dimensions.statusClass,
        ]).filter((m) => `${m.dimensions[dimensions.route]}|${m.dimensions[dimensions.statusClass]}` === key),
      ),
    }));

    // Assess
    for (const { key, count } of perKey) {
      expect(count, key).toBe(sent.filter((s) => `${s.route}|${s.statusClass}` === key).length);
    }
  });
});

describe('platform metrics through the extension', () => {
  const ns = EXTENSION_METRICS.defaultNamespace;
  type Report = { metrics: { durationMs: number; billedDurationMs: number; maxMemoryUsedMB: number } };
  type RuntimeDone = {
    metrics: { durationMs: number; producedBytes: number };
    spans: { name: string; durationMs: number }[];
  };

  it('holds Duration, BilledDuration and MaxMemoryUsed of every platform.report, value for value', () => {
    // Prepare
    const reports = recordsOf<Report>(recording.platform, 'platform.report');

    // Act
    const duration = dataPoints(ofMetric(ns, EXTENSION_METRICS.duration));
    const billed = dataPoints(ofMetric(ns, EXTENSION_METRICS.billedDuration));
    const memory = dataPoints(ofMetric(ns, EXTENSION_METRICS.maxMemoryUsed));

    // Assess
    expect(reports).toHaveLength(REQUESTS.length);
    expect(duration).toEqual(sorted(reports.map((r) => r.metrics.durationMs)));
    expect(billed).toEqual(sorted(reports.map((r) => r.metrics.billedDurationMs)));
    expect(memory).toEqual(sorted(reports.map((r) => r.metrics.maxMemoryUsedMB)));
  });

  it('holds InitDuration of the initReport, ResponseLatency and ProducedBytes of every runtimeDone', () => {
    // Prepare
    const inits = recordsOf<{ metrics: { durationMs: number } }>(recording.platform, 'platform.initReport');
    const dones = recordsOf<RuntimeDone>(recording.platform, 'platform.runtimeDone');

    // Act
    const init = dataPoints(ofMetric(ns, EXTENSION_METRICS.initDuration));
    const latency = dataPoints(ofMetric(ns, EXTENSION_METRICS.responseLatency));
    const produced = dataPoints(ofMetric(ns, EXTENSION_METRICS.producedBytes));

    // Assess
    expect(init).toEqual(inits.map((r) => r.metrics.durationMs));
    expect(latency).toEqual(
      sorted(dones.map((r) => r.spans.find((span) => span.name === 'responseLatency')!.durationMs)),
    );
    expect(produced).toEqual(sorted(dones.map((r) => r.metrics.producedBytes)));
  });

  it('holds one PostRuntimeExtensionDuration per invocation, inside the time the platform saw after runtimeDone', () => {
    // Prepare
    const reports = recordsOf<Report>(recording.platform, 'platform.report');
    const dones = recordsOf<RuntimeDone>(recording.platform, 'platform.runtimeDone');
    const platformPostRuntime =
      reports.reduce((sum, r) => sum + r.metrics.durationMs, 0) -
      dones.reduce((sum, r) => sum + r.metrics.durationMs, 0);

    // Act
    const postRuntime = dataPoints(ofMetric(ns, EXTENSION_METRICS.postRuntimeDuration));

    // Assess
    expect(postRuntime).toHaveLength(REQUESTS.length);
    expect(postRuntime.every((value) => value >= 0)).toBe(true);
    // The extension measures from receiving runtimeDone to calling next, a part of what the
    // platform measures from emitting runtimeDone to the report; whole milliseconds on its side.
    expect(postRuntime.reduce((sum, v) => sum + v, 0)).toBeLessThanOrEqual(
      platformPostRuntime + postRuntime.length,
    );
  });

  it('counts no timeout and no crash, one zero per invocation', () => {
    // Act
    const timeouts = dataPoints(ofMetric(ns, EXTENSION_METRICS.timeouts));
    const crashes = dataPoints(ofMetric(ns, EXTENSION_METRICS.crashes));

    // Assess
    expect(timeouts).toEqual(REQUESTS.map(() => 0));
    expect(crashes).toEqual(REQUESTS.map(() => 0));
  });
});

describe('self-metrics of the extension', () => {
  const ns = EXTENSION_METRICS.defaultNamespace;

  it('counts every span the handler sent as received and exported, and every EMF document received', async () => {
    // Prepare
    const segments = (await readStoredSegments(recording.sandbox.paths.xray)).filter(
      (s) => s.source === 'put-trace-segments' && roots.includes(s.document.trace_id ?? ''),
    );
    const functionSegmentIds = new Set(
      (await readStoredSegments(recording.sandbox.paths.xray))
        .filter((s) => s.document.origin === 'AWS::Lambda::Function')
        .map((s) => s.document.id),
    );

    // Act
    const received = sumOf(ofMetric(ns, EXTENSION_METRICS.spansReceived));
    const exported = sumOf(ofMetric(ns, EXTENSION_METRICS.spansExported));
    const documents = sumOf(ofMetric(ns, EXTENSION_METRICS.metricDocumentsReceived));
    const dropped = sumOf(ofMetric(ns, EXTENSION_METRICS.spansDropped));

    // Assess
    const entrySpans = segments.filter((s) => functionSegmentIds.has(s.document.parent_id ?? ''));
    expect(entrySpans).toHaveLength(SAMPLED);
    expect(received).toBe(segments.length);
    expect(exported).toBe(segments.length);
    expect(dropped).toBe(0);
    // One document per request (sizes and outcome, a directive each), plus the cold-start one.
    expect(documents).toBe(REQUESTS.length + 1);
  });
});
